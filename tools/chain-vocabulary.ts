import type { Config } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { chainTimezone } from './chain-calendar.ts'

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
  const rows = await database.db
    .selectFrom('locations')
    .select(['id', 'name', 'jurisdiction'])
    .orderBy('id')
    .execute()
  return {
    stores: rows.map((r) => ({ id: r.id, name: r.name, jurisdiction: r.jurisdiction })),
    timezone: await chainTimezone({ database, config }),
  }
}
