import { type Kysely, type Selectable, sql } from 'kysely'
import { withDbRetry } from '../retry.ts'
import type { DB } from '../schema.ts'
import { type LiabilityRow, liabilityAsOf } from './liability.ts'

/**
 * Store and customer master data (docs/ingest.md, "Master data"): upserts that enrich the stub
 * rows events made (same id, updated in place) and count what changed, so loading the same
 * data twice changes nothing and says so. Reports read a store's jurisdiction at query time
 * (the rollup is keyed by store, docs/rollups.md), so an enriched store moves its liability to
 * its state in every report at once.
 */

/** The jurisdiction of a stub store: one no master data has described yet. */
export const UNKNOWN_JURISDICTION = 'unknown'

/** A store as master data describes it, validated. */
export type LocationRecord = {
  id: string
  name: string
  city: string
  region: string
  jurisdiction: string
  /** Null: the file gave none, so a store already loaded keeps its own. */
  timezone: string | null
  /** The state's zone, for a store that has none of its own yet. */
  defaultTimezone: string
  latitude: number | null
  longitude: number | null
  postalCode: string | null
  country: string
}

/** A customer as master data describes it, validated; null fields leave what the row has. */
export type CustomerRecord = {
  id: string
  /** The pseudonym a new row is written with (an existing row keeps its own). */
  pseudonym: string
  name: string | null
  email: string | null
  phone: string | null
  addressState: string | null
  postalCode: string | null
  segment: string | null
  createdAt: string | null
  /** subscribed / unsubscribed / suppressed (0021); absent or null keeps what the row had. */
  marketingConsent?: string | null
}

/** What an upsert did: rows new to the ledger, stubs or earlier rows changed, and the rest. */
export type UpsertCounts = {
  inserted: number
  updated: number
  /** Of `updated`: stub rows an event had made, described for the first time. */
  enriched: number
  unchanged: number
}

/** Rows per statement: well under PostgreSQL's bind limit at a dozen columns. */
const CHUNK = 200

/**
 * Inserts or updates stores by id. A field the record leaves null (coordinates, time zone,
 * postal code) keeps what the row has; a row whose every field already matches is not written.
 * `now` stamps `master_data_at` (and `opened_at` of a new store).
 */
export function upsertLocations(
  db: Kysely<DB>,
  records: readonly LocationRecord[],
  now: string,
): Promise<UpsertCounts> {
  return upsertById(db, 'locations', records, {
    compared: (r, old) => ({
      id: r.id,
      name: r.name,
      city: r.city,
      region: r.region,
      jurisdiction: r.jurisdiction,
      timezone:
        r.timezone ?? (old && old.master_data_at !== null ? old.timezone : r.defaultTimezone),
      latitude: r.latitude ?? old?.latitude ?? null,
      longitude: r.longitude ?? old?.longitude ?? null,
      postal_code: r.postalCode ?? old?.postal_code ?? null,
      country: r.country,
    }),
    kept: (_r, old) => ({ opened_at: old?.opened_at ?? now, master_data_at: now }),
  })
}

/**
 * Inserts or updates customers by id: name, email and phone land here and nowhere else
 * (docs/privacy.md). A new row takes the record's pseudonym; an existing one keeps its own, so
 * audiences already exported stay valid. Null fields keep what the row has.
 */
export function upsertCustomers(
  db: Kysely<DB>,
  records: readonly CustomerRecord[],
  now: string,
): Promise<UpsertCounts> {
  return upsertById(db, 'customers', records, {
    compared: (r, old) => ({
      id: r.id,
      name: r.name ?? old?.name ?? null,
      email: r.email ?? old?.email ?? null,
      phone: r.phone ?? old?.phone ?? null,
      address_state: r.addressState ?? old?.address_state ?? null,
      postal_code: r.postalCode ?? old?.postal_code ?? null,
      segment: r.segment ?? old?.segment ?? null,
      created_at: r.createdAt ?? old?.created_at ?? now,
      marketing_consent: r.marketingConsent ?? old?.marketing_consent ?? null,
    }),
    kept: (r, old) => ({
      pseudonym: old?.pseudonym ?? r.pseudonym,
      home_location_id: old?.home_location_id ?? null,
      master_data_at: now,
    }),
  })
}

type MasterTable = 'locations' | 'customers'
type MasterRow<T extends MasterTable> = Selectable<DB[T]>

/**
 * The one upsert both master-data tables use, in one transaction, `CHUNK` ids at a time: read
 * the rows the chunk names, build each record's row from it (`compared`: the fields master data
 * sets, compared with the old row to count and to skip a row that would not change; `kept`:
 * what a write carries besides, taken from the old row or stamped now), and write the changed
 * ones with one INSERT … ON CONFLICT (id) DO UPDATE of every column but the id and those the old
 * row keeps (`opened_at`, `pseudonym`, `home_location_id`).
 */
