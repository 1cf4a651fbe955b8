import type { Transaction } from 'kysely'
import { formatCents, GiftCardError, toIso } from '../core/index.ts'
import type { Database, DB } from '../db/index.ts'
import type { PosConnector } from './pos-connector.ts'

export type HoldOutcome = {
  holdId: number
  cardId: string
  status: 'active' | 'released'
  amountCents: number
  amount: string
  connector: string
  posReference: string
}

type LockedCard = Awaited<ReturnType<typeof lockCard>>

/** What the POS connector is told about a card. */
function posCard(card: LockedCard) {
  return {
    id: card.id,
    source: card.source,
    balanceCents: card.balance_cents,
    currency: card.currency,
    locationId: card.issuing_location_id,
  }
}

async function lockCard(database: Database, trx: Transaction<DB>, cardId: string) {
  let query = trx
    .selectFrom('gift_cards')
    .select(['id', 'source', 'status', 'balance_cents', 'currency', 'issuing_location_id'])
    .where('id', '=', cardId)
  if (database.adapter.supportsRowLocks) query = query.forUpdate()
  const card = await query.executeTakeFirst()
  if (!card) throw new GiftCardError('CARD_NOT_FOUND', `no gift card with id ${cardId}`)
  return card
}

/**
 * Puts a card on hold: the card becomes `held`, the hold is recorded with the approval that
 * allowed it, and the POS connector freezes the balance there (keyed by the approval id).
 */
