import type { Kysely } from 'kysely'
import type { CardTransaction, DB, GiftCard } from '../schema.ts'
import { sumCents } from '../sql-helpers.ts'

/** One card by its id, or undefined. */
export async function getCard(db: Kysely<DB>, id: string): Promise<GiftCard | undefined> {
  return db.selectFrom('gift_cards').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * Cards whose number ends in these four digits, most recently active first (a person at the
 * counter reads the last four digits off the card; several cards may share them). With
 * `locations`, only cards issued at those stores (a pilot's, docs/pilot.md).
 */
export async function findCardsByLast4(
  db: Kysely<DB>,
  last4: string,
  options: { limit?: number; locations?: readonly string[] } = {},
): Promise<GiftCard[]> {
  let query = db.selectFrom('gift_cards').selectAll().where('gan_last4', '=', last4)
  if (options.locations)
    query = query.where('issuing_location_id', 'in', [...options.locations, ''])
  return query
    .orderBy('last_activity_at', 'desc')
    .orderBy('id')
    .limit(options.limit ?? 20)
    .execute()
}

/**
 * A card's transactions, newest first. `before` (an ISO instant) pages backwards through a
 * long history; declined attempts are included with `result = 'declined'`.
 */
export async function listCardTransactions(
  db: Kysely<DB>,
  cardId: string,
  options: { limit?: number; before?: string } = {},
): Promise<CardTransaction[]> {
  let query = db.selectFrom('gift_card_transactions').selectAll().where('card_id', '=', cardId)
  if (options.before) query = query.where('occurred_at', '<', options.before)
  return query
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? 100)
    .execute()
}

/**
 * A card's balance at an instant: the sum of the signed amounts of its transactions that
 * occurred strictly before `asOf` (ISO). Zero for a card not yet issued then.
 */
export async function cardBalanceAsOf(
  db: Kysely<DB>,
  cardId: string,
  asOf: string,
): Promise<number> {
  const row = await db
    .selectFrom('gift_card_transactions')
    .select((eb) => sumCents(eb.ref('amount_cents')).as('balance'))
    .where('card_id', '=', cardId)
    .where('occurred_at', '<', asOf)
    .executeTakeFirstOrThrow()
  return row.balance
}
