import { formatCents, GiftCardError } from '../core/index.ts'
import { findCardsByLast4, type GiftCard, getCard } from '../db/index.ts'
import type { ToolContext } from './define-tool.ts'
import type { StoreView } from './locations.ts'

/** Money as a model reads it best: exact cents and the formatted amount. */
export function money(cents: number): { cents: number; formatted: string } {
  return { cents, formatted: formatCents(cents) }
}

/** A page of a long list, with what it takes to ask for the next one. */
export function page<T>(items: T[], total: number, offset: number) {
  const next = offset + items.length
  return { items, total, offset, ...(next < total ? { nextOffset: next } : {}) }
}

/**
 * A card by its id, or by the last four digits of its number when exactly one card has them.
 * Several matches are a question for the person, not a guess. Under a pilot (docs/pilot.md) a
 * card issued outside it is refused (OUT_OF_SCOPE, nothing of its balance said) and the last
 * four digits are looked up among the pilot's cards only.
 */
export async function resolveCard(ctx: ToolContext, ref: string): Promise<GiftCard> {
  const key = ref.trim()
  const { scope } = ctx
  const byId = await getCard(ctx.database.db, key)
  if (byId) {
    if (!scope.includesStore(byId.issuing_location_id))
      throw scope.refusal(`card ${byId.id}`, "only the pilot stores' cards can be looked up")
    return byId
  }
  const digits = key.replace(/^(?:x+|\*+|…|\.\.\.)/i, '')
  if (/^\d{4}$/.test(digits)) {
    const matches = await findCardsByLast4(ctx.database.db, digits, {
      limit: 6,
      ...(scope.pilot ? { locations: scope.locationIds } : {}),
    })
    if (matches.length === 1 && matches[0]) return matches[0]
    if (matches.length > 1)
      throw new GiftCardError(
        'CONFLICT',
        `${matches.length === 6 ? 'more than 5' : matches.length} cards end in ${digits}: ${matches
          .slice(0, 5)
          .map((c) => `${c.id} (${formatCents(c.balance_cents)})`)
          .join(', ')}; ask which card is meant, by its id`,
        { details: { candidates: matches.slice(0, 5).map((c) => c.id) } },
      )
  }
  throw new GiftCardError(
    'CARD_NOT_FOUND',
    `no gift card${scope.pilot ? ` in the pilot scope (${scope.describe()})` : ''} with id or last four digits ${JSON.stringify(key)}`,
  )
}

/**
 * A card as tools show it: its issuing store named (id, name, jurisdiction), no customer ids,
 * only pseudonyms where an owner is named.
 */
export function cardView(card: GiftCard, store: StoreView | null, owner?: string | null) {
  return {
    cardId: card.id,
    last4: card.gan_last4,
    status: card.status,
    balance: money(card.balance_cents),
    initialValue: money(card.initial_value_cents),
    currency: card.currency,
    issuedAt: card.issued_at,
    lastActivityAt: card.last_activity_at,
    store,
    channel: card.channel,
    occasion: card.occasion,
    source: card.source,
    ...(owner !== undefined ? { holder: owner } : {}),
  }
}

/** The pseudonym of a customer (never their name, email or phone). */
export async function pseudonymOf(
  ctx: ToolContext,
  customerId: string | null,
): Promise<string | null> {
  if (!customerId) return null
  const row = await ctx.database.db
    .selectFrom('customers')
    .select('pseudonym')
    .where('id', '=', customerId)
    .executeTakeFirst()
  return row?.pseudonym ?? null
}

/** The most of a tool call's input an audit row keeps or shows, in characters of JSON. */
export const MAX_AUDIT_INPUT_CHARS = 4000

/**
 * A call's input as JSON, as an audit row keeps it: whole up to `MAX_AUDIT_INPUT_CHARS`, else
 * marked `{ truncated: true, chars, head }` with the first characters (docs/privacy.md). A row
 * written before the cap is cut the same way when read, without parsing all of it.
 */
export function boundedInput(json: string): unknown {
  if (json.length <= MAX_AUDIT_INPUT_CHARS) return JSON.parse(json) as unknown
  return { truncated: true, chars: json.length, head: json.slice(0, MAX_AUDIT_INPUT_CHARS) }
}
