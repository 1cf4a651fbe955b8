import { type Database, openDatabase, rebuildDailyRollup } from '../db/index.ts'

/**
 * An open ledger, as the composition root hands it out: the evals seed one, run the faces over
 * it and read the state it was left in, without reaching into db/ themselves.
 */
export type Ledger = Database

/**
 * A scratch SQLite ledger at `path` for the evals and benches: migrated, with no audit key or
 * checkpoints attached (it chains with the development key, as tests do).
 */
export function openScratchLedger(path: string): Promise<Ledger> {
  return openDatabase({ engine: 'sqlite', path })
}

/** Rebuilds the daily rollup after rows were written by hand (docs/rollups.md). */
export function rebuildRollup(ledger: Ledger): Promise<{ rows: number; timezone: string }> {
  return rebuildDailyRollup(ledger.db, ledger.adapter)
}
