import { readFileSync } from 'node:fs'
import SqliteDatabase from 'better-sqlite3'
import pg from 'pg'
import { majorToCents, signedAmount, type TransactionType } from '../core/index.ts'
import { DEFAULT_CACHE_KIB } from '../db/engines/sqlite.ts'
import { copyRows, type Database, openDatabase } from '../db/index.ts'
import { importFile } from '../ingest/index.ts'
import { peakRssMiB } from './child.ts'

/**
 * One measurement of bench/import.ts, in its own process: `import|raw-all|raw CSV LEDGER
 * [SOURCE]`. A ledger is a SQLite file, or `postgres://…#schema` (a schema of its own, made
 * fresh by the parent).
 */
const [mode, csv = '', target = ''] = process.argv.slice(2)

/**
 * Every table the import writes rows into, parents before children (foreign keys hold as
 * each is loaded). The daily rollup is the import's output as much as the ledger rows are:
 * every writer keeps it in the transaction that writes them (docs/rollups.md).
 */
const OUTPUT_TABLES = [
  'locations',
  'customers',
  'gift_cards',
  'gift_card_transactions',
  'order_items',
  'ledger_daily',
] as const

function parseTarget(text: string): { engine: 'sqlite'; path: string } | PgTarget {
  if (!text.startsWith('postgres')) return { engine: 'sqlite', path: text }
  const [url = '', schema = ''] = text.split('#')
  return { engine: 'postgres', url, schema }
}
type PgTarget = { engine: 'postgres'; url: string; schema: string }

function open(text: string): Promise<Database> {
  const t = parseTarget(text)
  return t.engine === 'sqlite'
    ? openDatabase({ engine: 'sqlite', path: t.path })
    : openDatabase({ engine: 'postgres', url: t.url }, { searchPath: t.schema })
}

async function pgClient(t: PgTarget): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: t.url, options: `-c search_path=${t.schema}` })
  await client.connect()
  return client
}

type Table = { table: string; columns: string[]; rows: unknown[][] }

/** Every row of the output tables, read back before the clock starts. */
async function readOutput(text: string): Promise<Table[]> {
  const t = parseTarget(text)
  if (t.engine === 'sqlite') {
    const from = new SqliteDatabase(t.path, { readonly: true })
    const data = OUTPUT_TABLES.map((table) => ({
      table,
      rows: from.prepare(`select * from "${table}"`).raw().all() as unknown[][],
      columns: from
        .prepare(`select * from "${table}" limit 0`)
        .columns()
        .map((c) => c.name),
    }))
    from.close()
    return data
  }
  const client = await pgClient(t)
  try {
    const data: Table[] = []
    for (const table of OUTPUT_TABLES) {
      // Rows in the order the import wrote them (the heap's order), as SQLite's rowid order.
      const result = await client.query({ text: `select * from "${table}"`, rowMode: 'array' })
      data.push({ table, columns: result.fields.map((f) => f.name), rows: result.rows })
    }
    return data
  } finally {
    await client.end()
  }
}

/** CPU seconds of this process (every thread) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from)
  return Number(((used.user + used.system) / 1e6).toFixed(2))
}

if (mode === 'import') {
  const database = await open(target)
  const cpu = process.cpuUsage()
  const report = await importFile(database, csv, { format: 'csv' })
  const cpuSeconds = cpuSince(cpu)
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
      cpuSeconds,
      peakRssMiB: peakRssMiB(),
    }),
  )
} else if (mode === 'raw-all') {
  // Baseline 1: every row the import wrote (transactions, cards, customers, locations, order
  // items, the daily rollup), read back from its ledger before the clock starts, loaded into a
  // fresh, migrated schema in one transaction by the engine's fastest raw path: the same
  // output with none of the work. SQLite: better-sqlite3 prepared inserts, the product's
  // connection settings. PostgreSQL: COPY (db/engines/postgres-copy.ts, what the import and
  // the seed load through).
  const [source = ''] = process.argv.slice(5)
  const database = await open(target)
  await database.close()
  const data = await readOutput(source)
  const t = parseTarget(target)
  let rows = 0
  let seconds: number
  const cpu = process.cpuUsage()
  if (t.engine === 'sqlite') {
    const raw = new SqliteDatabase(t.path)
    raw.pragma('journal_mode = WAL')
    raw.pragma('synchronous = NORMAL')
    raw.pragma('foreign_keys = ON')
    // The page cache the product's own connection has.
    raw.pragma(`cache_size = ${DEFAULT_CACHE_KIB}`)
    const started = performance.now()
    raw.transaction(() => {
      for (const { table, rows: tableRows, columns } of data) {
        const insert = raw.prepare(
          `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
        )
        for (const row of tableRows) insert.run(row)
        rows += tableRows.length
      }
    })()
    seconds = (performance.now() - started) / 1000
    raw.close()
  } else {
    const client = await pgClient(t)
    const started = performance.now()
    await client.query('begin')
    for (const { table, rows: tableRows, columns } of data)
      rows += await copyRows(client, table, columns, tableRows)
    await client.query('commit')
    seconds = (performance.now() - started) / 1000
    await client.end()
  }
  const cpuSeconds = cpuSince(cpu)
  console.log(
    JSON.stringify({
      rows,
      seconds,
      rowsPerSecond: rows / seconds,
      cpuSeconds,
      peakRssMiB: peakRssMiB(),
    }),
  )
} else {
  // Baseline 2 (context, SQLite only): only the CSV's transaction rows, parsed before the clock
  // starts, inserted with one prepared statement in one transaction into the same migrated
  // schema (its indexes included).
  const database = await open(target)
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
  const raw = new SqliteDatabase(target)
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
