import { type Expression, type Kysely, sql } from 'kysely'
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
 * largest first. With `asOf` (an exclusive ISO instant) balances are rebuilt from the
 * ledger as they stood then; without it the current balances are used.
 */
export async function liabilityAsOf(
  db: Kysely<DB>,
  options: { asOf?: string; groupBy?: LiabilityGroup } = {},
): Promise<LiabilityRow[]> {
  const groupBy = options.groupBy ?? 'total'
  if (!options.asOf) return currentLiability(db, groupBy)
  type CardBalance = { card_id: string; balance: number }
  const asOf = options.asOf
  const balances = db
    .selectFrom('gift_card_transactions')
    .select((eb) => ['card_id', sumCents(eb.ref('amount_cents')).as('balance')])
    .where('occurred_at', '<', asOf)
    .where('card_id', 'is not', null)
    .groupBy('card_id')
    .$castTo<CardBalance>()
    .as('b')

  const rows = await db
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
    .groupBy('key')
    .orderBy('liabilityCents', 'desc')
    .orderBy('key')
    .execute()
  if (groupBy === 'total' && rows.length === 0)
    return [{ key: 'total', cards: 0, liabilityCents: 0 }]
  return rows
}

/**
 * Liability now: balances live on the cards, so the cards are grouped in one pass (an index
 * holds each card's store and balance), and only then are stores named by jurisdiction — a join
 * over a few dozen stores rather than a million cards.
 */
async function currentLiability(db: Kysely<DB>, groupBy: LiabilityGroup): Promise<LiabilityRow[]> {
  const byCard = db
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
    .groupBy('key')
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
