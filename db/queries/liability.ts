import { type Expression, type Kysely, sql } from 'kysely'
import { ALL, BALANCE_ROW, dayStartMs, localDay, rollupTimezone } from '../rollup.ts'
import type { DB } from '../schema.ts'
import { countAll, monthOf, sumCents } from '../sql-helpers.ts'

/** How outstanding liability can be broken down. `cohort` is the issue month (`YYYY-MM`). */
export const LIABILITY_GROUPS = [
  'total',
  'location',
  'jurisdiction',
  'cohort',
  'occasion',
  'channel',
] as const
export type LiabilityGroup = (typeof LIABILITY_GROUPS)[number]

export type LiabilityRow = {
  /** The group's value (`US-CA`, a location id, `2025-11`, …); `total` for the whole chain. */
  key: string
  /** Cards with a balance above zero. */
  cards: number
  liabilityCents: number
}

/**
 * Outstanding gift card liability: the sum of positive card balances, grouped as asked,
 * largest first. With `asOf` (an exclusive ISO instant) balances are as they stood then: read
 * from the daily rollup when `asOf` is the start of a chain day (`endOfChainDay`) and the
 * grouping is one the rollup keeps (every one but `cohort`), else rebuilt from the ledger.
 * Without it the current balances are used. With `locations`, only cards issued at those stores
 * count (a pilot's, docs/pilot.md); the rollup keeps occasion and channel chain-wide, so those
 * groupings are then rebuilt from the ledger.
 */
export async function liabilityAsOf(
  db: Kysely<DB>,
  options: { asOf?: string; groupBy?: LiabilityGroup; locations?: readonly string[] } = {},
): Promise<LiabilityRow[]> {
  const groupBy = options.groupBy ?? 'total'
  const { locations } = options
  if (!options.asOf) return currentLiability(db, groupBy, locations)
  const byStore = groupBy !== 'occasion' && groupBy !== 'channel'
  if (groupBy !== 'cohort' && (byStore || !locations)) {
    const timezone = await rollupTimezone(db)
    const at = Date.parse(options.asOf)
    if (timezone && dayStartMs(localDay(at, timezone), timezone) === at)
      return rolledUpLiability(db, groupBy, localDay(at - 1, timezone), locations)
  }
  return ledgerLiability(db, options.asOf, groupBy, locations)
}

/** Store ids for an SQL `in` list: never empty (`in ()` is not SQL; no store's id is ''). */
const inList = (locations: readonly string[]) => [...locations, '']

/**
 * The instant a chain day (`YYYY-MM-DD`, the rollup's time zone) ends: the `asOf` that asks
 * for balances at the end of that day.
 */
export async function endOfChainDay(db: Kysely<DB>, day: string): Promise<string> {
  const timezone = (await rollupTimezone(db)) ?? 'UTC'
  const next = new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10)
  return new Date(dayStartMs(next, timezone)).toISOString()
}

/**
 * Liability at the end of `day` from the rollup's balance rows: each store's (or, by occasion or
 * channel, each occasion's and channel's) change in balances and in cards holding one, summed
 * over every day to then (a scan of days × stores rows, not of the ledger), then grouped.
 */
async function rolledUpLiability(
  db: Kysely<DB>,
  groupBy: Exclude<LiabilityGroup, 'cohort'>,
  day: string,
  locations?: readonly string[],
): Promise<LiabilityRow[]> {
  let query = db
    .selectFrom('ledger_daily')
    .select((eb) => [
      'location_id',
      'occasion',
      'channel',
      sumCents(eb.ref('amount_cents')).as('cents'),
      sumCents(eb('cards_opened', '-', eb.ref('cards_closed'))).as('cards'),
    ])
    .where('type', '=', BALANCE_ROW)
    .where('day', '<=', day)
    // By occasion or channel: the chain-wide rows; otherwise the rows by store.
    .where((eb) =>
      groupBy === 'occasion' || groupBy === 'channel'
        ? eb('location_id', '=', ALL)
        : eb.and([eb('occasion', '=', ALL), eb('location_id', '<>', ALL)]),
    )
    .groupBy(['location_id', 'occasion', 'channel'])
  if (locations) query = query.where('location_id', 'in', inList(locations))
  const rows = await query.execute()
  const jurisdictions =
    groupBy === 'jurisdiction'
      ? new Map(
          (await db.selectFrom('locations').select(['id', 'jurisdiction']).execute()).map((l) => [
            l.id,
            l.jurisdiction,
          ]),
        )
      : undefined
  const groups = new Map<string, LiabilityRow>()
  for (const r of rows) {
    const key =
      groupBy === 'total'
        ? 'total'
        : (groupBy === 'location'
            ? r.location_id
            : groupBy === 'jurisdiction'
              ? jurisdictions?.get(r.location_id)
              : groupBy === 'occasion'
                ? r.occasion
                : r.channel) || 'unknown'
    const group = groups.get(key) ?? { key, cards: 0, liabilityCents: 0 }
    group.cards += Number(r.cards)
    group.liabilityCents += Number(r.cents)
    groups.set(key, group)
  }
  const out = [...groups.values()].filter((g) => g.cards !== 0 || g.liabilityCents !== 0)
  out.sort(
    (a, b) => b.liabilityCents - a.liabilityCents || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  )
  if (groupBy === 'total' && out.length === 0)
    return [{ key: 'total', cards: 0, liabilityCents: 0 }]
  return out
}

