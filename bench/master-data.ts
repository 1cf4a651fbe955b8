import { once } from 'node:events'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../db/index.ts'
import { importFile, importMasterData } from '../ingest/index.ts'

const STATES = ['CA', 'New York', 'tx', 'Florida', 'WA', 'IL', 'ma', 'Georgia']

/** Writes `rows` lines made by `line(i)` after `header`, waiting for the disk. */
async function writeCsv(path: string, header: string, rows: number, line: (i: number) => string) {
  const out = createWriteStream(path)
  out.write(`${header}\n`)
  for (let i = 0; i < rows; i++) if (!out.write(`${line(i)}\n`)) await once(out, 'drain')
  out.end()
  await once(out, 'finish')
}

/**
 * `npm run bench -- master-data [--customers 50000]`: a CRM export loaded over a ledger whose
 * events made every customer a stub (docs/ingest.md, "Master data"), on SQLite. Beside it, in
 * the same run, the baseline: importing the events themselves (one activation per customer),
 * so the figure is the upsert's cost per row relative to the event import's; then the same
 * file again (every row compared, none written).
 */
export async function masterDataBench(args: string[]): Promise<void> {
  const i = args.indexOf('--customers')
  const customers = i >= 0 && args[i + 1] ? Number(args[i + 1]) : 50_000
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-master-data-bench-'))
  try {
    const events = join(dir, 'events.csv')
    const crm = join(dir, 'customers.csv')
    const id = (n: number) => `cus_${String(n).padStart(8, '0')}`
    await writeCsv(
      events,
      'event_id,occurred_at,card_id,type,amount,currency,location_id,customer_id',
      customers,
      (n) =>
        `e${n},${new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString()},gc${n},activate,25.00,USD,loc_${n % 40},${id(n)}`,
    )
    await writeCsv(
      crm,
      'customer_id,name,email,phone,state,postal_code,segment,created_at',
      customers,
      (n) =>
        `${id(n)},Person ${n},person${n}@example.com,+1 716 555 ${String(n % 10_000).padStart(4, '0')},${STATES[n % STATES.length]},14201,${n % 10 === 0 ? 'vip' : ''},2024-01-01`,
    )
    const database = await openDatabase({ engine: 'sqlite', path: join(dir, 'bench.db') })
    try {
      const time = async <T>(work: () => Promise<T>) => {
        const started = performance.now()
        const result = await work()
        return { result, seconds: (performance.now() - started) / 1000 }
      }
      const baseline = await time(() => importFile(database, events, { format: 'csv' }))
      const first = await time(() => importMasterData(database, crm, { format: 'customers' }))
      const again = await time(() => importMasterData(database, crm, { format: 'customers' }))
      const figures = {
        customers,
        baselineEventImportSeconds: round(baseline.seconds),
        firstLoadSeconds: round(first.seconds),
        reloadSeconds: round(again.seconds),
        firstLoadVsEventImport: round(first.seconds / baseline.seconds),
        reloadVsFirstLoad: round(again.seconds / first.seconds),
        enriched: first.result.enriched,
        unchangedOnReload: again.result.unchanged,
      }
      console.log(JSON.stringify(figures, null, 2))
      console.log(
        `master data: ${customers} customers enriched in ${figures.firstLoadSeconds} s (${figures.firstLoadVsEventImport}× the event import of the same rows), reloaded unchanged in ${figures.reloadSeconds} s`,
      )
    } finally {
      await database.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const round = (x: number) => Math.round(x * 100) / 100
