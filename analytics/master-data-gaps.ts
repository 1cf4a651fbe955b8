import { formatCents } from '../core/index.ts'
import type { UnknownJurisdiction } from '../db/index.ts'

/**
 * What the reports say when master data is missing (docs/ingest.md, "Master data"): instead of
 * a silent `unknown` row, how many cards and how much sits at stores no locations file or POS
 * sync has described, and how to load it. One wording for the CLI, the tools and the planner.
 */

/** The command that loads store master data, as the notes name it. */
export const LOAD_LOCATIONS = 'giftcards import FILE --format locations'
/** The command that loads customer master data. */
export const LOAD_CUSTOMERS = 'giftcards import FILE --format customers'

const count = (n: number, one: string, many: string) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`

/**
 * "3 cards, $135.00 at 2 stores of unknown jurisdiction (load store master data: …)"; cards
 * that name no store at all, which master data cannot place, are said apart. Undefined when
 * nothing is unknown.
 */
export function unknownJurisdictionNote(u: UnknownJurisdiction): string | undefined {
  const parts: string[] = []
  if (u.stores > 0)
    parts.push(
      `${count(u.cards, 'card', 'cards')}, ${formatCents(u.liabilityCents)} at ${count(u.stores, 'store', 'stores')} of unknown jurisdiction (load store master data: ${LOAD_LOCATIONS})`,
    )
  const { withoutStore } = u
  if (withoutStore.cards > 0)
    parts.push(
      `${count(withoutStore.cards, 'card', 'cards')}, ${formatCents(withoutStore.liabilityCents)} ${withoutStore.cards === 1 ? 'names' : 'name'} no issuing store, so no state (an export without location_id, or online sales)`,
    )
  return parts.length > 0 ? parts.join('; ') : undefined
}

/**
 * "12 cards, $480.00 name a customer with no known address, so US-DE (the state of
 * incorporation) is the claimant (…)"; undefined when there are none.
 */
export function ownerAddressNote(
  cards: number,
  amountCents: number,
  incorporation: string,
): string | undefined {
  if (cards === 0) return undefined
  return `${count(cards, 'card', 'cards')}, ${formatCents(amountCents)} ${cards === 1 ? 'names a customer' : 'name customers'} with no known address, so ${incorporation} (the state of incorporation) is the claimant (load customer master data: ${LOAD_CUSTOMERS})`
}
