import { join } from 'node:path'
import { sql } from 'kysely'
import {
  backtestBreakage,
  backtestReactivation,
  escheatmentReport,
  evaluateAlerts,
  evaluateWorlds,
  FraudEngine,
  findDormantCards,
  forecastBreakage,
  loadFraudContext,
  productAffinity,
  scanLedger,
  segmentPurchasers,
  toScored,
} from '../analytics/index.ts'
import { FRAUD_PATTERNS, parseDate } from '../core/index.ts'
import { type Database, liabilityAsOf, openDatabase } from '../db/index.ts'
import { generateVariant, HELD_OUT_SEED } from '../synth/fraud-variants.ts'
import { readLabels } from '../synth/measure.ts'
import { seedChain } from '../synth/seed.ts'
import { peakRssMiB } from './child.ts'

/**
 * One run of bench/analytics.ts: `seed CARDS DIR [TARGET]` makes the chain (in a process of its
 * own, so the seed's memory is not counted), `measure CARDS DIR [TARGET]` times the analytics on
 * it. The ground-truth labels are in DIR; the ledger is DIR/ledger.db, or TARGET when it is a
 * postgres:// URL (`#schema` picks the schema; the seed loads it through COPY).
 */
const [mode, cardsArg, dir = '', target = ''] = process.argv.slice(2)
const cards = Number(cardsArg)
const labelsPath = join(dir, 'labels.jsonl')
const database = await open()

async function open(): Promise<Database> {
  if (target.startsWith('postgres')) {
    const [url, schema] = target.split('#') as [string, string | undefined]
    return openDatabase({ engine: 'postgres', url }, schema ? { searchPath: schema } : {})
  }
  return openDatabase({ engine: 'sqlite', path: join(dir, 'ledger.db') })
}
if (mode === 'seed') {
  await seedChain(database, {
    cards,
    seed: 42,
    // Three years: the backtest as of 2025-01-01 then has two behind it, one holiday season
    // among them (a forecast cannot learn January's post-holiday spike from a history that
    // never saw one: from a single year it under-forecasts that January by about 30%).
    startMs: parseDate('2023-01-01'),
    months: 36,
    labelsPath,
  })
  await database.close()
  console.log(JSON.stringify({ seeded: cards }))
  process.exit(0)
}
/** Peak RSS so far after each step (the process's peak only grows): which step set it. */
const peakAfter: Record<string, number> = {}
const time = async <T>(work: () => Promise<T>, step?: string): Promise<[T, number]> => {
  const started = performance.now()
  const value = await work()
  if (step) peakAfter[step] = peakRssMiB()
  return [value, (performance.now() - started) / 1000]
}

const [, nowSeconds] = await time(
  () => liabilityAsOf(database.db, { groupBy: 'jurisdiction' }),
  'liability',
)
const [, asOfSeconds] = await time(() =>
  liabilityAsOf(database.db, { groupBy: 'jurisdiction', asOf: '2025-07-01T00:00:00.000Z' }),
)
const [, forecastSeconds] = await time(
  () => forecastBreakage(database, { store: false }),
  'forecast',
)
const [backtest] = await time(() => backtestBreakage(database, { asOf: '2025-01-01' }), 'backtest')
const [alerts, scanSeconds] = await time(() => scanLedger(database), 'fraudScan')
const evaluation = evaluateAlerts(alerts, readLabels(labelsPath), cards)
const [segments, segmentsSeconds] = await time(() => segmentPurchasers(database), 'segments')
const [, dormancySeconds] = await time(() => findDormantCards(database, { limit: 100 }), 'dormancy')
const [reactivation] = await time(
  () => backtestReactivation(database, { asOf: '2025-06-01' }),
  'reactivationBacktest',
)
const [, escheatmentSeconds] = await time(
  () => escheatmentReport(database, { horizonMonths: 6 }),
  'escheatment',
)
const [, affinitySeconds] = await time(
  () => productAffinity(database, { context: 'bought_alongside' }),
  'affinity',
)
// The table itself, not the card index (which carries the amounts and would answer alone).
const [, baselineScanSeconds] = await time(() =>
  sql`select count(*), sum(amount_cents), max(occurred_at) from ${sql.raw(database.adapter.fullScan('gift_card_transactions'))}`.execute(
    database.db,
  ),
)

// Streaming: score the last 200,000 events one by one on a warm engine, timing each.
const engine = new FraudEngine(await loadFraudContext(database))
const rows = await database.db
  .selectFrom('gift_card_transactions')
  .selectAll()
  .orderBy('occurred_at', 'desc')
  .limit(200_000)
  .execute()
rows.reverse()
const latencies: number[] = []
for (const row of rows) {
  const event = toScored(row)
  const t = performance.now()
  engine.observe(event)
  latencies.push(performance.now() - t)
}
latencies.sort((a, b) => a - b)
const pct = (p: number) => latencies[Math.floor(p * (latencies.length - 1))] ?? 0
await database.close()

// The detectors on the variant generator's worlds: the tuning seeds and the held-out ones.
const variantFigures = (first: number, count: number) => {
  const e = evaluateWorlds(Array.from({ length: count }, (_, i) => generateVariant(first + i)))
  return {
    seeds: `${first}-${first + count - 1}`,
    precision: e.overall.precision,
    recall: e.overall.recall,
    minPatternRecall: Math.min(...FRAUD_PATTERNS.map((p) => e.byPattern[p].recall)),
  }
}
const [variants, variantSeconds] = await time(async () => ({
  tuning: variantFigures(1, 100),
  heldOut: variantFigures(HELD_OUT_SEED, 200),
}))

console.log(
  JSON.stringify({
    cards,
    engine: database.adapter.engine,
    liability: { nowSeconds, asOfSeconds },
    forecast: {
      seconds: forecastSeconds,
      backtest: {
        wape: backtest.model.wape,
        baselineWape: backtest.baseline.wape,
        improvement: backtest.wapeImprovement,
        breakage12Error: backtest.model.breakage12Error,
      },
    },
    fraud: {
      scanSeconds,
      alerts: alerts.length,
      precision: evaluation.overall.precision,
      recall: evaluation.overall.recall,
      minPatternRecall: Math.min(...FRAUD_PATTERNS.map((p) => evaluation.byPattern[p].recall)),
      variants: { ...variants, seconds: variantSeconds },
    },
    streaming: { events: latencies.length, p50Ms: pct(0.5), p99Ms: pct(0.99) },
    segments: {
      seconds: segmentsSeconds,
      occasionAgreement: segments.occasionAccuracy?.agreement ?? null,
    },
    dormancy: { seconds: dormancySeconds, reactivationAuc: reactivation.auc },
    escheatment: { seconds: escheatmentSeconds },
    affinity: { seconds: affinitySeconds },
    baselineScanSeconds,
    peakRssMiB: peakRssMiB(),
    peakRssMiBAfter: peakAfter,
  }),
)
