import { describe, expect, it } from 'vitest'
import type { CardEvent } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { applyBatch } from '../../ingest/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/** Cards (and stores, customers) per batch: enough that two unordered writers interleave. */
const ROWS = 400

/** Loads on `ROWS` cards, in the order given, each naming a store and a customer if `stubs`. */
function loads(prefix: string, tag: string, order: 'up' | 'down', stubs: boolean): CardEvent[] {
  const events: CardEvent[] = []
  for (let i = 0; i < ROWS; i++) {
    const k = String(i).padStart(3, '0')
    events.push({
      source: 'generic',
      eventId: `${prefix}-${tag}-${k}`,
      cardRef: `gftc:${prefix}-${k}`,
      type: 'load',
      amountCents: 100,
      currency: 'USD',
      occurredAt: '2025-06-01T12:00:00.000Z',
      ...(stubs ? { locationId: `${prefix}-store-${k}`, customerId: `${prefix}-cust-${k}` } : {}),
    })
  }
  return order === 'up' ? events : events.reverse()
}

/**
 * Two batches over the same rows, listed in opposite orders, applied at once with no retry:
 * only taking locks in one order (docs/concurrency.md) keeps PostgreSQL from aborting one of
 * them as a deadlock.
 */
async function applyCrosswise(database: Database, prefix: string, stubs: boolean) {
  const once = { retry: { attempts: 1 } }
  return Promise.all([
    applyBatch(database, { events: loads(prefix, 'a', 'up', stubs), cards: [] }, once),
    applyBatch(database, { events: loads(prefix, 'b', 'down', stubs), cards: [] }, once),
  ])
}

async function balances(database: Database, prefix: string): Promise<number[]> {
  const rows = await database.db
    .selectFrom('gift_cards')
    .select('balance_cents')
    .where('id', 'like', `gftc:${prefix}-%`)
    .execute()
  return rows.map((r) => Number(r.balance_cents))
}

for (const dialect of DIALECTS) {
  describe(`concurrent ledger writers on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, (d) => {
      database = d
    })

    it('create the same new cards in one order, without a deadlock', async () => {
      const results = await applyCrosswise(database, 'newcard', false)
      expect(results.map((r) => r.appliedCount)).toEqual([ROWS, ROWS])
      expect(await balances(database, 'newcard')).toEqual(new Array(ROWS).fill(200))
    })

    it('insert the same stub stores and customers in one order, without a deadlock', async () => {
      const results = await applyCrosswise(database, 'stub', true)
      expect(results.map((r) => r.appliedCount)).toEqual([ROWS, ROWS])
      const stores = await database.db
        .selectFrom('locations')
        .select('id')
        .where('id', 'like', 'stub-store-%')
        .execute()
      expect(stores).toHaveLength(ROWS)
    })

    it('lock the same existing cards in one order, without a deadlock', async () => {
      await applyBatch(database, { events: loads('existing', 'first', 'up', false), cards: [] })
      const results = await applyCrosswise(database, 'existing', false)
      expect(results.map((r) => r.appliedCount)).toEqual([ROWS, ROWS])
      expect(await balances(database, 'existing')).toEqual(new Array(ROWS).fill(300))
    })
  })
}
