import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, getCard } from '../../db/index.ts'
import { syncSquare } from '../../ingest/index.ts'
import { type FakeSquare, startFakeSquare } from '../fakes/square-api.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const TOKEN = 'EAAA-test-token'

function activity(n: number, card: string, type: string, amount: number, balance: number) {
  const key = `${type.toLowerCase()}_activity_details`
  return {
    id: `gcact_${String(n).padStart(4, '0')}`,
    type,
    gift_card_id: card,
    location_id: 'LSQ1',
    created_at: new Date(Date.UTC(2025, 4, 1, 10, n)).toISOString(),
    gift_card_balance_money: { amount: balance, currency: 'USD' },
    [key]: { amount_money: { amount, currency: 'USD' } },
  }
}

for (const dialect of DIALECTS) {
  describe(`the Square poller on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let square: FakeSquare
    const sync = (extra: Partial<Parameters<typeof syncSquare>[1]> = {}) =>
      syncSquare(database, {
        baseUrl: square.url,
        accessToken: TOKEN,
        apiVersion: '2025-10-16',
        pageSize: 7,
        backoffMs: 1,
        ...extra,
      })

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      const activities = []
      for (let c = 0; c < 5; c++) {
        activities.push(activity(c * 10, `gftc:poll-${c}`, 'ACTIVATE', 5000, 5000))
        activities.push(activity(c * 10 + 1, `gftc:poll-${c}`, 'REDEEM', 1200, 3800))
        activities.push(activity(c * 10 + 2, `gftc:poll-${c}`, 'LOAD', 1000, 4800))
      }
      square = await startFakeSquare(TOKEN, activities)
    })
    afterAll(async () => {
      await square.close()
      await cleanup()
    })

    it('pages through every activity with the access token and API version, oldest first', async () => {
      const report = await sync()
      expect(report).toMatchObject({
        pages: 3,
        activities: 15,
        applied: 15,
        duplicates: 0,
        skipped: 0,
      })
      for (let c = 0; c < 5; c++)
        expect((await getCard(database.db, `gftc:poll-${c}`))?.balance_cents).toBe(4800)
      expect(
        square.requests.every(
          (r) => r.authorization === `Bearer ${TOKEN}` && r.version === '2025-10-16',
        ),
      ).toBe(true)
      expect(square.requests.every((r) => r.query.get('sort_order') === 'ASC')).toBe(true)
      expect(square.requests[1]?.query.get('cursor')).toBeTruthy()
    })

    it('starts the next sync after the last activity it saw, so only new ones apply', async () => {
      square.requests.length = 0
      square.activities.push(activity(100, 'gftc:poll-0', 'REDEEM', 800, 4000))
      const report = await sync()
      expect(square.requests[0]?.query.get('begin_time')).toBe('2025-05-01T10:42:00.000Z')
      expect(report).toMatchObject({ applied: 1, duplicates: 1 })
      expect((await getCard(database.db, 'gftc:poll-0'))?.balance_cents).toBe(4000)
    })

    it('retries 429 and 5xx answers with backoff, then carries on', async () => {
      square.failNext = [429, 503, 500]
      const waits: number[] = []
      const report = await sync({ sleep: async (ms) => void waits.push(ms) })
      expect(report.retries).toBe(3)
      expect(waits).toEqual([0, 2, 4])
      expect(report.applied).toBe(0)
    })

    it('gives up after too many failures with a clear error, and refuses a bad token', async () => {
      square.failNext = [500, 500, 500]
      await expect(sync({ maxAttempts: 3, sleep: async () => {} })).rejects.toThrow(
        /kept failing \(HTTP 500\) after 3 tries/,
      )
      await expect(sync({ accessToken: 'wrong' })).rejects.toThrow(
        /refused ListGiftCardActivities \(401\): UNAUTHORIZED: This request could not be authorized/,
      )
    })
  })
}