/**
 * Liability at an instant rebuilt from the ledger: every card's balance then, grouped (what
 * `liabilityAsOf` does for an instant the rollup cannot answer; the benchmark's baseline).
 */
export async function ledgerLiability(
  db: Kysely<DB>,
  asOf: string,
  groupBy: LiabilityGroup,
  locations?: readonly string[],
): Promise<LiabilityRow[]> {
  type CardBalance = { card_id: string; balance: number }
  const balances = db
    .selectFrom('gift_card_transactions')
    .select((eb) => ['card_id', sumCents(eb.ref('amount_cents')).as('balance')])
    .where('occurred_at', '<', asOf)
    .where('card_id', 'is not', null)
    .groupBy('card_id')
    .$castTo<CardBalance>()
    .as('b')

  let query = db
    .selectFrom(balances)
    .innerJoin('gift_cards as c', 'c.id', 'b.card_id')
    .leftJoin('locations as l', 'l.id', 'c.issuing_location_id')
    .select((eb) => [
      groupKey(groupBy, {
        location: eb.ref('c.issuing_location_id'),
        jurisdiction: eb.ref('l.jurisdiction'),
        issuedAt: eb.ref('c.issued_at'),
        occasion: eb.ref('c.occasion'),
        channel: eb.ref('c.channel'),
      }).as('key'),
      countAll().as('cards'),
      sumCents(eb.ref('b.balance')).as('liabilityCents'),
    ])
    .where('b.balance', '>', 0)
  if (locations) query = query.where('c.issuing_location_id', 'in', inList(locations))
  const rows = await query.groupBy('key').orderBy('liabilityCents', 'desc').orderBy('key').execute()
  if (groupBy === 'total' && rows.length === 0)
    return [{ key: 'total', cards: 0, liabilityCents: 0 }]
  return rows
}

/**
 * Liability now: balances live on the cards, so the cards are grouped in one pass (an index
 * holds each card's store and balance), and only then are stores named by jurisdiction — a join
 * over a few dozen stores rather than a million cards.
 */
async function currentLiability(
  db: Kysely<DB>,
  groupBy: LiabilityGroup,
  locations?: readonly string[],
): Promise<LiabilityRow[]> {
  let cards = db
    .selectFrom('gift_cards as c')
    .select((eb) => [
      groupKey(groupBy === 'jurisdiction' ? 'location' : groupBy, {
        location: eb.ref('c.issuing_location_id'),
        jurisdiction: sql<string | null>`null`,
        issuedAt: eb.ref('c.issued_at'),
        occasion: eb.ref('c.occasion'),
        channel: eb.ref('c.channel'),
      }).as('key'),
      countAll().as('cards'),
      sumCents(eb.ref('c.balance_cents')).as('liabilityCents'),
    ])
    .where('c.balance_cents', '>', 0)
  if (locations) cards = cards.where('c.issuing_location_id', 'in', inList(locations))
  const byCard = cards.groupBy('key')
  const rows =
    groupBy === 'jurisdiction'
      ? await db
          .selectFrom(byCard.as('g'))
          .leftJoin('locations as l', 'l.id', 'g.key')
          .select((eb) => [
            sql<string>`coalesce(${eb.ref('l.jurisdiction')}, 'unknown')`.as('key'),
            sumCents(eb.ref('g.cards')).as('cards'),
            sumCents(eb.ref('g.liabilityCents')).as('liabilityCents'),
          ])
          .groupBy(sql`coalesce(l.jurisdiction, 'unknown')`)
          .execute()
      : await byCard.execute()
  rows.sort(
    (a, b) => b.liabilityCents - a.liabilityCents || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  )
  if (groupBy === 'total' && rows.length === 0)
    return [{ key: 'total', cards: 0, liabilityCents: 0 }]
  return rows.map((r) => ({
    key: r.key,
    cards: Number(r.cards),
    liabilityCents: Number(r.liabilityCents),
  }))
}

function groupKey(
  groupBy: LiabilityGroup,
  refs: {
    location: Expression<string | null>
    jurisdiction: Expression<string | null>
    issuedAt: Expression<string>
    occasion: Expression<string | null>
    channel: Expression<string | null>
  },
) {
  switch (groupBy) {
    case 'total':
      return sql<string>`'total'`
    case 'location':
      return sql<string>`coalesce(${refs.location}, 'unknown')`
    case 'jurisdiction':
      return sql<string>`coalesce(${refs.jurisdiction}, 'unknown')`
    case 'cohort':
      return monthOf(refs.issuedAt)
    case 'occasion':
      return sql<string>`coalesce(${refs.occasion}, 'unknown')`
    case 'channel':
      return sql<string>`coalesce(${refs.channel}, 'unknown')`
  }
}
