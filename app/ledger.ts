import type { Config } from '../core/index.ts'
import { type Database, type OpenOptions, openDatabase, rebuildDailyRollup } from '../db/index.ts'
import { attachAuditTrail, auditTrailSettings } from '../governance/index.ts'

/**
 * An open ledger, as the composition root hands it out: the evals seed one, run the faces over
 * it and read the state it was left in, without reaching into db/ themselves.
 */
export type Ledger = Database

/**
 * The ledger the configuration names (DATABASE_URL, else the SQLite file under GIFTCARDS_HOME),
 * migrated unless told otherwise, with its audit key and checkpoints attached. The caller closes
 * it, which writes the last checkpoint (docs/audit.md). Kept here, apart from the faces and the
 * agent, so the CLI opens a ledger without loading them (docs/architecture.md §1.12).
 */
export async function openLedger(config: Config, options?: OpenOptions): Promise<Database> {
  return attachAuditTrail(await openDatabase(config.database, options), auditTrailSettings(config))
}

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
