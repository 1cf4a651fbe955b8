import Fuse from 'fuse.js'
import { z } from 'zod'
import { GiftCardError } from '../core/index.ts'
import type { Database } from '../db/index.ts'

/** A store as every result names it: never a bare id. */
export type StoreView = { id: string; name: string; jurisdiction: string }

/** A store with what a person may call it by. */
type Store = StoreView & { city: string }

/** The stores a `location` argument stands for, and how it was understood. */
export type ResolvedLocation = {
  /** What the person wrote. */
  query: string
  /** `id` (loc_010 or store 10), `city` (every store there), `name` (one store), or `fuzzy`. */
  matchedBy: 'id' | 'city' | 'name' | 'fuzzy'
  stores: StoreView[]
  ids: string[]
}

/** The one schema of a `location` argument: an id or a store name / city, typos tolerated. */
export const locationArgument = (what: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(80)
    .describe(
      `${what}: a location id (loc_010) or a store name or city ("Brooklyn"); typos are fine`,
    )

/** Fuzzy matches above this Fuse score (0 = exact, 1 = anything) are not taken as meant. */
const ACCEPT_SCORE = 0.35

const normalise = (text: string) =>
  text
    .toLowerCase()
    .replace(/[.'’]/g, '')
    .replace(/,\s*(?:us-)?[a-z]{2}$|\s+us-[a-z]{2}$/, '')
    .replace(/\b(?:the|store|shop|branch)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()

/** Every store, by id (a chain has dozens: read whole, on each call, so a new store is seen). */
export async function storeDirectory(database: Database): Promise<Map<string, Store>> {
  const rows = await database.db
    .selectFrom('locations')
    .select(['id', 'name', 'city', 'jurisdiction'])
    .orderBy('id')
    .execute()
  return new Map(rows.map((r) => [r.id, r]))
}

/** The store view of a location id: its name and jurisdiction, or `unknown` ones for a stray id. */
export function storeView(
  directory: ReadonlyMap<string, Store>,
  id: string | null,
): StoreView | null {
  if (id === null) return null
  const store = directory.get(id)
  return store
    ? { id: store.id, name: store.name, jurisdiction: store.jurisdiction }
    : { id, name: 'unknown store', jurisdiction: 'unknown' }
}

const view = (s: Store): StoreView => ({ id: s.id, name: s.name, jurisdiction: s.jurisdiction })

/**
 * Resolves a `location` argument to stores. In order: a location id (`loc_010`, `010`,
 * `store 10`); a city, meaning every store in it ("New York"); a store name ("Brooklyn
 * Heights"); then the closest name or city, typos tolerated ("brooklin"). Anything else is
 * refused with LOCATION_NOT_FOUND naming the closest stores, never guessed.
 */
export async function resolveLocation(
  database: Database,
  reference: string,
): Promise<ResolvedLocation> {
  const query = reference.trim()
  const directory = await storeDirectory(database)
  const stores = [...directory.values()]
  const done = (matchedBy: ResolvedLocation['matchedBy'], found: Store[]): ResolvedLocation => ({
    query,
    matchedBy,
    stores: found.map(view),
    ids: found.map((s) => s.id),
  })
  const byId =
    directory.get(query) ?? stores.find((s) => s.id.toLowerCase() === query.toLowerCase())
  if (byId) return done('id', [byId])
  const number = /^(?:loc[_\s-]?|store\s*#?\s*|#)?(\d{1,4})$/i.exec(query)?.[1]
  if (number) {
    const numbered = directory.get(`loc_${number.padStart(3, '0')}`)
    if (numbered) return done('id', [numbered])
  }
  const wanted = normalise(query)
  const inCity = stores.filter((s) => normalise(s.city) === wanted)
  if (inCity.length > 0) return done('city', inCity)
  const named = stores.filter((s) => normalise(s.name) === wanted)
  if (named.length > 0) return done('name', named)

  // One entry per store name and one per city (standing for all its stores).
  const cities = new Map<string, Store[]>()
  for (const s of stores) cities.set(s.city, [...(cities.get(s.city) ?? []), s])
  const entries = [
    ...stores.map((s) => ({
      // "New York Midtown" is also "Midtown".
      labels: [normalise(s.name), normalise(s.name.replace(s.city, ''))].filter(Boolean),
      kind: 'name' as const,
      stores: [s],
    })),
    ...[...cities].map(([city, in_]) => ({
      labels: [normalise(city)],
      kind: 'city' as const,
      stores: in_,
    })),
  ]
  const fuse = new Fuse(entries, {
    keys: ['labels'],
    includeScore: true,
    ignoreLocation: true,
    threshold: 1,
  })
  const ranked = wanted === '' ? [] : fuse.search(wanted)
  const best = ranked[0]
  if (best && (best.score ?? 1) <= ACCEPT_SCORE) {
    // A city and its namesake store tie: the city (all its stores) is what was meant.
    const tied = ranked.filter((r) => (r.score ?? 1) - (best.score ?? 1) < 1e-9)
    const pick = tied.find((r) => r.item.kind === 'city') ?? best
    return done('fuzzy', pick.item.stores)
  }
  const closest: Store[] = []
  for (const r of ranked)
    for (const s of r.item.stores) if (closest.length < 3 && !closest.includes(s)) closest.push(s)
  for (const s of stores) if (closest.length < 3 && !closest.includes(s)) closest.push(s)
  throw new GiftCardError(
    'LOCATION_NOT_FOUND',
    `no store or city matches ${JSON.stringify(query)}${
      closest.length > 0
        ? `; the closest are ${closest.map((s) => `${s.name} (${s.id}, ${s.city}, ${s.jurisdiction})`).join(', ')}`
        : '; the ledger has no stores yet'
    }`,
    { details: { closest: closest.map(view) } },
  )
}
