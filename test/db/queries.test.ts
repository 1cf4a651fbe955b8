import { describe, expect, it } from 'vitest'
import {
  cardBalanceAsOf,
  type Database,
  findCardsByLast4,
  getCard,
  LIABILITY_GROUPS,
  ledgerCounts,
  ledgerWatermark,
  liabilityAsOf,
  listCardTransactions,
  transactionSummary,
} from '../../db/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { writeLedgerFixture } from '../helpers/ledger-fixture.ts'

for (const dialect of DIALECTS) {
  describe(`query functions on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (opened) => {
      database = opened
      await writeLedgerFixture(database.db)
    })

    it('gets a card by id, with cents as numbers', async () => {
      const card = await getCard(database.db, 'gc_a')
      expect(card?.balance_cents).toBe(2000)
      expect(typeof card?.initial_value_cents).toBe('number')
      expect(await getCard(database.db, 'gc_missing')).toBeUndefined()
    })

    it('finds cards by their last four digits, most recently active first', async () => {
      const cards = await findCardsByLast4(database.db, '1111')
      expect(cards.map((c) => c.id)).toEqual(['gc_b', 'gc_a'])
      expect(await findCardsByLast4(database.db, '1111', { limit: 1 })).toHaveLength(1)
      expect(await findCardsByLast4(database.db, '9999')).toEqual([])
    })

    it("lists a card's transactions newest first and pages back with `before`", async () => {
      const all = await listCardTransactions(database.db, 'gc_a')
      expect(all.map((t) => t.event_id)).toEqual(['e3', 'e2', 'e1'])
      expect(all.map((t) => t.amount_cents)).toEqual([-1000, -2000, 5000])
      const older = await listCardTransactions(database.db, 'gc_a', {
        before: '2025-03-15T18:00:00.000Z',
        limit: 1,
      })
      expect(older.map((t) => t.event_id)).toEqual(['e2'])
    })

    it('rebuilds a balance as of an instant (exclusive)', async () => {
      expect(await cardBalanceAsOf(database.db, 'gc_a', '2025-02-01T12:00:00.000Z')).toBe(5000)
      expect(await cardBalanceAsOf(database.db, 'gc_a', '2025-02-01T12:00:00.001Z')).toBe(3000)
      expect(await cardBalanceAsOf(database.db, 'gc_a', '2024-12-31T00:00:00.000Z')).toBe(0)
      expect(await cardBalanceAsOf(database.db, 'gc_b', '2030-01-01T00:00:00.000Z')).toBe(0)
    })

    it('reports current liability in total and by jurisdiction', async () => {
      expect(await liabilityAsOf(database.db)).toEqual([
        { key: 'total', cards: 2, liabilityCents: 4500 },
      ])
      expect(await liabilityAsOf(database.db, { groupBy: 'jurisdiction' })).toEqual([
        { key: 'US-NY', cards: 1, liabilityCents: 2500 },
        { key: 'US-CA', cards: 1, liabilityCents: 2000 },
      ])
    })

    it('reports liability as of a past date under every grouping', async () => {
      const asOf = '2025-03-02T00:00:00.000Z'
      const expected: Record<string, { key: string; cards: number; liabilityCents: number }[]> = {
        total: [{ key: 'total', cards: 2, liabilityCents: 15500 }],
        location: [
          { key: 'loc_ny', cards: 1, liabilityCents: 12500 },
          { key: 'loc_ca', cards: 1, liabilityCents: 3000 },
        ],
        jurisdiction: [
          { key: 'US-NY', cards: 1, liabilityCents: 12500 },
          { key: 'US-CA', cards: 1, liabilityCents: 3000 },
        ],
        cohort: [
          { key: '2025-02', cards: 1, liabilityCents: 12500 },
          { key: '2025-01', cards: 1, liabilityCents: 3000 },
        ],
        occasion: [
          { key: 'birthday', cards: 1, liabilityCents: 12500 },
          { key: 'holiday', cards: 1, liabilityCents: 3000 },
        ],
        channel: [
          { key: 'online', cards: 1, liabilityCents: 12500 },
          { key: 'in_store', cards: 1, liabilityCents: 3000 },
        ],
      }
      for (const groupBy of LIABILITY_GROUPS) {
        expect(await liabilityAsOf(database.db, { asOf, groupBy }), groupBy).toEqual(
          expected[groupBy],
        )
      }
    })

    it('gives zero liability before the first card', async () => {
      expect(await liabilityAsOf(database.db, { asOf: '2020-01-01T00:00:00.000Z' })).toEqual([
        { key: 'total', cards: 0, liabilityCents: 0 },
      ])
    })

    it('summarises transactions by type in a window, leaving out declined attempts', async () => {
      const rows = await transactionSummary(database.db, {
        from: '2025-01-01T00:00:00.000Z',
        to: '2026-01-01T00:00:00.000Z',
      })
      expect(rows).toEqual([
        { type: 'activate', count: 3, amountCents: 17500 },
        { type: 'redeem', count: 3, amountCents: -15500 },
        { type: 'balance_check', count: 1, amountCents: 0 },
        { type: 'load', count: 1, amountCents: 2500 },
      ])
      const february = await transactionSummary(database.db, {
        from: '2025-02-01T00:00:00.000Z',
        to: '2025-03-01T00:00:00.000Z',
      })
      expect(february).toEqual([
        { type: 'activate', count: 1, amountCents: 10000 },
        { type: 'redeem', count: 1, amountCents: -2000 },
      ])
    })

    it('knows its watermark and its counts', async () => {
      expect(await ledgerWatermark(database.db)).toBe('2025-04-01T12:00:00.000Z')
      expect(await ledgerCounts(database.db)).toEqual({
        cards: 3,
        transactions: 9,
        customers: 0,
        locations: 2,
        jurisdictions: 2,
      })
    })
  })
}
