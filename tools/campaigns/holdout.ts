import { createHash } from 'node:crypto'
import type { AudienceMember } from './audience.ts'

/**
 * The holdout of a launch (docs/campaigns.md#holdout): a share of the audience that is not
 * contacted, so what the campaign did can be told from what the cards would have done anyway.
 *
 * Who is held out is decided by a keyed hash, not a random draw: SHA-256 of the seed
 * (CAMPAIGN_HOLDOUT_SEED), the campaign id and a card id, read as a number in [0, 1). The same
 * campaign always splits the same way (a recovered launch, a re-read of the lift), while two
 * campaigns split independently, so no customer is left out of every campaign.
 *
 * A customer is one unit: their cards all follow the hash of the lowest of their card ids in
 * the audience, since a message to the customer reaches every card they hold.
 */
export function holdoutDraw(seed: string, campaignId: number, cardId: string): number {
  const digest = createHash('sha256').update(`${seed}\u0000${campaignId}\u0000${cardId}`).digest()
  return digest.readUInt32BE(0) / 2 ** 32
}

/** Why a card of the audience is neither contacted nor held out. */
export const EXCLUSIONS = ['unsubscribed', 'suppressed', 'no_customer_id'] as const
export type Exclusion = (typeof EXCLUSIONS)[number]

export type Split = {
  contacted: AudienceMember[]
  holdout: AudienceMember[]
  excluded: Record<Exclusion, number>
}

/**
 * Splits an audience for a launch. Cards whose owner unsubscribed or is suppressed are left out
 * of both arms (they could not have been contacted, so they are no fair comparison) and counted;
 * so are cards with no CRM customer id when the provider reaches people by that id
 * (`needsCustomerId`: Klaviyo, Braze). The rest are held out when their draw is below `share`.
 */
export function splitAudience(
  members: readonly AudienceMember[],
  options: { seed: string; campaignId: number; share: number; needsCustomerId: boolean },
): Split {
  const excluded: Record<Exclusion, number> = { unsubscribed: 0, suppressed: 0, no_customer_id: 0 }
  const eligible: AudienceMember[] = []
  for (const m of members) {
    if (m.consent === 'unsubscribed' || m.consent === 'suppressed') excluded[m.consent]++
    else if (options.needsCustomerId && m.customerId === null) excluded.no_customer_id++
    else eligible.push(m)
  }
  // The unit's key: a customer's lowest card id, or the card itself when it has no owner.
  const keyOf = new Map<string, string>()
  for (const m of eligible) {
    if (m.customerId === null) continue
    const key = keyOf.get(m.customerId)
    if (key === undefined || m.cardId < key) keyOf.set(m.customerId, m.cardId)
  }
  const split: Split = { contacted: [], holdout: [], excluded }
  for (const m of eligible) {
    const key = m.customerId === null ? m.cardId : (keyOf.get(m.customerId) as string)
    const draw = holdoutDraw(options.seed, options.campaignId, key)
    ;(draw < options.share ? split.holdout : split.contacted).push(m)
  }
  return split
}
