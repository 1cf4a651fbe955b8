import { mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { runChild } from './child.ts'

/**
 * `npm run bench -- analytics [--cards 1000000] [--engine sqlite|postgres]`: on a seeded chain
 * (its own SQLite file, or with `--engine postgres` its own schema on DATABASE_URL or
 * TEST_DATABASE_URL, seeded through COPY; made first by another process and not timed), in one process: liability by jurisdiction (now and as of a past day),
 * the breakage forecast, the batch fraud scan, streaming scoring per event, segments, dormancy,
 * escheatment and affinity, with accuracy figures beside them, and a bare full scan of the ledger as the baseline.
 * Targets: liability < 1 s, forecast < 10 s, fraud scan < 60 s, streaming p99 < 0.5 ms,
 * peak RSS < 1.5 GB.
 */
export async function analyticsBench(args: string[]): Promise<void> {
  const i = args.indexOf('--cards')
  const cards = i >= 0 && args[i + 1] ? Number(args[i + 1]) : 1_000_000
  const e = args.indexOf('--engine')
  const engine = e >= 0 ? args[e + 1] : 'sqlite'
  if (engine !== 'sqlite' && engine !== 'postgres')
    throw new Error(`--engine must be sqlite or postgres, not ${engine}`)
  const dir = join(tmpdir(), `giftcards-analytics-bench-${process.pid}`)
  mkdirSync(dir, { recursive: true })
  // PostgreSQL: a schema of its own on DATABASE_URL (or TEST_DATABASE_URL), dropped after.
  let target = ''
  let drop: (() => Promise<void>) | undefined
  if (engine === 'postgres') {
    const url = [process.env.DATABASE_URL, process.env.TEST_DATABASE_URL].find((u) =>
      u?.startsWith('postgres'),
    )
    if (!url) throw new Error('--engine postgres needs DATABASE_URL or TEST_DATABASE_URL')
    const schema = `bench_analytics_${process.pid}`
    const admin = async (statement: string) => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query(statement)
      } finally {
        await client.end()
      }
    }
    await admin(`create schema ${schema}`)
    target = `${url}#${schema}`
    drop = () => admin(`drop schema ${schema} cascade`)
  }
  try {
    await runChild('./analytics-child.ts', ['seed', String(cards), dir, target])
    const result = await runChild<Record<string, unknown>>('./analytics-child.ts', [
      'measure',
      String(cards),
      dir,
      target,
    ])
    console.log(JSON.stringify({ bench: 'analytics', ...result }, null, 2))
    const r = result as {
      liability: { nowSeconds: number; asOfSeconds: number }
      forecast: { seconds: number; backtest: { wape: number; baselineWape: number } }
      fraud: {
        scanSeconds: number
        precision: number
        recall: number
        minPatternRecall: number
        variants: Record<
          'tuning' | 'heldOut',
          { seeds: string; precision: number; recall: number; minPatternRecall: number }
        >
      }
      streaming: { p50Ms: number; p99Ms: number }
      baselineScanSeconds: number
      peakRssMiB: number
      segments: { seconds: number; occasionAgreement: number | null }
      dormancy: { seconds: number; reactivationAuc: number }
      escheatment: { seconds: number }
      affinity: { seconds: number }
    }
    const pass =
      r.liability.nowSeconds < 1 &&
      r.forecast.seconds < 10 &&
      r.fraud.scanSeconds < 60 &&
      r.streaming.p99Ms < 0.5 &&
      r.peakRssMiB < 1536
    const { wape, baselineWape } = r.forecast.backtest
    const accurate = wape <= 0.1 && wape <= 0.7 * baselineWape
    console.log(
      `analytics on ${engine} at ${cards.toLocaleString('en-US')} cards: liability ${r.liability.nowSeconds.toFixed(2)} s (as of a past day ${r.liability.asOfSeconds.toFixed(1)} s) | forecast ${r.forecast.seconds.toFixed(1)} s (backtest WAPE ${(r.forecast.backtest.wape * 100).toFixed(1)}% vs baseline ${(r.forecast.backtest.baselineWape * 100).toFixed(1)}%) | fraud scan ${r.fraud.scanSeconds.toFixed(1)} s (precision ${r.fraud.precision.toFixed(3)}, recall ${r.fraud.recall.toFixed(3)}, lowest pattern recall ${r.fraud.minPatternRecall.toFixed(3)}; on variants, ${(['tuning', 'heldOut'] as const).map((k) => `${k === 'heldOut' ? 'held-out' : 'tuning'} seeds ${r.fraud.variants[k].seeds}: precision ${r.fraud.variants[k].precision.toFixed(3)}, recall ${r.fraud.variants[k].recall.toFixed(3)}, lowest pattern recall ${r.fraud.variants[k].minPatternRecall.toFixed(3)}`).join('; ')}) | streaming p50 ${r.streaming.p50Ms.toFixed(3)} ms p99 ${r.streaming.p99Ms.toFixed(3)} ms | segments ${r.segments.seconds.toFixed(1)} s (agreement ${((r.segments.occasionAgreement ?? 0) * 100).toFixed(1)}%) | dormancy ${r.dormancy.seconds.toFixed(1)} s (AUC ${r.dormancy.reactivationAuc.toFixed(3)}) | escheatment ${r.escheatment.seconds.toFixed(1)} s | affinity ${r.affinity.seconds.toFixed(1)} s | bare ledger scan ${r.baselineScanSeconds.toFixed(1)} s (fraud scan ${(r.fraud.scanSeconds / r.baselineScanSeconds).toFixed(1)}× it) | peak ${r.peakRssMiB} MiB | speed and memory targets ${pass ? 'PASS' : 'FAIL'} | forecast accuracy target (WAPE ≤ 10% and ≥ 30% below the baseline's) ${accurate ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    await drop?.()
    rmSync(dir, { recursive: true, force: true })
  }
}
