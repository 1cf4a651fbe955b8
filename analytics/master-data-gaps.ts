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
 * that name no store at all are said apart. Undefined when nothing is unknown.
 */
export function unknownJurisdictionNote(u: UnknownJurisdiction): string | undefined {
  if (u.cards === 0 && u.liabilityCents === 0) return undefined
  const where =
    u.stores > 0
      ? `at ${count(u.stores, 'store', 'stores')} of unknown jurisdiction`
      : 'at no known store'
  return `${count(u.cards, 'card', 'cards')}, ${formatCents(u.liabilityCents)} ${where} (load store master data: ${LOAD_LOCATIONS})`
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
