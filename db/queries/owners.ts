import type { Kysely } from 'kysely'
import type { Database } from '../connection.ts'
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
    for (const r of rows)
      owners.set(
        r.id,
        ownerOf(
          r.gan_last4,
          [r.holder_name, r.holder_state, r.holder_postal],
          [r.purchaser_name, r.purchaser_state, r.purchaser_postal],
        ),
      )
  }
  return owners
}

/** A customer's name, address state and postal code, as a card names them (or nulls). */
type Party = [name: string | null, state: string | null, postal: string | null]

/**
 * The owner whose address state claims the card, as the escheatment report picks it: the
 * holder's, else the purchaser's; with neither address, whoever the card names.
 */
function ownerOf(last4: string, holder: Party, purchaser: Party): CardOwner {
  const [holderName, holderState] = holder
  const [purchaserName, purchaserState] = purchaser
  const byHolder =
    holderState !== null ||
    (purchaserState === null && (holderName !== null || purchaserName === null))
  const [name, state, postalCode] = byHolder ? holder : purchaser
  return { name: name ?? null, state: state ?? null, postalCode: postalCode ?? null, last4 }
}

/**
 * The same for many cards at once (a NAUPA export of a whole chain): one pass over the cards
 * with a balance and their customers, keeping the ones asked for, instead of looking each up by
 * id (hundreds of thousands of lookups, a query per 5,000). Every card of an escheatment report
 * has a balance.
 */
export async function scanCardOwners(
  database: Pick<Database, 'adapter'>,
  cardIds: ReadonlySet<string>,
): Promise<Map<string, CardOwner>> {
  const owners = new Map<string, CardOwner>()
  if (cardIds.size === 0) return owners
  const { adapter } = database
  await adapter.scan<
    [
      string,
      string,
      string | null,
      string | null,
      string | null,
      string | null,
      string | null,
      string | null,
    ]
  >(
    {
      sql: `select c.id, c.gan_last4, h.name, h.address_state, h.postal_code,
          p.name, p.address_state, p.postal_code
        from ${adapter.fullScan('gift_cards', 'c')}
        left join customers h on h.id = c.holder_customer_id
        left join customers p on p.id = c.purchaser_customer_id
        where c.balance_cents > 0`,
      parameters: [],
      arrays: true,
    },
    (rows) => {
      for (const [id, last4, hn, hs, hp, pn, ps, pp] of rows)
        if (cardIds.has(id)) owners.set(id, ownerOf(last4, [hn, hs, hp], [pn, ps, pp]))
    },
  )
  return owners
}
