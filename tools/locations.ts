import Fuse from 'fuse.js'
import { z } from 'zod'
import { GiftCardError } from '../core/index.ts'
import type { Database } from '../db/index.ts'

/**
 * A store as every result names it: never a bare id. A store no master data has described yet
 * (a stub, docs/ingest.md "Master data") has its id for a name and `unknown` city and state.
 */
export type StoreView = { id: string; name: string; city: string; jurisdiction: string }

/** A store with what a person may call it by. */
type Store = StoreView

/** The stores a `location` argument stands for, and how it was understood. */
export type ResolvedLocation = {
  /** What the person wrote. */
  query: string
  /** `id` (loc_010 or store 10), `city` (every store there), `name` (one store), or `fuzzy`. */
  matchedBy: 'id' | 'city' | 'name' | 'fuzzy'
  stores: StoreView[]
  ids: string[]
}

/** The one schema of an optional `location` argument: an id or a store name / city, typos tolerated. */
export const locationArgument = (what: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(80)
    .optional()
    .describe(
      `${what}: a location id (loc_010) or a store name or city ("Brooklyn"); typos are fine`,
    )

/** Typos tolerated in a name of this length: none in a short one, where one letter is a new name. */
const typosAllowed = (label: string) => (label.length < 5 ? 0 : label.length < 9 ? 1 : 2)

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d = new Array<number>(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++)
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(
        (d[(i - 1) * cols + j] as number) + 1,
        (d[i * cols + j - 1] as number) + 1,
        (d[(i - 1) * cols + j - 1] as number) + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (d[(i - 2) * cols + j - 2] as number) + 1)
      d[i * cols + j] = v
    }
  return d[rows * cols - 1] as number
}

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
    ? view(store)
    : { id, name: 'unknown store', city: 'unknown', jurisdiction: 'unknown' }
}

const view = (s: Store): StoreView => ({
  id: s.id,
  name: s.name,
  city: s.city,
  jurisdiction: s.jurisdiction,
})

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
      // "Jersey City" is also "Jersey".
      labels: [...new Set([normalise(city), normalise(city).replace(/ city$/, '')])],
      kind: 'city' as const,
      stores: in_,
    })),
  ]
  // Taken as meant: the name or city within a typo or two of what was written (a dropped,
  // doubled, swapped or wrong letter), the city on a tie ("New York" the city, not the store).
  const variants = [wanted, wanted.replace(/ city$/, '')].filter(
    (v, i, all) => v && all.indexOf(v) === i,
  )
  const near = new Map<(typeof entries)[number], number>()
  for (const entry of entries)
    for (const label of entry.labels)
      for (const variant of variants) {
        const distance = editDistance(variant, label)
        if (distance <= typosAllowed(label))
          near.set(entry, Math.min(distance, near.get(entry) ?? Number.POSITIVE_INFINITY))
      }
  if (near.size > 0) {
    const least = Math.min(...near.values())
    const tied = [...near].filter(([, d]) => d === least).map(([e]) => e)
    // A city and stores in it tie: the city was meant. Stores apart: a question, not a guess.
    const city = tied.find((e) => e.kind === 'city')
    const covered = (e: (typeof entries)[number]) =>
      city !== undefined && e.stores.every((s) => city.stores.includes(s))
    if (tied.length === 1 || tied.every((e) => e === city || covered(e)))
      return done('fuzzy', (city ?? tied[0])!.stores)
    throw new GiftCardError(
      'LOCATION_NOT_FOUND',
      `${JSON.stringify(query)} could be ${tied
        .flatMap((e) => e.stores)
        .map((s) => `${s.name} (${s.id}, ${s.city}, ${s.jurisdiction})`)
        .join(' or ')}; ask which store is meant`,
      { details: { closest: tied.flatMap((e) => e.stores).map(view) } },
    )
  }
  const fuse = new Fuse(entries, {
    keys: ['labels'],
    includeScore: true,
    ignoreLocation: true,
    threshold: 1,
  })
  const ranked = wanted === '' ? [] : fuse.search(wanted)
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
