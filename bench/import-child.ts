import { readFileSync } from 'node:fs'
import SqliteDatabase from 'better-sqlite3'
import { majorToCents, signedAmount, type TransactionType } from '../core/index.ts'
import { DEFAULT_CACHE_KIB } from '../db/engines/sqlite.ts'
import { openDatabase } from '../db/index.ts'
import { importFile } from '../ingest/index.ts'
import { peakRssMiB } from './child.ts'

/** One measurement of bench/import.ts, in its own process: `import|raw-all|raw CSV DB [SOURCE_DB]`. */
const [mode, csv = '', file = ''] = process.argv.slice(2)

if (mode === 'import') {
  const database = await openDatabase({ engine: 'sqlite', path: file })
  const report = await importFile(database, csv, { format: 'csv' })
  await database.close()
  if (report.rejected.length > 0)
    throw new Error(
      `${report.rejected.length} rows rejected: ${JSON.stringify(report.rejected.slice(0, 3))}`,
    )
  console.log(
    JSON.stringify({
      rows: report.rows,
      seconds: report.seconds,
      rowsPerSecond: report.rows / report.seconds,
      peakRssMiB: peakRssMiB(),
    }),
  )
} else if (mode === 'raw-all') {
  // Baseline 1: every row the import wrote (transactions, cards, customers, locations), read
  // back from its ledger before the clock starts, inserted with raw prepared statements in one
  // transaction into a fresh, migrated schema: the same output with none of the work.
  const [source = ''] = process.argv.slice(5)
  const database = await openDatabase({ engine: 'sqlite', path: file })
  await database.close()
  const from = new SqliteDatabase(source, { readonly: true })
  const tables = ['locations', 'customers', 'gift_cards', 'gift_card_transactions', 'order_items']
  const data = tables.map((table) => {
    const rows = from.prepare(`select * from "${table}"`).raw().all() as unknown[][]
    const columns = from
      .prepare(`select * from "${table}" limit 0`)
      .columns()
      .map((c) => c.name)
    return { table, rows, columns }
  })
  from.close()
  const raw = new SqliteDatabase(file)
  raw.pragma('journal_mode = WAL')
  raw.pragma('synchronous = NORMAL')
  raw.pragma('foreign_keys = ON')
  // The page cache the product's own connection has.
  raw.pragma(`cache_size = ${DEFAULT_CACHE_KIB}`)
  const started = performance.now()
  let rows = 0
  raw.transaction(() => {
    for (const { table, rows: tableRows, columns } of data) {
      const insert = raw.prepare(
        `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
      )
      for (const row of tableRows) insert.run(row)
      rows += tableRows.length
    }
  })()
  const seconds = (performance.now() - started) / 1000
  raw.close()
  console.log(
    JSON.stringify({ rows, seconds, rowsPerSecond: rows / seconds, peakRssMiB: peakRssMiB() }),
  )
} else {
  // Baseline 2 (context): only the CSV's transaction rows, parsed before the clock starts, inserted with one prepared
  // statement in one transaction into the same migrated schema (its indexes included).
  const database = await openDatabase({ engine: 'sqlite', path: file })
  await database.close()
  const lines = readFileSync(csv, 'utf8').trimEnd().split('\n').slice(1)
  const rows = lines.map((line) => {
    const [
      eventId,
      at,
      card,
      type,
      amount,
      currency,
      after,
      location,
      terminal,
      order,
      customer,
      employee,
    ] = line.split(',')
    const t = type as TransactionType
    return [
      'import',
      eventId,
      card,
      t,
      signedAmount(t, majorToCents(amount ?? '0')),
      majorToCents(after ?? '0'),
      currency,
      at,
      location || null,
      terminal || null,
      order || null,
      customer || null,
      employee || null,
    ]
  })
  const raw = new SqliteDatabase(file)
  raw.pragma('journal_mode = WAL')
  raw.pragma('synchronous = NORMAL')
  raw.pragma('foreign_keys = OFF')
  raw.pragma(`cache_size = ${DEFAULT_CACHE_KIB}`)
  const insert = raw.prepare(
    'insert into gift_card_transactions (source, event_id, card_id, type, amount_cents, balance_after_cents, currency, occurred_at, location_id, terminal_id, order_id, customer_id, employee_id) values (?,?,?,?,?,?,?,?,?,?,?,?,?)',
  )
  const started = performance.now()
  raw.transaction(() => {
    for (const row of rows) insert.run(row)
  })()
  const seconds = (performance.now() - started) / 1000
  raw.close()
  console.log(
    JSON.stringify({
      rows: rows.length,
      seconds,
      rowsPerSecond: rows.length / seconds,
      peakRssMiB: peakRssMiB(),
    }),
  )
}