async function upsertById<T extends MasterTable, R extends { id: string }>(
  db: Kysely<DB>,
  table: T,
  records: readonly R[],
  build: {
    compared: (r: R, old: MasterRow<T> | undefined) => Record<string, unknown>
    kept: (r: R, old: MasterRow<T> | undefined) => Record<string, unknown>
  },
): Promise<UpsertCounts> {
  // Kysely cannot type a query over a table chosen at run time; the rows are built by the two
  // typed callers above, so the loop works on the untyped builder.
  const untyped = db as unknown as Kysely<{ master: { id: string } & Record<string, unknown> }>
  const from = table as unknown as 'master'
  return withDbRetry(
    () =>
      untyped.transaction().execute(async (trx) => {
        const counts: UpsertCounts = { inserted: 0, updated: 0, enriched: 0, unchanged: 0 }
        for (const chunk of chunked(byId(records))) {
          const found = await trx
            .selectFrom(from)
            .selectAll()
            .where(
              'id',
              'in',
              chunk.map((r) => r.id),
            )
            .execute()
          const existing = new Map(found.map((row) => [row.id, row as unknown as MasterRow<T>]))
          const writes = []
          let updated: string[] = []
          for (const r of chunk) {
            const old = existing.get(r.id)
            const row = build.compared(r, old)
            if (!counted(counts, row, old as OldRow | undefined)) continue
            writes.push({ ...row, ...build.kept(r, old) })
            updated = [...Object.keys(row).filter((c) => c !== 'id'), 'master_data_at']
          }
          if (writes.length === 0) continue
          await trx
            .insertInto(from)
            .values(writes)
            .onConflict((oc) =>
              oc
                .column('id')
                .doUpdateSet(Object.fromEntries(updated.map((c) => [c, sql.ref(`excluded.${c}`)]))),
            )
            .execute()
        }
        return counts
      }),
    { retryUniqueViolations: true },
  )
}

type OldRow = Record<string, unknown> & { master_data_at: string | null }

/**
 * Counts one master-data record against the row it would replace, and says whether to write
 * it: a row whose every field already matches, and that master data wrote before, is left
 * alone; a stub (no `master_data_at`) is enriched even when its fields match.
 */
function counted(
  counts: UpsertCounts,
  row: Record<string, unknown>,
  old: OldRow | undefined,
): boolean {
  if (!old) {
    counts.inserted++
    return true
  }
  const same = Object.keys(row).every((k) => row[k] === old[k])
  if (same && old.master_data_at !== null) {
    counts.unchanged++
    return false
  }
  counts.updated++
  if (old.master_data_at === null) counts.enriched++
  return true
}

/** What sits at stores no master data has described, and on cards that name no store. */
export type UnknownJurisdiction = {
  /** Cards with a balance at stores of unknown jurisdiction (stubs), and what they hold. */
  cards: number
  liabilityCents: number
  /** Those stores. */
  stores: number
  /** Their ids, largest liability first (at most 10). */
  storeIds: string[]
  /**
   * Cards with a balance that name no issuing store at all (an export without `location_id`,
   * an online sale): master data cannot place them, so they are counted apart.
   */
  withoutStore: { cards: number; liabilityCents: number }
}

/**
 * Cards and liability at stores of unknown jurisdiction — stubs events made before the store's
 * master data arrived — now or at `asOf` (as `liabilityAsOf` reads it), within `locations` if
 * given. What the liability and escheatment reports say instead of a silent `unknown` row.
 */
export async function unknownJurisdictionLiability(
  db: Kysely<DB>,
  options: { asOf?: string; locations?: readonly string[] } = {},
): Promise<UnknownJurisdiction> {
  const byStore = await liabilityAsOf(db, { ...options, groupBy: 'location' })
  const known = new Map(
    (await db.selectFrom('locations').select(['id', 'jurisdiction']).execute()).map((l) => [
      l.id,
      l.jurisdiction,
    ]),
  )
  return summariseUnknown(byStore, known)
}

/** The unknown-jurisdiction part of liability by store, given each store's jurisdiction. */
export function summariseUnknown(
  byStore: readonly LiabilityRow[],
  jurisdictions: ReadonlyMap<string, string>,
): UnknownJurisdiction {
  const out: UnknownJurisdiction = {
    cards: 0,
    liabilityCents: 0,
    stores: 0,
    storeIds: [],
    withoutStore: { cards: 0, liabilityCents: 0 },
  }
  for (const row of byStore) {
    const jurisdiction = jurisdictions.get(row.key)
    if (jurisdiction !== undefined && jurisdiction !== UNKNOWN_JURISDICTION) continue
    // `unknown` is liabilityAsOf's key for cards that name no store.
    if (jurisdiction === undefined && row.key === 'unknown') {
      out.withoutStore.cards += row.cards
      out.withoutStore.liabilityCents += row.liabilityCents
      continue
    }
    out.cards += row.cards
    out.liabilityCents += row.liabilityCents
    out.stores++
    if (out.storeIds.length < 10) out.storeIds.push(row.key)
  }
  return out
}

function byId<T extends { id: string }>(records: readonly T[]): T[] {
  // The last record of an id wins (a file may describe a store twice); in id order, so two
  // writers lock rows in one order (docs/concurrency.md).
  const last = new Map<string, T>()
  for (const r of records) last.set(r.id, r)
  return [...last.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

function* chunked<T>(rows: readonly T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += CHUNK) yield rows.slice(i, i + CHUNK)
}
