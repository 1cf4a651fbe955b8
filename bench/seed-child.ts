import SqliteDatabase from 'better-sqlite3'
import { parseDate } from '../core/index.ts'
import { dropIndex, openDatabase } from '../db/index.ts'
import { ChainGenerator } from '../synth/generator.ts'
import { SEED_COLUMNS, type SeedTable } from '../synth/rows.ts'
import { seedChain } from '../synth/seed.ts'
import { peakRssMiB } from './child.ts'

/** One measurement of bench/seed.ts, in its own process: `seed|raw CARDS FILE START MONTHS`. */
const [mode, cardsArg, file, start, monthsArg] = process.argv.slice(2)
const params = {
  cards: Number(cardsArg),
  seed: 42,
  startMs: parseDate(start ?? ''),
  months: Number(monthsArg),
}

if (mode === 'seed') {
  const database = await openDatabase({ engine: 'sqlite', path: file ?? '' })
  const started = performance.now()
  const report = await seedChain(database, params)
  const seconds = (performance.now() - started) / 1000
  await database.close()
  const rows = report.cards + report.transactions + report.customers + report.orderItems
  console.log(
    JSON.stringify({
      cards: report.cards,
      rows,
      seconds,
      rowsPerSecond: rows / seconds,
      peakRssMiB: peakRssMiB(),
    }),
  )
} else {
  // The baseline: the same rows, captured from the same generator, inserted with raw prepared
  // statements in one transaction into the same schema; only inserts and the index build count.
  const database = await openDatabase({ engine: 'sqlite', path: file ?? '' })
  const indexes = await database.adapter.listSecondaryIndexes(
    database.db,
    Object.keys(SEED_COLUMNS),
  )
  for (const index of indexes) await dropIndex(database.db, index)
  await database.close()
  const raw = new SqliteDatabase(file ?? '')
  raw.pragma('journal_mode = WAL')
  raw.pragma('foreign_keys = ON')
  raw.pragma('synchronous = OFF')
  raw.pragma('cache_size = -262144')
  const statements = new Map(
    Object.entries(SEED_COLUMNS).map(([table, cols]) => [
      table,
      raw.prepare(
        `insert into "${table}" (${cols.map((c) => `"${c}"`).join(', ')}) values (${cols.map(() => '?').join(', ')})`,
      ),
    ]),
  )
  let buffer: [SeedTable, readonly unknown[]][] = []
  let rows = 0
  let insertMs = 0
  const drain = () => {
    const t = performance.now()
    for (const [table, row] of buffer) statements.get(table)?.run(row as unknown[])
    insertMs += performance.now() - t
    rows += buffer.length
    buffer = []
  }
  const generator = new ChainGenerator(
    params,
    (table, row) => buffer.push([table, row]),
    () => {},
  )
  let t = performance.now()
  raw.exec('begin')
  insertMs += performance.now() - t
  await generator.run(() => {
    if (buffer.length >= 100_000) drain()
  })
  drain()
  t = performance.now()
  raw.exec('commit')
  for (const index of indexes) raw.exec(index.sql)
  insertMs += performance.now() - t
  raw.close()
  const seconds = insertMs / 1000
  console.log(
    JSON.stringify({
      cards: generator.cardsWritten,
      rows,
      seconds,
      rowsPerSecond: rows / seconds,
      peakRssMiB: peakRssMiB(),
    }),
  )
}
