import { createWriteStream, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseDate } from '../core/index.ts'
import { ChainGenerator } from '../synth/generator.ts'
import { SEED_COLUMNS } from '../synth/rows.ts'
import { runChild } from './child.ts'

export type ImportRun = { rows: number; seconds: number; rowsPerSecond: number; peakRssMiB: number }

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

/**
 * `npm run bench -- import [--rows 1000000]`: `giftcards import` of a CSV export into a fresh
 * SQLite ledger, against raw better-sqlite3 prepared inserts, in one transaction, of every row
 * the import wrote (the same output without parsing, validation, idempotency or balance work),
 * in the same run; beside it, raw inserts of the transaction rows alone, for context.
 * Targets: ratio ≥ 0.5, peak RSS under 500 MB.
 */
export async function importBench(args: string[]): Promise<void> {
  const rowsArg = args[args.indexOf('--rows') + 1]
  const rows = args.includes('--rows') && rowsArg ? Number(rowsArg) : 1_000_000
  const dir = join(tmpdir(), `giftcards-import-bench-${process.pid}`)
  await mkdir(dir, { recursive: true })
  try {
    const csv = join(dir, 'export.csv')
    const written = await writeExportCsv(csv, rows)
    const importDb = join(dir, 'import.db')
    const product = await runChild<ImportRun>('./import-child.ts', ['import', csv, importDb])
    const rawAll = await runChild<ImportRun>('./import-child.ts', [
      'raw-all',
      csv,
      join(dir, 'raw-all.db'),
      importDb,
    ])
    const rawTx = await runChild<ImportRun>('./import-child.ts', ['raw', csv, join(dir, 'raw.db')])
    const ratio = rawAll.seconds / product.seconds
    const txOnlyRatio = rawTx.seconds / product.seconds
    const result = {
      bench: 'import',
      rows: written,
      import: product,
      baseline: {
        what: 'raw prepared inserts of every row the import wrote (transactions, cards, customers, locations), one transaction',
        ...rawAll,
      },
      transactionsOnly: {
        what: 'raw prepared inserts of the CSV transaction rows only, one transaction',
        ...rawTx,
      },
      ratio: Number(ratio.toFixed(3)),
      transactionsOnlyRatio: Number(txOnlyRatio.toFixed(3)),
      targets: { ratio: 0.5, peakRssMiB: 500 },
    }
    console.log(JSON.stringify(result, null, 2))
    const pass = ratio >= 0.5 && product.peakRssMiB < 500
    console.log(
      `import ${written.toLocaleString('en-US')} CSV rows: ${product.seconds.toFixed(1)} s, ${Math.round(product.rowsPerSecond).toLocaleString('en-US')} rows/s, peak ${product.peakRssMiB} MiB | raw inserts of the same output (${rawAll.rows.toLocaleString('en-US')} rows) ${rawAll.seconds.toFixed(1)} s: ratio ${ratio.toFixed(3)} | transaction rows alone ${rawTx.seconds.toFixed(1)} s: ratio ${txOnlyRatio.toFixed(3)} | target ratio ≥ 0.5, RSS < 500 MiB ${pass ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
