import { type Kysely, sql } from 'kysely'
import type { EventSource } from '../../core/index.ts'
import type { DB } from '../schema.ts'
import { countAll } from '../sql-helpers.ts'

/**
 * Balance drift (docs/reconciliation.md, "the reconcile_ledger tool"): a card's stored balance
 * (`balance_cents`, where the POS reports balances the newest reported one) against the sum of
 * the card's applied events in the ledger. They agree unless the POS reported a balance its
 * events do not add up to: events missing from the ledger, or a change made at the POS and
 * never sent.
 */

export type DriftFilter = {
  /** Only cards issued at these stores (a pilot's or a location's). */
  stores?: readonly string[]
  /** Only cards of this source. */
  source?: EventSource
}

export type DriftingCard = {
  cardId: string
  last4: string
  source: EventSource
  issuingLocationId: string | null
  balanceCents: number
  eventsCents: number
  /** balance − events. */
  driftCents: number
  balanceAsOf: string | null
}

export type DriftSummary = {
  cardsChecked: number
  drifting: number
  /** Sum of the drifts (signed). */
  totalDriftCents: number
  /** The largest drifts first, at most `limit`. */
  cards: DriftingCard[]
}

/** Cards whose stored balance differs from their events' sum: one pass over the ledger's card index. */
export async function cardBalanceDrift(
  db: Kysely<DB>,
  filter: DriftFilter,
  limit: number,
): Promise<DriftSummary> {
  let cards = db
    .selectFrom('gift_cards as c')
    .select([
      'c.id',
      'c.gan_last4',
      'c.source',
      'c.issuing_location_id',
      'c.balance_cents',
      'c.balance_as_of',
      sql<number>`(select cast(coalesce(sum(t.amount_cents), 0) as bigint) from gift_card_transactions t where t.card_id = c.id and t.result = 'ok')`.as(
        'events_cents',
      ),
    ])
  let checked = db.selectFrom('gift_cards as c').select(countAll().as('n'))
  if (filter.stores) {
    cards = cards.where('c.issuing_location_id', 'in', [...filter.stores, ''])
    checked = checked.where('c.issuing_location_id', 'in', [...filter.stores, ''])
  }
  if (filter.source) {
    cards = cards.where('c.source', '=', filter.source)
    checked = checked.where('c.source', '=', filter.source)
  }
  const rows = await db
    .selectFrom(cards.as('x'))
    .selectAll()
    .where((eb) => eb('x.balance_cents', '<>', eb.ref('x.events_cents')))
    .execute()
  const drifting = rows
    .map(
      (r): DriftingCard => ({
        cardId: r.id,
        last4: r.gan_last4,
        source: r.source,
        issuingLocationId: r.issuing_location_id,
        balanceCents: Number(r.balance_cents),
        eventsCents: Number(r.events_cents),
        driftCents: Number(r.balance_cents) - Number(r.events_cents),
        balanceAsOf: r.balance_as_of,
      }),
    )
    .sort(
      (a, b) => Math.abs(b.driftCents) - Math.abs(a.driftCents) || a.cardId.localeCompare(b.cardId),
    )
  return {
    cardsChecked: Number((await checked.executeTakeFirstOrThrow()).n),
    drifting: drifting.length,
    totalDriftCents: drifting.reduce((s, c) => s + c.driftCents, 0),
    cards: drifting.slice(0, limit),
  }
}

/**
 * The event-id prefix of the adjustments a balance read raises (`giftcards sync clover`): a
 * balance that moved at the POS with no event in the ledger. Reconciliation and people can
 * tell them apart by it.
 */
export const BALANCE_DRIFT_PREFIX = 'balance-drift:'

export type DriftAdjustment = {
  eventId: string
  cardId: string | null
  amountCents: number
  /** The balance the POS reported (what the card was brought to). */
  reportedCents: number | null
  occurredAt: string
}

/**
 * The adjustments balance reads raised since `since` (`giftcards sync clover`: a balance that
 * moved at the POS with no event in the ledger), newest first: their count and sum, and the
 * first `limit`. Read along the `(source, event_id)` key: the prefix is a range of it.
 */
export async function balanceReadAdjustments(
  db: Kysely<DB>,
  since: string,
  filter: Pick<DriftFilter, 'stores'>,
  limit: number,
): Promise<{ count: number; totalCents: number; latest: DriftAdjustment[] }> {
  let query = db
    .selectFrom('gift_card_transactions as t')
    .select(['t.event_id', 't.card_id', 't.amount_cents', 't.balance_after_cents', 't.occurred_at'])
    .where('t.source', '=', 'clover')
    // ':' + 1 is ';': every id starting with the prefix, and no other.
    .where('t.event_id', '>=', BALANCE_DRIFT_PREFIX)
    .where('t.event_id', '<', `${BALANCE_DRIFT_PREFIX.slice(0, -1)};`)
    .where('t.occurred_at', '>=', since)
  if (filter.stores) {
    const stores = [...filter.stores, '']
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('gift_cards as c')
          .select('c.id')
          .whereRef('c.id', '=', 't.card_id')
          .where('c.issuing_location_id', 'in', stores),
      ),
    )
  }
  const rows = await query.orderBy('t.occurred_at', 'desc').orderBy('t.event_id').execute()
  return {
    count: rows.length,
    totalCents: rows.reduce((s, r) => s + Number(r.amount_cents), 0),
    latest: rows.slice(0, limit).map((r) => ({
      eventId: r.event_id,
      cardId: r.card_id,
      amountCents: Number(r.amount_cents),
      reportedCents: r.balance_after_cents === null ? null : Number(r.balance_after_cents),
      occurredAt: r.occurred_at,
    })),
  }
}
