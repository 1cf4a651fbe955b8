import type { Config } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { chainTimezone } from './chain-calendar.ts'
import { storeDirectory } from './locations.ts'

/** A store as a planner may read it: a name is not personal data. */
export type ChainStore = { id: string; name: string; jurisdiction: string | null }

/** What the offline planner knows of the chain: its stores and its calendar's timezone. */
export type ChainVocabulary = { stores: ChainStore[]; timezone: string }

/**
 * The chain's stores and timezone as the tools read them (CHAIN_TIMEZONE, else the stores'
 * most common timezone), so the planner reads "since nov 1" on the same calendar.
 */
export async function loadChainVocabulary(
  database: Database,
  config: Config,
): Promise<ChainVocabulary> {
  const directory = await storeDirectory(database)
  return {
    stores: [...directory.values()].map((r) => ({
      id: r.id,
      name: r.name,
      jurisdiction: r.jurisdiction,
    })),
    timezone: await chainTimezone({ database, config }),
  }
}
