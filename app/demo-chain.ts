import { saveAlerts, scanLedger } from '../analytics/index.ts'
import type { Database } from '../db/index.ts'
import { defaultSeedStart, seedChain } from '../synth/seed.ts'

/**
 * The demo chain `npm start` makes on first run (seed 42, two years ending this month) and its
 * loss-prevention queue, which starts as a real one would: after a fraud scan. The held-out
 * measure (evals/heldout.ts) scores the planner on this same chain.
 */
export async function makeDemoChain(
  database: Database,
  cards: number,
  onProgress?: (done: number) => void,
): Promise<{ report: Awaited<ReturnType<typeof seedChain>>; alerts: number }> {
  const report = await seedChain(database, {
    cards,
    seed: 42,
    startMs: defaultSeedStart(),
    months: 24,
    ...(onProgress ? { onProgress } : {}),
  })
  const alerts = await saveAlerts(database, await scanLedger(database))
  return { report, alerts }
}
