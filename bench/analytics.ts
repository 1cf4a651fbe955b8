import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runChild } from './child.ts'

/**
 * `npm run bench -- analytics [--cards 1000000]`: on a seeded chain (its own SQLite file, made
 * first by another process and not timed), in one process: liability by jurisdiction (now and as of a past day),
 * the breakage forecast, the batch fraud scan, streaming scoring per event, segments, dormancy,
 * escheatment and affinity, with accuracy figures beside them, and a bare full scan of the ledger as the baseline.
 * Targets: liability < 1 s, forecast < 10 s, fraud scan < 60 s, streaming p99 < 0.5 ms,
 * peak RSS < 1.5 GB.
 */
export async function analyticsBench(args: string[]): Promise<void> {
  const i = args.indexOf('--cards')
  const cards = i >= 0 && args[i + 1] ? Number(args[i + 1]) : 1_000_000
  const dir = join(tmpdir(), `giftcards-analytics-bench-${process.pid}`)
  try {
    await runChild('./analytics-child.ts', ['seed', String(cards), dir])
    const result = await runChild<Record<string, unknown>>('./analytics-child.ts', [
      'measure',
      String(cards),
      dir,
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
      `analytics at ${cards.toLocaleString('en-US')} cards: liability ${r.liability.nowSeconds.toFixed(2)} s (as of a past day ${r.liability.asOfSeconds.toFixed(1)} s) | forecast ${r.forecast.seconds.toFixed(1)} s (backtest WAPE ${(r.forecast.backtest.wape * 100).toFixed(1)}% vs baseline ${(r.forecast.backtest.baselineWape * 100).toFixed(1)}%) | fraud scan ${r.fraud.scanSeconds.toFixed(1)} s (precision ${r.fraud.precision.toFixed(3)}, recall ${r.fraud.recall.toFixed(3)}, lowest pattern recall ${r.fraud.minPatternRecall.toFixed(3)}; on variants, ${(['tuning', 'heldOut'] as const).map((k) => `${k === 'heldOut' ? 'held-out' : 'tuning'} seeds ${r.fraud.variants[k].seeds}: precision ${r.fraud.variants[k].precision.toFixed(3)}, recall ${r.fraud.variants[k].recall.toFixed(3)}, lowest pattern recall ${r.fraud.variants[k].minPatternRecall.toFixed(3)}`).join('; ')}) | streaming p50 ${r.streaming.p50Ms.toFixed(3)} ms p99 ${r.streaming.p99Ms.toFixed(3)} ms | segments ${r.segments.seconds.toFixed(1)} s (agreement ${((r.segments.occasionAgreement ?? 0) * 100).toFixed(1)}%) | dormancy ${r.dormancy.seconds.toFixed(1)} s (AUC ${r.dormancy.reactivationAuc.toFixed(3)}) | escheatment ${r.escheatment.seconds.toFixed(1)} s | affinity ${r.affinity.seconds.toFixed(1)} s | bare ledger scan ${r.baselineScanSeconds.toFixed(1)} s (fraud scan ${(r.fraud.scanSeconds / r.baselineScanSeconds).toFixed(1)}× it) | peak ${r.peakRssMiB} MiB | speed and memory targets ${pass ? 'PASS' : 'FAIL'} | forecast accuracy target (WAPE ≤ 10% and ≥ 30% below the baseline's) ${accurate ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
