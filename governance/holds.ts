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
  args: { cardId: string; reason: string; approvalId: number },
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
      reason: args.reason,
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

/** Releases a card's active hold: the POS gets the held amount back and the card is usable again. */
export async function releaseHold(
  database: Database,
  trx: Transaction<DB>,
  connector: PosConnector,
  args: { cardId: string; approvalId: number },
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
    .set({ status: 'released', released_at: now, release_pos_reference: pos.reference })
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
