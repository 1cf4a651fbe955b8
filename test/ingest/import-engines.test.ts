import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeExportCsv } from '../../bench/import.ts'
import type { Database } from '../../db/index.ts'
import { type ImportReport, importFile } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'

/**
 * The same export files imported on SQLite (the deferred writer) and on PostgreSQL (COPY,
 * issue 22) give the same ledger: every card, every ledger row, the daily rollup, order items
 * and voids, and the same report. Several transactions per file, a row that cannot apply in
 * the middle of one, and a second file overlapping the first (on PostgreSQL its COPY meets
 * rows already there and those rows are read again one by one).
 */

const dir = mkdtempSync(join(tmpdir(), 'giftcards-import-engines-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const postgres = DIALECTS.find((d) => d.name === 'postgres')
const sqlite = DIALECTS.find((d) => d.name === 'sqlite')

/** The synthetic chain's export with the optional columns the generator leaves out, and rows at the edges. */
async function files(): Promise<{ first: string; second: string }> {
  const generated = join(dir, 'generated.csv')
  await writeExportCsv(generated, 6_000)
  const [header, ...lines] = readFileSync(generated, 'utf8').trimEnd().split('\n')
  const rows = lines.map((line) => `${line},,`)
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 2, 10, minute)).toISOString()
  const extra = [
    `x-1,${at(0)},gc-extra,sale,10.00,USD,,L-extra,,o-x1,C-extra,,GC-10:gift_cards:10.00,`,
    // Below zero: rejected by its line, the rest of its transaction kept.
    `x-2,${at(1)},gc-extra,redemption,50.00,USD,,L-extra,,,,,,`,
    `x-3,${at(2)},gc-extra,redemption,3.00,usd,,L-extra,,o-x3,,,APP-1:apparel:2.00;BOK-2:books:1.00,`,
    `x-4,${at(3)},gc-extra,void,0,USD,,L-extra,,,,,,x-3`,
    `x-5,${at(4)},gc-extra,adjustment,-1.25,USD,,,,,,,,`,
    'x-6,not a time,gc-extra,load,1,USD,,,,,,,,',
  ]
  // The bad rows sit in the second transaction of 2,000 rows.
  rows.splice(2_500, 0, ...extra)
  const first = join(dir, 'first.csv')
  writeFileSync(first, `${header},items,original_event_id\n${rows.join('\n')}\n`)
  // An export overlapping the first: its last 1,000 rows again, then 300 new ones.
  const later = rows.slice(-1_000)
  for (let i = 0; i < 300; i++)
    later.push(`y-${i},${at(10 + i)},gc-later-${i % 40},load,${(i % 7) + 1}.50,USD,,L-later,,,,,,`)
  for (let i = 0; i < 40; i++)
    later.splice(1_000 + i, 0, `y-act-${i},${at(9)},gc-later-${i},sale,5,USD,,,,,,,,`)
  const second = join(dir, 'second.csv')
  writeFileSync(second, `${header},items,original_event_id\n${later.join('\n')}\n`)
  return { first, second }
}

/** Every stored fact an import writes, in key order, without ids and write times. */
async function ledger(database: Database): Promise<Record<string, unknown>> {
  const { db } = database
  const cards = await db.selectFrom('gift_cards').selectAll().orderBy('id').execute()
  const transactions = await db
    .selectFrom('gift_card_transactions')
    .selectAll()
    .orderBy('source')
    .orderBy('event_id')
    .execute()
  const daily = await db
    .selectFrom('ledger_daily')
    .selectAll()
    .orderBy('type')
    .orderBy('day')
    .orderBy('location_id')
    .orderBy('occasion')
    .orderBy('channel')
    .execute()
  const items = await db
    .selectFrom('order_items')
    .select(['order_id', 'sku', 'category', 'amount_cents'])
    .orderBy('order_id')
    .orderBy('sku')
    .execute()
  const voids = await db
    .selectFrom('ledger_voids')
    .select(['source', 'original_event_id', 'void_event_id', 'card_id', 'original_type'])
    .orderBy('original_event_id')
    .execute()
  const locations = await db.selectFrom('locations').select(['id', 'name']).orderBy('id').execute()
  const customers = await db
    .selectFrom('customers')
    .select(['id', 'pseudonym'])
    .orderBy('id')
    .execute()
  const without = <T extends Record<string, unknown>>(row: T, ...keys: string[]) =>
    Object.fromEntries(Object.entries(row).filter(([k]) => !keys.includes(k)))
  return {
    cards: cards.map((c) => without(c, 'updated_at')),
    transactions: transactions.map((t) => without(t, 'id')),
    daily,
    items,
    voids,
    locations,
    customers,
  }
}

const outcome = (r: ImportReport) => ({
  rows: r.rows,
  applied: r.applied,
  duplicates: r.duplicates,
  rejected: r.rejected.map((x) => x.line).sort((x, y) => x - y),
})

describe.skipIf(!postgres || !sqlite)('an import on SQLite and on PostgreSQL (COPY)', () => {
  const opened: { database: Database; cleanup: () => Promise<void> }[] = []
  beforeAll(async () => {
    for (const dialect of [sqlite, postgres])
      opened.push(await (dialect as NonNullable<typeof sqlite>).open())
  }, 120_000)
  afterAll(async () => {
    for (const o of opened) await o.cleanup()
  })

  it('gives the same ledger, rollup and reports on both engines', async () => {
    const { first, second } = await files()
    const reports: ReturnType<typeof outcome>[][] = []
    const ledgers: Record<string, unknown>[] = []
    for (const { database } of opened) {
      const one = await importFile(database, first, { format: 'csv', batchSize: 2_000 })
      const two = await importFile(database, second, { format: 'csv', batchSize: 2_000 })
      reports.push([outcome(one), outcome(two)])
      ledgers.push(await ledger(database))
    }
    const [onSqlite, onPostgres] = reports
    // The first file: every row but the two bad ones; the second: its first 1,000 rows again.
    expect(onSqlite?.[0]).toMatchObject({ rejected: [2503, 2507] })
    expect(onSqlite?.[0]?.applied).toBe((onSqlite?.[0]?.rows ?? 0) - 2)
    expect(onSqlite?.[1]).toMatchObject({ duplicates: 1_000, applied: 340, rejected: [] })
    expect(onPostgres).toEqual(onSqlite)
    const [a, b] = ledgers as [Record<string, unknown[]>, Record<string, unknown[]>]
    for (const table of Object.keys(a)) expect(b[table], table).toEqual(a[table])
    expect(a.transactions?.length).toBeGreaterThan(5_000)
    expect(a.daily?.length).toBeGreaterThan(100)
    expect(a.items).toHaveLength(3)
    expect(a.voids).toHaveLength(1)
    // On each engine, every card's balance is the sum of its ledger rows.
    for (const { database } of opened) {
      const drift = await database.db
        .selectFrom('gift_cards as c')
        .select('c.id')
        .where(({ eb, selectFrom }) =>
          eb(
            'c.balance_cents',
            '<>',
            selectFrom('gift_card_transactions as t')
              .select(({ fn }) => fn.coalesce(fn.sum<number>('t.amount_cents'), eb.lit(0)).as('s'))
              .whereRef('t.card_id', '=', 'c.id')
              .where('t.result', '=', 'ok'),
          ),
        )
        .execute()
      expect(drift, database.engine).toEqual([])
    }
  }, 300_000)
})
