import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, getCard } from '../../db/index.ts'
import { importFile } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'

/**
 * A balance inquiry may leave its amount out, and a row may say the POS declined it (issue 18,
 * items 8 and 9; docs/ingest.md §CSV).
 */
const dir = mkdtempSync(join(tmpdir(), 'giftcards-import-result-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const CSV = `event_id,occurred_at,card_id,type,amount,currency,terminal_id,result
r1,2025-03-01T10:00:00Z,gc-r1,activate,50.00,USD,T1,
r2,2025-03-01T10:05:00Z,gc-r1,balance inquiry,,USD,T1,
r3,2025-03-01T10:06:00Z,gc-r1,balance inquiry,,USD,T1,declined
r4,2025-03-01T10:07:00Z,gc-r1,redeem,80.00,USD,T1,Declined
r5,2025-03-01T10:08:00Z,gc-r1,redeem,20.00,USD,T1,approved
r6,2025-03-01T10:09:00Z,6035-0000-1234,balance inquiry,0.00,USD,T1,declined
r7,2025-03-01T10:10:00Z,gc-r1,redeem,,USD,T1,
r8,2025-03-01T10:11:00Z,gc-r1,load,10.00,USD,T1,declined
r9,2025-03-01T10:12:00Z,gc-r1,balance inquiry,,USD,T1,maybe
`

for (const dialect of DIALECTS) {
  describe(`import: empty inquiry amounts and declined rows, on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      const path = join(dir, `result-${dialect.name}.csv`)
      writeFileSync(path, CSV)
      report = await importFile(database, path, { format: 'csv' })
    })
    afterAll(async () => cleanup())
    let report: Awaited<ReturnType<typeof importFile>>

    const rows = () =>
      database.db
        .selectFrom('gift_card_transactions')
        .select(['event_id', 'card_id', 'type', 'result', 'amount_cents'])
        .orderBy('event_id')
        .execute()

    it('takes an inquiry with no amount as zero, and refuses a redemption with none', async () => {
      expect(report.rejected.sort((a, b) => a.line - b.line)).toEqual([
        { line: 8, reason: 'amount must be a decimal amount with at most two decimals, got ""' },
        {
          line: 9,
          reason: 'result declined is only for a balance inquiry or a redemption, not load',
        },
        {
          line: 10,
          reason:
            'result must be one of ok, approved, declined, denied (or empty: ok), got "maybe"',
        },
      ])
      expect(report.applied).toBe(6)
      expect((await rows()).find((r) => r.event_id === 'r2')).toMatchObject({
        type: 'balance_check',
        result: 'ok',
        amount_cents: 0,
      })
    })

    it('records declined checks and payments without moving money', async () => {
      const byId = new Map((await rows()).map((r) => [r.event_id, r]))
      expect(byId.get('r3')).toMatchObject({ result: 'declined', amount_cents: 0 })
      expect(byId.get('r4')).toMatchObject({
        type: 'redeem',
        result: 'declined',
        amount_cents: 0,
        card_id: 'gc-r1',
      })
      expect(byId.get('r5')).toMatchObject({ result: 'ok', amount_cents: -2000 })
      // 50 loaded, the declined 80 took nothing, the approved 20 did.
      expect(await getCard(database.db, 'gc-r1')).toMatchObject({ balance_cents: 3000 })
    })

    it('keeps a declined check on a number that matches no card on no card, creating none', async () => {
      const byId = new Map((await rows()).map((r) => [r.event_id, r]))
      expect(byId.get('r6')).toMatchObject({ card_id: null, result: 'declined' })
      expect(await getCard(database.db, '6035-0000-1234')).toBeUndefined()
    })

    it('applies the same file again as duplicates only', async () => {
      const path = join(dir, `result-${dialect.name}.csv`)
      const again = await importFile(database, path, { format: 'csv' })
      expect(again.applied).toBe(0)
      expect(await rows()).toHaveLength(6)
    })
  })
}
