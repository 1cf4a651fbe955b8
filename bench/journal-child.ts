import { join } from 'node:path'
import { cardMovesQuery, forecastBreakage } from '../analytics/index.ts'
import { loadConfig, parseDate } from '../core/index.ts'
import { liabilityAsOf, openDatabase } from '../db/index.ts'
import { prepareJournal } from '../finance/index.ts'
import { seedChain } from '../synth/seed.ts'
import { peakRssMiB } from './child.ts'

/**
 * One run of bench/journal.ts: `seed CARDS DIR` makes a two-year chain ending 2026-12-01 (in a
 * process of its own), `measure CARDS DIR` times November 2026's journal on it beside the
 * baselines: the liability by store (one pass over the cards) and one point forecast (one pass
 * over the ledger, what each of the journal's two estimates costs).
 */
const [mode, cardsArg, dir = ''] = process.argv.slice(2)
const cards = Number(cardsArg)
const database = await openDatabase({ engine: 'sqlite', path: join(dir, 'ledger.db') })
if (mode === 'seed') {
  await seedChain(database, { cards, seed: 7, startMs: parseDate('2024-12-01'), months: 24 })
  await database.close()
  console.log(JSON.stringify({ seeded: cards }))
  process.exit(0)
}
const time = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now()
  const value = await work()
  return [value, (performance.now() - started) / 1000]
}
const config = loadConfig({})
const now = Date.UTC(2026, 11, 1, 12)
// The baseline: the ledger read the journal's one pass makes (every card's moves before the
// month's end), with nothing done to the rows. What the machine's load does to it, it does to
// the journal: the ratio is the figure that means something on a shared machine.
const [, scanSeconds] = await time(() =>
  database.adapter.scan(
    cardMovesQuery(database.adapter, '2026-12-01T00:00:00.000Z'),
    () => {},
    2000,
  ),
)
const [, liabilitySeconds] = await time(() => liabilityAsOf(database.db, { groupBy: 'location' }))
const [, forecastSeconds] = await time(() =>
  forecastBreakage(database, {
    asOf: '2026-12-01',
    horizonMonths: 1,
    store: false,
    topCards: 0,
    bootstrap: 0,
  }),
)
const [{ journal }, journalSeconds] = await time(() =>
  prepareJournal(database, config, { month: '2026-11', now }),
)
await database.close()
console.log(
  JSON.stringify({
    cards,
    journalSeconds,
    scanSeconds,
    liabilitySeconds,
    forecastSeconds,
    entries: journal.entries.map((e) => ({
      id: e.externalId,
      lines: e.lines.length,
      totalCents: e.totalCents,
    })),
    pools: journal.schedule.pools.length,
    totals: journal.schedule.totals,
    peakRssMiB: peakRssMiB(),
  }),
)
