import { z } from 'zod'
import { cardSegments, findDormantCards, inSegment, SEGMENTS } from '../../analytics/index.ts'
import { CARD_STATUSES, formatCents, GiftCardError, MAX_CENTS } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'

/**
 * A campaign's audience (docs/campaigns.md): the criteria a draft keeps, and the cards they
 * select from the ledger with their owners. The CRM's own customer id and its consent are read
 * here for the launch's hand-off; only counts of them ever reach a tool result.
 */

/** Who a campaign speaks to: cards with a balance left idle for a while, narrowed as asked. */
export const audienceSchema = z.object({
  minDaysInactive: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .optional()
    .describe('days without a load or redemption; default 90 unless idleSince is given'),
  idleSince: z
    .string()
    .max(10)
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .optional()
    .describe('no load or redemption since this chain calendar day, YYYY-MM-DD'),
  minBalanceCents: z
    .number()
    .int()
    .min(1)
    .max(MAX_CENTS)
    .default(500)
    .describe('smallest balance to include, in cents'),
  maxBalanceCents: z
    .number()
    .int()
    .min(1)
    .max(MAX_CENTS)
    .optional()
    .describe('largest balance to include, in cents'),
  segment: z
    .enum(SEGMENTS)
    .optional()
    .describe("only cards whose purchaser is in this segment (segment_purchasers' names)"),
  status: z.enum(CARD_STATUSES).optional().describe('only cards with this status'),
  jurisdiction: z
    .string()
    .max(5)
    .regex(/^US-[A-Z]{2}$/, 'must look like US-CA')
    .optional()
    .describe('only cards issued in this jurisdiction, e.g. US-NY'),
  location: z
    .string()
    .trim()
    .min(1)
    .max(80)
    .optional()
    .describe('only cards issued at this store: a location id or a store name or city'),
  cardIds: z
    .array(z.string().trim().min(1).max(40))
    .min(1)
    .max(500)
    .optional()
    .describe('only these cards (e.g. "those" = the cards just listed), at most 500'),
})
export type Audience = z.infer<typeof audienceSchema>

/**
 * An audience as drafted: the criteria, with what was resolved when it was drafted (the idle
 * cutoff instant, the stores a location named), so the launch targets exactly those criteria.
 */
export const storedAudienceSchema = audienceSchema.extend({
  /** ISO instant: cards idle since then. Absent on campaigns drafted before it was kept. */
  idleBefore: z.string().max(40).optional(),
  locationIds: z.array(z.string()).optional(),
  /**
   * Drafted under a pilot (docs/pilot.md): its stores, so segments and the reactivation model
   * are those of the pilot's cards, as the pilot's answers gave them.
   */
  pilotStores: z.array(z.string()).optional(),
  stores: z
    .array(z.object({ id: z.string(), name: z.string(), jurisdiction: z.string() }))
    .optional(),
})
export type StoredAudience = z.infer<typeof storedAudienceSchema>

/** What a customer's master data says of marketing to them (customers.marketing_consent, 0021). */
export const MARKETING_CONSENTS = ['subscribed', 'unsubscribed', 'suppressed'] as const
export type MarketingConsent = (typeof MARKETING_CONSENTS)[number]

export type AudienceMember = {
  cardId: string
  /** The owner's pseudonym (what the CSV export carries). */
  customer: string | null
  /** The owner's id in the CRM (customers.id): the key a marketing platform knows them by. */
  customerId: string | null
  /** The owner's consent; null when master data never said (contactable, docs/campaigns.md). */
  consent: MarketingConsent | null
  balanceCents: number
  reactivation: number
}

/** The audience as the ledger has it now, most likely to come back first. */
export async function selectAudience(
  database: Database,
  audience: StoredAudience,
): Promise<AudienceMember[]> {
  if (audience.location !== undefined && audience.locationIds === undefined)
    throw new GiftCardError('INTERNAL', 'an audience naming a location must carry its store ids')
  const pilot = audience.pilotStores ? { pilotStores: audience.pilotStores } : {}
  const segments = audience.segment ? await cardSegments(database, pilot) : undefined
  const segment = audience.segment
  const report = await findDormantCards(database, {
    ...pilot,
    ...(audience.idleBefore
      ? { idleBefore: audience.idleBefore }
      : { minDays: audience.minDaysInactive ?? 90 }),
    minBalanceCents: audience.minBalanceCents,
    ...(audience.maxBalanceCents !== undefined
      ? { maxBalanceCents: audience.maxBalanceCents }
      : {}),
    ...(audience.locationIds ? { locationIds: audience.locationIds } : {}),
    ...(audience.jurisdiction ? { jurisdiction: audience.jurisdiction } : {}),
    ...(audience.status ? { statuses: [audience.status] } : {}),
    ...(audience.cardIds ? { cardIds: audience.cardIds } : {}),
    ...(segments && segment
      ? { include: (id: string) => inSegment(segments.get(id), segment) }
      : {}),
    limit: Number.MAX_SAFE_INTEGER,
  })
  const cards = report.dormant
  const owners = new Map<
    string,
    { pseudonym: string | null; id: string | null; consent: string | null }
  >()
  for (let i = 0; i < cards.length; i += 500) {
    const rows = await database.db
      .selectFrom('gift_cards as g')
      .leftJoin('customers as c', (j) =>
        j.on((eb) =>
          eb('c.id', '=', eb.fn.coalesce('g.holder_customer_id', 'g.purchaser_customer_id')),
        ),
      )
      .select(['g.id', 'c.pseudonym', 'c.id as customer_id', 'c.marketing_consent'])
      .where(
        'g.id',
        'in',
        cards.slice(i, i + 500).map((c) => c.cardId),
      )
      .execute()
    for (const r of rows)
      owners.set(r.id, { pseudonym: r.pseudonym, id: r.customer_id, consent: r.marketing_consent })
  }
  return cards.map((c) => {
    const owner = owners.get(c.cardId)
    return {
      cardId: c.cardId,
      customer: owner?.pseudonym ?? null,
      customerId: owner?.id ?? null,
      consent: consentOf(owner?.consent ?? null),
      balanceCents: c.balanceCents,
      reactivation: c.reactivation,
    }
  })
}

const consentOf = (value: string | null): MarketingConsent | null =>
  (MARKETING_CONSENTS as readonly string[]).includes(value ?? '')
    ? (value as MarketingConsent)
    : null

/** The audience in one line a person reads: every criterion it has. */
export function describeAudience(a: StoredAudience): string {
  const idle = a.idleSince ? `idle since ${a.idleSince}` : `idle ${a.minDaysInactive ?? 90}+ days`
  const balance = `${formatCents(a.minBalanceCents)}${
    a.maxBalanceCents ? `–${formatCents(a.maxBalanceCents)}` : '+'
  }`
  const parts = [`cards ${idle} with ${balance} on them`]
  if (a.segment) parts.push(`purchaser segment ${a.segment}`)
  if (a.status) parts.push(`status ${a.status}`)
  if (a.jurisdiction) parts.push(`issued in ${a.jurisdiction}`)
  if (a.location)
    parts.push(`issued at ${a.stores?.map((s) => `${s.name} (${s.id})`).join(', ') ?? a.location}`)
  if (a.cardIds) parts.push(`among ${a.cardIds.length} named cards`)
  return parts.join(', ')
}
