import { describe, expect, it } from 'vitest'
import {
  type CardInsert,
  type Database,
  DeferredLedgerWriter,
  LEDGER_COLUMNS,
  type LedgerWriter,
  runTransactional,
} from '../../db/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/**
 * The ledger writers (db/ledger-writer.ts): the transactional writer reads back what its
 * transaction wrote and reports what an insert skipped at once; the deferred SQLite writer
 * queues its writes on the worker thread's transaction, reads the ledger as committed, and
 * fails its commit when an exact insert met its key. Both store the same rows.
 */

const NOW = '2025-03-01T00:00:00.000Z'

function card(id: string, balance: number): CardInsert {
  return {
    state: {
      id,
      source: 'generic',
      gan_last4: id.slice(-4).padStart(4, '0'),
      currency: 'USD',
      balance_cents: balance,
      balance_as_of: '2025-01-02T00:00:00.000Z',
      last_activity_at: '2025-01-02T00:00:00.000Z',
      status: 'active',
      initial_value_cents: balance,
      issued_at: '2025-01-02T00:00:00.000Z',
      issuing_location_id: null,
    },
    locationId: null,
    purchaserId: null,
  }
}

function row(eventId: string, cardId: string, amount: number): unknown[] {
  const values: Record<(typeof LEDGER_COLUMNS)[number], unknown> = {
    source: 'generic',
    event_id: eventId,
    card_id: cardId,
    type: 'activate',
    result: 'ok',
    amount_cents: amount,
    balance_after_cents: amount,
    currency: 'USD',
    occurred_at: '2025-01-02T00:00:00.000Z',
    location_id: null,
    terminal_id: null,
    order_id: null,
    customer_id: null,
    employee_id: null,
  }
  return LEDGER_COLUMNS.map((c) => values[c])
}

/** Cards, and their ledger rows, as stored. */
async function stored(database: Database) {
  const cards = await database.db
    .selectFrom('gift_cards')
    .select(['id', 'balance_cents', 'status'])
    .orderBy('id')
    .execute()
  const ledger = await database.db
    .selectFrom('gift_card_transactions')
    .select(['event_id', 'card_id', 'amount_cents'])
    .orderBy('event_id')
    .execute()
  return { cards, ledger }
}

/** One batch's writes, and what the writer reads back of them inside its transaction. */
async function writeBatch(writer: LedgerWriter, prefix: string) {
  await writer.insertStubs([[`${prefix}-L`, 'L', 'unknown', 'unknown', 'unknown', 'UTC', NOW]], [])
  const inserted = await writer.insertCards(
    [card(`${prefix}-1`, 500), card(`${prefix}-2`, 700)],
    NOW,
  )
  const rows = await writer.insertLedgerRows(
    [row(`${prefix}-e1`, `${prefix}-1`, 500), row(`${prefix}-e2`, `${prefix}-2`, 700)],
    true,
  )
  const seen = await writer.existingEventIds(new Map([['generic', [`${prefix}-e1`]]]))
  const cards = await writer.lockCards([`${prefix}-2`, `${prefix}-1`])
  return { inserted, rows, seen: [...(seen.get('generic') ?? [])], read: cards.map((c) => c.id) }
}

for (const dialect of DIALECTS) {
  describe(`the transactional ledger writer on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, (d) => {
      database = d
    })

    it('reads back its own rows in id order and counts what an insert skipped', async () => {
      const result = await runTransactional(database, async (writer) => {
        expect(writer.readsOwnWrites).toBe(true)
        const first = await writeBatch(writer, 't')
        // The same card again: not inserted (another transaction made it first).
        const again = await writer.insertCards([card('t-1', 1)], NOW)
        return { ...first, again }
      })
      expect(result).toEqual({
        inserted: 2,
        rows: 2,
        seen: ['t-e1'],
        read: ['t-1', 't-2'],
        again: 0,
      })
      expect(await stored(database)).toEqual({
        cards: [
          { id: 't-1', balance_cents: 500, status: 'active' },
          { id: 't-2', balance_cents: 700, status: 'active' },
        ],
        ledger: [
          { event_id: 't-e1', card_id: 't-1', amount_cents: 500 },
          { event_id: 't-e2', card_id: 't-2', amount_cents: 700 },
        ],
      })
    })

    it('is rolled back with its transaction', async () => {
      await expect(
        runTransactional(database, async (writer) => {
          await writeBatch(writer, 'r')
          throw new Error('the batch failed')
        }),
      ).rejects.toThrow('the batch failed')
      const { cards } = await stored(database)
      expect(cards.map((c) => c.id)).not.toContain('r-1')
    })
  })
}

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')
if (!sqlite) throw new Error('the SQLite dialect always runs')

describe('the deferred ledger writer (SQLite on a file)', () => {
  let database: Database
  useDatabase(sqlite, (d) => {
    database = d
  })

  const withWriter = async <T>(use: (writer: DeferredLedgerWriter) => Promise<T>) => {
    const open = database.adapter.openDeferredWriter
    if (!open) throw new Error('SQLite on a file has a deferred writer')
    const deferred = open()
    try {
      await deferred.begin()
      const result = await use(new DeferredLedgerWriter(database.db, database.adapter, deferred))
      return { result, commit: await deferred.commit() }
    } finally {
      await deferred.close()
    }
  }

  it('stores the same rows as the transactional writer, seen only once committed', async () => {
    const { result, commit } = await withWriter(async (writer) => {
      expect(writer.readsOwnWrites).toBe(false)
      const batch = await writeBatch(writer, 'd')
      await writer.writeSnapshotFields('d-2', { gan_last4: '4242' })
      return batch
    })
    // Queued rows count as written; this thread's reads saw the ledger as committed.
    expect(result).toEqual({ inserted: 2, rows: 2, seen: [], read: [] })
    expect(commit).toEqual({ ok: true })
    const { cards, ledger } = await stored(database)
    expect(cards).toEqual([
      { id: 'd-1', balance_cents: 500, status: 'active' },
      { id: 'd-2', balance_cents: 700, status: 'active' },
    ])
    expect(ledger).toEqual([
      { event_id: 'd-e1', card_id: 'd-1', amount_cents: 500 },
      { event_id: 'd-e2', card_id: 'd-2', amount_cents: 700 },
    ])
    const last4 = await database.db
      .selectFrom('gift_cards')
      .select('gan_last4')
      .where('id', '=', 'd-2')
      .executeTakeFirstOrThrow()
    expect(last4.gan_last4).toBe('4242')
  })

  it('fails its commit, and writes nothing, when an exact insert meets a row already there', async () => {
    const { commit } = await withWriter(async (writer) => {
      await writer.insertCards([card('n-1', 100)], NOW)
      await writer.insertLedgerRows([row('d-e1', 'n-1', 100)], true)
    })
    expect(commit).toMatchObject({ ok: false, reason: 'not written' })
    const { cards } = await stored(database)
    expect(cards.map((c) => c.id)).not.toContain('n-1')
  })
})
