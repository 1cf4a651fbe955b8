import type { Database } from '../db/index.ts'

/** A store as a planner may read it: a name is not personal data. */
export type ChainStore = { id: string; name: string; jurisdiction: string | null }

/** What the offline planner knows of the chain: its stores and its calendar's timezone. */
export type ChainVocabulary = { stores: ChainStore[]; timezone: string }

/** The timezone when neither the configuration nor the stores say one. */
export const FALLBACK_TIMEZONE = 'America/New_York'

/**
 * The chain's stores and timezone, read from the ledger: the configured `CHAIN_TIMEZONE` when
 * set, else the timezone most of its stores keep (docs/planner.md §Vocabulary).
 */
export async function loadChainVocabulary(
  database: Database,
  options: { timezone?: string } = {},
): Promise<ChainVocabulary> {
  const rows = await database.db
    .selectFrom('locations')
    .select(['id', 'name', 'jurisdiction', 'timezone'])
    .orderBy('id')
    .execute()
  const counts = new Map<string, number>()
  for (const r of rows) if (r.timezone) counts.set(r.timezone, (counts.get(r.timezone) ?? 0) + 1)
  const common = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0]
  return {
    stores: rows.map((r) => ({ id: r.id, name: r.name, jurisdiction: r.jurisdiction })),
    timezone: options.timezone ?? common ?? FALLBACK_TIMEZONE,
  }
}
