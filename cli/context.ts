import { type Config, type DatabaseTarget, loadConfig } from '../core/index.ts'
import type { Database, OpenOptions } from '../db/index.ts'
import { type CliIdentity, readIdentity } from './identity.ts'

/**
 * What every command starts from: the parsed configuration and, on demand, the open ledger.
 * Commands never read process.env themselves.
 */
export type CliContext = {
  config: Config
  /** Who runs the command: the OS login, and what the environment lets it claim (cli/identity.ts). */
  identity: CliIdentity
  /**
   * Opens the ledger (migrated unless told otherwise) with its audit key and checkpoints; the
   * caller closes it, which writes the last checkpoint (docs/audit.md).
   */
  openDb(options?: OpenOptions): Promise<Database>
}

export function createContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const config = loadConfig(env)
  return {
    config,
    identity: readIdentity(env),
    // app/ledger.ts, not app/index.ts: opening the ledger loads db/ and governance/, not the
    // faces and the agent (a command that needs them loads them itself), and only when a
    // command opens it: `fraud eval --variants`, `heldout` and the like never do.
    openDb: async (options) => (await import('../app/ledger.ts')).openLedger(config, options),
  }
}

/** Opens the ledger, runs `work`, and always closes it. */
export async function withDatabase<T>(
  ctx: CliContext,
  work: (database: Database) => Promise<T>,
  options?: OpenOptions,
): Promise<T> {
  const database = await ctx.openDb(options)
  try {
    return await work(database)
  } finally {
    await database.close()
  }
}

export type { DatabaseTarget }