export async function placeHold(
  database: Database,
  trx: Transaction<DB>,
  connector: PosConnector,
  /** `reason`: the requester's words verbatim, or null when they gave none (stored empty). */
  args: { cardId: string; reason: string | null; approvalId: number },
): Promise<HoldOutcome> {
  const card = await lockCard(database, trx, args.cardId)
  const active = await trx
    .selectFrom('card_holds')
    .select('id')
    .where('card_id', '=', card.id)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (active)
    throw new GiftCardError('CONFLICT', `card ${card.id} is already on hold (hold #${active.id})`)
  if (card.status === 'deactivated')
    throw new GiftCardError('CONFLICT', `card ${card.id} is deactivated; there is nothing to hold`)
  const pos = await connector.placeHold(posCard(card), `hold-approval-${args.approvalId}`)
  const now = toIso(Date.now())
  const hold = await trx
    .insertInto('card_holds')
    .values({
      card_id: card.id,
      reason: args.reason ?? '',
      status: 'active',
      approval_id: args.approvalId,
      amount_cents: card.balance_cents,
      placed_at: now,
      released_at: null,
      pos_reference: pos.reference,
      release_pos_reference: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await trx
    .updateTable('gift_cards')
    .set({ status: 'held', updated_at: now })
    .where('id', '=', card.id)
    .execute()
  return {
    holdId: Number(hold.id),
    cardId: card.id,
    status: 'active',
    amountCents: card.balance_cents,
    amount: formatCents(card.balance_cents),
    connector: pos.connector,
    posReference: pos.reference,
  }
}

/**
 * Releases a card's active hold: the POS gets the held amount back and the card is usable again.
 * The hold keeps who asked for the release, their reason verbatim (null: none given) and the
 * approval that allowed it.
 */
export async function releaseHold(
  database: Database,
  trx: Transaction<DB>,
  connector: PosConnector,
  args: { cardId: string; approvalId: number; reason: string | null; releasedBy: string },
): Promise<HoldOutcome> {
  const card = await lockCard(database, trx, args.cardId)
  const hold = await trx
    .selectFrom('card_holds')
    .selectAll()
    .where('card_id', '=', card.id)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (!hold) throw new GiftCardError('CONFLICT', `card ${card.id} has no active hold to release`)
  const pos = await connector.releaseHold(
    posCard(card),
    hold.amount_cents,
    `release-approval-${args.approvalId}`,
  )
  const now = toIso(Date.now())
  await trx
    .updateTable('card_holds')
    .set({
      status: 'released',
      released_at: now,
      release_pos_reference: pos.reference,
      released_by: args.releasedBy,
      release_reason: args.reason,
      release_approval_id: args.approvalId,
    })
    .where('id', '=', hold.id)
    .execute()
  // The POS gives the held amount back; the ledger learns of it from the POS's own event.
  const usable =
    card.balance_cents > 0 || (pos.connector !== 'ledger-only' && hold.amount_cents > 0)
  await trx
    .updateTable('gift_cards')
    .set({ status: usable ? 'active' : 'redeemed', updated_at: now })
    .where('id', '=', card.id)
    .execute()
  return {
    holdId: Number(hold.id),
    cardId: card.id,
    status: 'released',
    amountCents: hold.amount_cents,
    amount: formatCents(hold.amount_cents),
    connector: pos.connector,
    posReference: pos.reference,
  }
}

/** The active hold on a card, if any. */
export async function activeHold(database: Database, cardId: string) {
  return database.db
    .selectFrom('card_holds')
    .selectAll()
    .where('card_id', '=', cardId)
    .where('status', '=', 'active')
    .executeTakeFirst()
}

/** A hold as people ask about it: the card, its store, why, who asked, who approved, its release. */
export type HoldRecord = {
  holdId: number
  cardId: string
  last4: string
  /** The card's issuing store (null when the card has none). */
  storeId: string | null
  status: 'active' | 'released'
  /** The requester's words verbatim; null when they gave none. */
  reason: string | null
  amountCents: number
  placedAt: string
  requestedBy: string | null
  approvedBy: string | null
  approvalId: number | null
  releasedAt: string | null
  releasedBy: string | null
  releaseApprovedBy: string | null
  releaseReason: string | null
  releaseApprovalId: number | null
}

export type HoldFilters = {
  status?: 'active' | 'released'
  cardId?: string
  /** Holds on any card whose number ends in these four digits. */
  last4?: string
  /** The actor who requested the hold. */
  placedBy?: string
  /** ISO instant: holds placed at or after it. */
  since?: string
  /** Holds on cards issued at these stores (a pilot's, docs/pilot.md). */
  locationIds?: readonly string[]
  limit?: number
  offset?: number
}

/**
 * Holds newest first, filtered, with the requester and approver of each placement and release
 * (from their approval requests), and how many of the matching holds are active and released
 * (counted without the status filter, so "how many are active" and the list agree).
 */
export async function listHolds(
  database: Database,
  filters: HoldFilters = {},
): Promise<{ holds: HoldRecord[]; total: number; active: number; released: number }> {
  let query = database.db
    .selectFrom('card_holds as h')
    .innerJoin('gift_cards as c', 'c.id', 'h.card_id')
    .leftJoin('approval_requests as pa', 'pa.id', 'h.approval_id')
    .leftJoin('approval_requests as ra', 'ra.id', 'h.release_approval_id')
  if (filters.cardId) query = query.where('h.card_id', '=', filters.cardId)
  if (filters.last4) query = query.where('c.gan_last4', '=', filters.last4)
  if (filters.placedBy) query = query.where('pa.requested_by', '=', filters.placedBy)
  if (filters.since) query = query.where('h.placed_at', '>=', filters.since)
  if (filters.locationIds)
    query = query.where('c.issuing_location_id', 'in', [...filters.locationIds, ''])
  const counts = await query
    .select(['h.status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('h.status')
    .execute()
  const count = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0)
  const listed = filters.status ? query.where('h.status', '=', filters.status) : query
  const rows = await listed
    .select([
      'h.id',
      'h.card_id',
      'c.gan_last4',
      'c.issuing_location_id',
      'h.status',
      'h.reason',
      'h.amount_cents',
      'h.placed_at',
      'h.approval_id',
      'pa.requested_by as placed_by',
      'pa.decided_by as placed_approver',
      'h.released_at',
      'h.released_by',
      'h.release_reason',
      'h.release_approval_id',
      'ra.requested_by as release_requester',
      'ra.decided_by as release_approver',
    ])
    .orderBy('h.placed_at', 'desc')
    .orderBy('h.id', 'desc')
    .limit(filters.limit ?? 20)
    .offset(filters.offset ?? 0)
    .execute()
  return {
    holds: rows.map((r) => ({
      holdId: Number(r.id),
      cardId: r.card_id,
      last4: r.gan_last4,
      storeId: r.issuing_location_id,
      status: r.status,
      reason: r.reason === '' ? null : r.reason,
      amountCents: Number(r.amount_cents),
      placedAt: r.placed_at,
      requestedBy: r.placed_by,
      approvedBy: r.placed_approver,
      approvalId: r.approval_id === null ? null : Number(r.approval_id),
      releasedAt: r.released_at,
      releasedBy: r.released_by ?? r.release_requester,
      releaseApprovedBy: r.release_approver,
      releaseReason: r.release_reason,
      releaseApprovalId: r.release_approval_id === null ? null : Number(r.release_approval_id),
    })),
    total: filters.status ? count(filters.status) : count('active') + count('released'),
    active: count('active'),
    released: count('released'),
  }
}
