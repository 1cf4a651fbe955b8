import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, getCard, listCardTransactions } from '../../db/index.ts'
import {
  applyBatch,
  BALANCE_DRIFT_PREFIX,
  CloverCardMap,
  CloverClient,
  parseCloverCards,
  syncCloverBalances,
} from '../../ingest/index.ts'
import { type FakeClover, startFakeClover } from '../fakes/clover-api.ts'
import { DIALECTS } from '../helpers/dialects.ts'

// The balance inquiry of Clover's Ecommerce gift card API
// (https://docs.clover.com/reference/balanceinquiry): test/fixtures/clover/README.md.
const DOCUMENTED = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/clover/balance-inquiry.json'), 'utf8'),
)
const MERCHANT = 'ZZ1PW2VCQJTKM'
const TOKEN = 'clover-merchant-token'

const CARDS = new CloverCardMap(
  parseCloverCards(
    [
      'card_id,last4,token',
      'cv-same,1111,clv_same',
      'cv-spent,2222,clv_spent',
      'cv-new,3333,clv_new',
      'cv-untokened,4444,',
      'cv-bad,5555,clv_expired',
    ].join('\n'),
  ),
)

for (const dialect of DIALECTS) {
  describe(`Clover balance reads on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let clover: FakeClover
    const waits: number[] = []
    const client = () =>
      new CloverClient({
        baseUrl: clover.url,
        giftCardBaseUrl: clover.url,
        merchants: { [MERCHANT]: TOKEN },
        backoffMs: 1,
        sleep: async (ms) => void waits.push(ms),
      })
    const sync = (extra: { dryRun?: boolean } = {}) =>
      syncCloverBalances(database, {
        client: client(),
        cards: CARDS,
        currency: 'USD',
        now: () => Date.parse('2026-03-01T12:00:00Z'),
        ...extra,
      })
    const activate = (cardRef: string, cents: number) =>
      applyBatch(database, {
        events: [
          {
            source: 'clover',
            eventId: `act-${cardRef}`,
            cardRef,
            type: 'activate',
            amountCents: cents,
            currency: 'USD',
            occurredAt: '2026-01-05T10:00:00.000Z',
          },
        ],
        cards: [],
      })

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      clover = await startFakeClover({ [MERCHANT]: TOKEN })
      clover.balances.set('clv_same', 5000)
      clover.balances.set('clv_spent', 3000)
      clover.balances.set('clv_new', 2500)
      await activate('cv-same', 5000)
      await activate('cv-spent', 5000)
    })
    afterAll(async () => {
      await clover.close()
      await cleanup()
    })

    it('reads the documented balance answer in cents', async () => {
      clover.balances.set('clv_documented', DOCUMENTED.gift_card.new_balance)
      expect(await client().balance(MERCHANT, 'clv_documented')).toEqual({
        balanceCents: 3901,
        status: 'succeeded',
      })
      const call = clover.requests.at(-1)
      expect(call).toMatchObject({
        method: 'POST',
        path: '/v1/balance_inquiry',
        authorization: `Bearer ${TOKEN}`,
        body: JSON.stringify({ source: 'clv_documented' }),
      })
    })

    it('reports the differences on a dry run and changes nothing', async () => {
      const report = await sync({ dryRun: true })
      expect(report).toMatchObject({ cards: 5, noToken: 1, read: 3, unchanged: 1, applied: 0 })
      expect(report.drifts).toEqual([
        { cardId: 'cv-spent', ledgerCents: 5000, cloverCents: 3000 },
        { cardId: 'cv-new', ledgerCents: null, cloverCents: 2500 },
      ])
      expect(report.failed).toEqual([
        {
          cardId: 'cv-bad',
          error: expect.stringMatching(/Clover refused balance_inquiry \(400\)/),
        },
      ])
      expect((await getCard(database.db, 'cv-spent'))?.balance_cents).toBe(5000)
      expect(await getCard(database.db, 'cv-new')).toBeUndefined()
    })

    it("adjusts a balance that moved with no event, labelled, to exactly Clover's figure", async () => {
      const report = await sync()
      expect(report.applied).toBe(2)
      expect((await getCard(database.db, 'cv-spent'))?.balance_cents).toBe(3000)
      expect((await getCard(database.db, 'cv-new'))?.balance_cents).toBe(2500)
      const spent = await listCardTransactions(database.db, 'cv-spent')
      expect(spent[0]).toMatchObject({
        source: 'clover',
        type: 'adjust_down',
        amount_cents: -2000,
        balance_after_cents: 3000,
        occurred_at: '2026-03-01T12:00:00.000Z',
      })
      expect(spent[0]?.event_id.startsWith(BALANCE_DRIFT_PREFIX)).toBe(true)
      expect(spent[0]?.event_id).toBe('balance-drift:cv-spent:5000@2026-01-05T10:00:00.000Z->3000')
      const created = await listCardTransactions(database.db, 'cv-new')
      expect(created.map((t) => [t.type, t.amount_cents])).toEqual([['adjust_up', 2500]])
      expect((await getCard(database.db, 'cv-same'))?.balance_cents).toBe(5000)
    })

    it('adds nothing when read again, and two reads of one state apply once', async () => {
      const again = await sync()
      expect(again).toMatchObject({ unchanged: 3, applied: 0, drifts: [] })
      clover.balances.set('clv_spent', 1000)
      const [a, b] = await Promise.all([sync(), sync()])
      expect((a?.applied ?? 0) + (b?.applied ?? 0)).toBe(1)
      expect((await getCard(database.db, 'cv-spent'))?.balance_cents).toBe(1000)
      expect(await listCardTransactions(database.db, 'cv-spent')).toHaveLength(3)
    })

    it("waits for Clover's retry-after on a 429", async () => {
      waits.length = 0
      clover.retryAfter = '2'
      clover.failNext = [429]
      const report = await sync()
      expect(report.failed.map((f) => f.cardId)).toEqual(['cv-bad'])
      expect(waits).toEqual([2000])
    })
  })
}
