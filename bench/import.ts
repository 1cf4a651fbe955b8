import { createWriteStream, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { parseDate } from '../core/index.ts'
import { ChainGenerator } from '../synth/generator.ts'
import { SEED_COLUMNS } from '../synth/rows.ts'
import { runChild } from './child.ts'

export type ImportRun = {
  rows: number
  seconds: number
  rowsPerSecond: number
  /**
   * CPU time of the measured work, every thread of its process (the import's writer thread
   * included; PostgreSQL's server not): on a shared machine, the wall clock also measures the
   * queue for a core.
   */
  cpuSeconds?: number
  peakRssMiB: number
}

const TX = SEED_COLUMNS.gift_card_transactions
const col = (name: (typeof TX)[number]) => TX.indexOf(name)

/**
 * Writes a time-ordered CSV export of about `rows` transactions, made by the synthetic chain,
 * the way a POS export looks (amounts in major units, balance after each event).
 */
export async function writeExportCsv(path: string, rows: number): Promise<number> {
  const txRows: unknown[][] = []
  const generator = new ChainGenerator(
    { cards: Math.ceil(rows / 9), seed: 11, startMs: parseDate('2024-01-01'), months: 24 },
    (table, row) => {
      if (table === 'gift_card_transactions' && row[col('card_id')] !== null)
        txRows.push(row as unknown[])
    },
    () => {},
  )
  await generator.run(() => {})
  txRows.sort((a, b) =>
    (a[col('occurred_at')] as string) < (b[col('occurred_at')] as string) ? -1 : 1,
  )
  const out = createWriteStream(path)
  out.write(
    'event_id,occurred_at,card_id,type,amount,currency,balance_after,location_id,terminal_id,order_id,customer_id,employee_id\n',
  )
  const major = (cents: unknown) => (Math.abs(Number(cents)) / 100).toFixed(2)
  let written = 0
  for (const r of txRows.slice(0, rows)) {
    const line = [
      r[col('event_id')],
      r[col('occurred_at')],
      r[col('card_id')],
      r[col('type')],
      major(r[col('amount_cents')]),
      r[col('currency')],
      major(r[col('balance_after_cents')]),
      r[col('location_id')] ?? '',
      r[col('terminal_id')] ?? '',
      r[col('order_id')] ?? '',
      r[col('customer_id')] ?? '',
      r[col('employee_id')] ?? '',
    ].join(',')
    if (!out.write(`${line}\n`))
      await new Promise<void>((resolve) => out.once('drain', () => resolve()))
    written++
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  )
  return written
}

/** The bars of issue 17: the ratio to raw inserts of the same output, and peak RSS at 3M rows. */
const TARGETS = { ratio: 0.6, peakRssMiB: 500 }

type EngineRun = {
  engine: 'sqlite' | 'postgres'
  import: ImportRun
  baseline: ImportRun & { what: string }
  ratio: number
  pass: boolean
}

/**
 * `npm run bench -- import [--rows 3000000] [--engine sqlite|postgres]`: `giftcards import` of
 * a CSV export into a fresh ledger, against the engine's fastest raw load, in one transaction,
 * of every row the import wrote (transactions, cards, customers, locations, order items, the
 * daily rollup: the same output without parsing, validation, idempotency or balance work), in
 * the same run. SQLite: raw better-sqlite3 prepared inserts, and beside them the transaction
 * rows alone, for context. `--engine postgres` (DATABASE_URL or TEST_DATABASE_URL) runs
 * PostgreSQL too, each engine in a fresh schema of its own, its baseline COPY, and gives the
 * import's speed on PostgreSQL against SQLite's. Targets (issue 17): ratio ≥ 0.6, peak RSS
 * under 500 MiB, at the default 3,000,000 rows.
 */
export async function importBench(args: string[]): Promise<void> {
  const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
  const rows = Number(arg('--rows') ?? 3_000_000)
  const engine = arg('--engine') ?? 'sqlite'
  if (engine !== 'sqlite' && engine !== 'postgres')
    throw new Error(`--engine is sqlite or postgres, not ${engine}`)
  const url = process.env.DATABASE_URL?.startsWith('postgres')
    ? process.env.DATABASE_URL
    : process.env.TEST_DATABASE_URL
  if (engine === 'postgres' && !url?.startsWith('postgres'))
    throw new Error('--engine postgres needs DATABASE_URL or TEST_DATABASE_URL')
  const dir = join(tmpdir(), `giftcards-import-bench-${process.pid}`)
  await mkdir(dir, { recursive: true })
  const schemas: string[] = []
  try {
    const csv = join(dir, 'export.csv')
    const written = await writeExportCsv(csv, rows)
    const runs: EngineRun[] = []
    const measure = async (
      name: EngineRun['engine'],
      product: string,
      baseline: string,
      what: string,
    ) => {
      const run = await runChild<ImportRun>('./import-child.ts', ['import', csv, product])
      const raw = await runChild<ImportRun>('./import-child.ts', [
        'raw-all',
        csv,
        baseline,
        product,
      ])
      const ratio = Number((raw.seconds / run.seconds).toFixed(3))
      const pass = ratio >= TARGETS.ratio && run.peakRssMiB < TARGETS.peakRssMiB
      runs.push({ engine: name, import: run, baseline: { what, ...raw }, ratio, pass })
    }
    await measure(
      'sqlite',
      join(dir, 'import.db'),
      join(dir, 'raw-all.db'),
      'raw prepared inserts of every row the import wrote (transactions, cards, customers, locations, order items, daily rollup), one transaction',
    )
    const rawTx = await runChild<ImportRun>('./import-child.ts', ['raw', csv, join(dir, 'raw.db')])
    if (engine === 'postgres' && url) {
      const schema = (name: string) => {
        const s = `bench_import_${process.pid}_${name}`
        schemas.push(s)
        return `${url}#${s}`
      }
      const product = schema('import')
      const baseline = schema('raw')
      await resetSchemas(url, schemas, true)
      await measure(
        'postgres',
        product,
        baseline,
        'COPY of every row the import wrote (the same tables), one transaction',
      )
    }
    const sqlite = runs[0] as EngineRun
    const postgres = runs[1]
    const result = {
      bench: 'import',
      rows: written,
      runs,
      transactionsOnly: {
        what: 'SQLite: raw prepared inserts of the CSV transaction rows only, one transaction',
        ...rawTx,
        ratio: Number((rawTx.seconds / sqlite.import.seconds).toFixed(3)),
      },
      ...(postgres
        ? {
            postgresToSqlite: Number((sqlite.import.seconds / postgres.import.seconds).toFixed(3)),
          }
        : {}),
      targets: TARGETS,
    }
    console.log(JSON.stringify(result, null, 2))
    const n = (x: number) => x.toLocaleString('en-US')
    const line = (r: EngineRun) =>
      `${r.engine}: ${r.import.seconds.toFixed(1)} s (${r.import.cpuSeconds} s of CPU), ${n(Math.round(r.import.rowsPerSecond))} rows/s, peak ${r.import.peakRssMiB} MiB | raw load of the same output (${n(r.baseline.rows)} rows) ${r.baseline.seconds.toFixed(1)} s (${r.baseline.cpuSeconds} s of CPU): ratio ${r.ratio.toFixed(3)} ${r.pass ? 'PASS' : 'FAIL'}`
    console.log(
      `import ${n(written)} CSV rows | ${runs.map(line).join(' | ')} | SQLite transaction rows alone ${rawTx.seconds.toFixed(1)} s: ratio ${result.transactionsOnly.ratio.toFixed(3)}${postgres ? ` | PostgreSQL import at ${result.postgresToSqlite?.toFixed(3)}× SQLite's speed` : ''} | targets ratio ≥ ${TARGETS.ratio}, RSS < ${TARGETS.peakRssMiB} MiB`,
    )
  } finally {
    if (url && schemas.length > 0) await resetSchemas(url, schemas, false)
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Drops `schemas` and, if `create`, makes them again, empty. */
async function resetSchemas(url: string, schemas: readonly string[], create: boolean) {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    for (const s of schemas) {
      await admin.query(`drop schema if exists ${s} cascade`)
      if (create) await admin.query(`create schema ${s}`)
    }
  } finally {
    await admin.end()
  }
}
