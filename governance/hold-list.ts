import type { Database } from '../db/index.ts'

/**
 * The reads of card holds (list_card_holds, the write tools' checks): who asked, who approved,
 * why, and where the hold was enforced. The writes are in holds.ts.
 */

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
  /** How it was enforced: `square`, `shopify`, `lightspeed`, or `ledger-only` (the card still works at the till). */
  posConnector: string
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
      'h.pos_connector',
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
      posConnector: r.pos_connector,
    })),
    total: filters.status ? count(filters.status) : count('active') + count('released'),
    active: count('active'),
    released: count('released'),
  }
}
