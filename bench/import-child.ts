import { readFileSync } from 'node:fs'
import SqliteDatabase from 'better-sqlite3'
import { majorToCents, signedAmount, type TransactionType } from '../core/index.ts'
import { openDatabase } from '../db/index.ts'
import { importFile } from '../ingest/index.ts'
import { peakRssMiB } from './child.ts'

/** One measurement of bench/import.ts, in its own process: `import|raw CSV DB`. */
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
} else {
  // Baseline: the same rows, parsed before the clock starts, inserted with one prepared
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
