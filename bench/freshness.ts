import { rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { loadConfig, parseDate } from '../core/index.ts'
import { countAll, type Database, ledgerWatermark, openDatabase } from '../db/index.ts'
import { seedChain } from '../synth/seed.ts'
import { ledgerFreshness } from '../tools/index.ts'

/** Median wall-clock milliseconds of `work`, after a warm-up call. */
async function medianMs(work: () => Promise<unknown>, calls: number): Promise<number> {
  await work()
  const samples: number[] = []
  for (let i = 0; i < calls; i++) {
    const began = performance.now()
    await work()
    samples.push(performance.now() - began)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)] as number
}

/**
 * `npm run bench -- freshness [--cards 100000] [--calls 200]`: what `/healthz` now reads on
 * every call (each source's newest event and receipt, docs/reconciliation.md) on a seeded SQLite
 * chain, beside, in the same run, the one query it read before (the ledger watermark, an index
 * probe: the baseline) and the same freshness read with migration 0012's indexes dropped (the
 * scan it would be without them), with a Square feed that stopped in mid-2025 among the events.
 * Target: under 1 ms whatever the ledger's size (14 index probes and two small tables); the
 * unindexed read grows with the ledger.
 */
export async function freshnessBench(args: string[]): Promise<void> {
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(name)
    return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback
  }
  const cards = option('--cards', 100_000)
  const calls = option('--calls', 200)
  const dir = join(tmpdir(), `giftcards-freshness-bench-${process.pid}`)
  await mkdir(dir, { recursive: true })
  const config = loadConfig({ GENERIC_WEBHOOK_SECRET: 'bench', AUDIT_CHECKPOINT_FILE: 'off' })
  let database: Database | undefined
  try {
    database = await openDatabase({ engine: 'sqlite', path: join(dir, 'ledger.db') })
    const opened = database
    await seedChain(opened, { cards, seed: 42, startMs: parseDate('2024-11-01'), months: 24 })
    // A feed that stopped: every tenth event before mid-2025 came from Square, none since
    // (its newest event is old, so neither the time index nor the event key finds it at once).
    await sql`update gift_card_transactions set source = 'square', event_id = 'sq-' || event_id where id % 10 = 0 and occurred_at < '2025-06-01'`.execute(
      opened.db,
    )
    const rows = Number(
      (
        await opened.db
          .selectFrom('gift_card_transactions')
          .select(countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
    const watermarkMs = await medianMs(() => ledgerWatermark(opened.db), calls)
    const freshnessMs = await medianMs(() => ledgerFreshness(opened, config), calls)
    await sql`drop index gift_card_transactions_source_occurred_idx`.execute(opened.db)
    await sql`drop index webhook_inbox_source_received_idx`.execute(opened.db)
    const unindexedMs = await medianMs(
      () => ledgerFreshness(opened, config),
      Math.max(3, Math.round(calls / 50)),
    )
    const ratio = freshnessMs / watermarkMs
    const result = {
      engine: 'sqlite',
      cards,
      ledgerRows: rows,
      watermarkMs: Number(watermarkMs.toFixed(4)),
      freshnessMs: Number(freshnessMs.toFixed(4)),
      unindexedFreshnessMs: Number(unindexedMs.toFixed(2)),
      ratio: Number(ratio.toFixed(1)),
      targetMs: 1,
    }
    console.log(JSON.stringify(result, null, 2))
    console.log(
      `freshness: ${result.freshnessMs} ms per /healthz read vs ${result.watermarkMs} ms for the watermark alone (×${result.ratio}; target < 1 ms) on ${rows.toLocaleString('en-US')} rows; ${result.unindexedFreshnessMs} ms without migration 0012's indexes`,
    )
  } finally {
    await database?.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
