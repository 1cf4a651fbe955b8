import type { Kysely } from 'kysely'
import type { DB } from '../schema.ts'

/** A card's owner as customer master data holds them: the holder, else the purchaser. */
export type CardOwner = {
  name: string | null
  state: string | null
  postalCode: string | null
  last4: string
}

/** Ids per query: well under both engines’ bind-parameter limits (32,766 and 65,535). */
const CHUNK = 5000

/**
 * The owners of these cards (docs/escheatment.md): for the NAUPA files and the due-diligence list
 * that finance files with a state, and nothing else. Names are personal data: no tool returns
 * this and no model sees it (docs/privacy.md, "Files for finance").
 */
export async function cardOwners(
  db: Kysely<DB>,
  cardIds: readonly string[],
): Promise<Map<string, CardOwner>> {
  const owners = new Map<string, CardOwner>()
  for (let i = 0; i < cardIds.length; i += CHUNK) {
    const rows = await db
      .selectFrom('gift_cards as c')
      .leftJoin('customers as h', 'h.id', 'c.holder_customer_id')
      .leftJoin('customers as p', 'p.id', 'c.purchaser_customer_id')
      .select([
        'c.id',
        'c.gan_last4',
        'c.holder_customer_id',
        'h.name as holder_name',
        'h.address_state as holder_state',
        'h.postal_code as holder_postal',
        'p.name as purchaser_name',
        'p.address_state as purchaser_state',
        'p.postal_code as purchaser_postal',
      ])
      .where('c.id', 'in', cardIds.slice(i, i + CHUNK))
      .execute()
    for (const r of rows) {
      // The owner whose address state claims the card, as the escheatment report picks it: the
      // holder's, else the purchaser's; with neither address, whoever the card names.
      const holder =
        r.holder_state !== null ||
        (r.purchaser_state === null && (r.holder_name !== null || r.purchaser_name === null))
      owners.set(r.id, {
        name: (holder ? r.holder_name : r.purchaser_name) ?? null,
        state: (holder ? r.holder_state : r.purchaser_state) ?? null,
        postalCode: (holder ? r.holder_postal : r.purchaser_postal) ?? null,
        last4: r.gan_last4,
      })
    }
  }
  return owners
}
