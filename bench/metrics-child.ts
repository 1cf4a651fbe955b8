import { parseDate } from '../core/index.ts'
import {
  type Database,
  endOfChainDay,
  ledgerLiability,
  ledgerMetric,
  liabilityAsOf,
  openDatabase,
} from '../db/index.ts'
import { seedChain } from '../synth/seed.ts'
import { peakRssMiB } from './child.ts'

/**
 * One run of bench/metrics.ts: `seed CARDS TARGET` makes the chain (its own process, not
 * timed), `measure CARDS TARGET` times the rollup's answers against the ledger scans they
 * replace. TARGET is a SQLite path or a postgres:// URL (`#schema` picks the schema).
 */
const [mode, cardsArg, target = ''] = process.argv.slice(2)
const cards = Number(cardsArg)

async function open(): Promise<Database> {
  if (target.startsWith('postgres')) {
    const [url, schema] = target.split('#') as [string, string]
    return openDatabase({ engine: 'postgres', url }, { searchPath: schema })
  }
  return openDatabase({ engine: 'sqlite', path: target })
}

const database = await open()
if (mode === 'seed') {
  // Three years, like the analytics bench: the series below covers the last two.
  await seedChain(database, { cards, seed: 42, startMs: parseDate('2023-01-01'), months: 36 })
  await database.close()
  console.log(JSON.stringify({ seeded: cards }))
  process.exit(0)
}

const time = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now()
  const value = await work()
  return [value, (performance.now() - started) / 1000]
}
const db = database.db
const count = async (table: 'ledger_daily' | 'gift_card_transactions') =>
  Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

// As-of liability by jurisdiction at the end of a past chain day.
const asOf = await endOfChainDay(db, '2025-06-30')
await liabilityAsOf(db, { asOf, groupBy: 'jurisdiction' }) // warm the rollup's pages once
const [rolled, asOfSeconds] = await time(() => liabilityAsOf(db, { asOf, groupBy: 'jurisdiction' }))
const [scanned, asOfBaselineSeconds] = await time(() => ledgerLiability(db, asOf, 'jurisdiction'))
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
const numbers = (rows: { key: string; cards: number; liabilityCents: number }[]) =>
  rows.map((r) => ({
    key: r.key,
    cards: Number(r.cards),
    liabilityCents: Number(r.liabilityCents),
  }))

// Two years of month-end liability by jurisdiction: one rollup read against a ledger scan per month.
const months = Array.from({ length: 24 }, (_, i) => {
  const end = new Date(Date.UTC(2024, i + 1, 0))
  return end.toISOString().slice(0, 10)
})
const [series, seriesSeconds] = await time(() =>
  ledgerMetric(db, {
    metric: 'liability',
    by: ['month', 'jurisdiction'],
    from: '2024-01-01',
    to: '2025-12-31',
  }),
)
let seriesEqual = true
const [, seriesBaselineSeconds] = await time(async () => {
  for (const day of months) {
    const rows = await ledgerLiability(db, await endOfChainDay(db, day), 'jurisdiction')
    const month = day.slice(0, 7)
    const mine = series.rows
      .filter((r) => r.keys.month === month)
      .map((r) => ({ key: r.keys.jurisdiction, cards: r.count, liabilityCents: r.amountCents }))
      .sort(
        (a, b) => b.liabilityCents - a.liabilityCents || ((a.key ?? '') < (b.key ?? '') ? -1 : 1),
      )
    if (!same(mine, numbers(rows))) seriesEqual = false
  }
})
// A flow series too (redemptions by month and jurisdiction), for scale.
const [, flowSeconds] = await time(() =>
  ledgerMetric(db, {
    metric: 'redemptions',
    by: ['month', 'jurisdiction'],
    from: '2024-01-01',
    to: '2025-12-31',
  }),
)

console.log(
  JSON.stringify({
    engine: database.engine,
    cards,
    ledgerRows: await count('gift_card_transactions'),
    rollupRows: await count('ledger_daily'),
    asOf: {
      day: '2025-06-30',
      seconds: asOfSeconds,
      baselineSeconds: asOfBaselineSeconds,
      ratio: asOfBaselineSeconds / asOfSeconds,
      equal: same(numbers(rolled), numbers(scanned)),
    },
    series: {
      months: months.length,
      rows: series.rows.length,
      seconds: seriesSeconds,
      baselineSeconds: seriesBaselineSeconds,
      ratio: seriesBaselineSeconds / seriesSeconds,
      equal: seriesEqual,
    },
    redemptionsSeriesSeconds: flowSeconds,
    peakRssMiB: peakRssMiB(),
  }),
)
await database.close()
