import { z } from 'zod'
import { DAY_MS, GiftCardError, toIso } from '../core/index.ts'
import {
  audienceSchema,
  describeAudience,
  draftCampaign as draft,
  type StoredAudience,
} from './campaigns/index.ts'
import { chainCalendar } from './chain-calendar.ts'
import { ALL_ROLES, defineTool, type ToolContext } from './define-tool.ts'
import { money } from './format.ts'
import { locationInScope, requireJurisdictions } from './pilot.ts'
import { audienceCriteriaSchema, moneySchema } from './result-schemas.ts'

/**
 * The audience with what its words mean today pinned down: the idle cutoff as an instant (on
 * the chain's calendar for idleSince), the stores a location names. The launch re-reads exactly
 * this, so it targets the drafted criteria. Unknown card ids are refused, never dropped. Under a
 * pilot (docs/pilot.md) the audience is the pilot's cards: its stores are pinned too, and a
 * store, state or card outside it is refused.
 */
async function resolveAudience(
  ctx: ToolContext,
  audience: z.infer<typeof audienceSchema>,
): Promise<StoredAudience> {
  const calendar = await chainCalendar(ctx)
  const idleBefore = audience.idleSince
    ? calendar.start(audience.idleSince)
    : toIso(Date.now() - (audience.minDaysInactive ?? 90) * DAY_MS)
  const { scope } = ctx
  requireJurisdictions(ctx, audience.jurisdiction)
  const location = await locationInScope(ctx, audience.location)
  if (audience.cardIds) {
    const ids = [...new Set(audience.cardIds)]
    const found = new Set<string>()
    const outside: string[] = []
    for (let i = 0; i < ids.length; i += 250) {
      const rows = await ctx.database.db
        .selectFrom('gift_cards')
        .select(['id', 'issuing_location_id'])
        .where('id', 'in', ids.slice(i, i + 250))
        .execute()
      for (const r of rows) {
        found.add(r.id)
        if (!scope.includesStore(r.issuing_location_id)) outside.push(r.id)
      }
    }
    if (outside.length > 0)
      throw scope.refusal(
        `cardIds: ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ` and ${outside.length - 5} more` : ''}`,
      )
    const missing = ids.filter((id) => !found.has(id))
    if (missing.length > 0)
      throw new GiftCardError(
        'CARD_NOT_FOUND',
        `cardIds: no gift card with id ${missing
          .slice(0, 5)
          .map((m) => JSON.stringify(m))
          .join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
      )
  }
  return {
    ...audience,
    ...(audience.cardIds ? { cardIds: [...new Set(audience.cardIds)] } : {}),
    idleBefore,
    ...(location
      ? { locationIds: location.ids, stores: location.stores }
      : scope.pilot
        ? { locationIds: scope.locationIds, stores: [...scope.stores] }
        : {}),
    ...(scope.pilot ? { pilotStores: scope.locationIds } : {}),
  }
}

/** draft_campaign's result: the saved draft, its audience sized and priced, and what comes next. */
export const draftCampaignOutput = z.object({
  campaignId: z.number(),
  name: z.string(),
  status: z.string(),
  audience: z.string(),
  audienceCriteria: audienceCriteriaSchema,
  targetCount: z.number(),
  targetLiability: moneySchema,
  predictedUptake: z.number(),
  expectedReactivatedCards: z.number(),
  cardsAboveApprovalThreshold: z.number(),
  approvalThreshold: moneySchema,
  offer: z.string(),
  message: z.string(),
  next: z.string(),
})
export type DraftCampaignResult = z.infer<typeof draftCampaignOutput>

export const draftCampaign = defineTool({
  name: 'draft_campaign',
  title: 'Draft a reactivation campaign',
  description:
    'Draft a campaign to dormant card holders: sizes the audience (cards idle for N days or since a day, with a balance in a range, optionally only a purchaser segment, a card status, a jurisdiction, a store, or given card ids — "those cards" = the ids just listed), totals its liability, predicts uptake from the reactivation model, and saves it as a draft. Nothing is sent: launching needs launch_campaign and a manager\'s approval, and the launch targets exactly these criteria. Returns { campaignId, status, audience (one line), audienceCriteria, targetCount, targetLiability, predictedUptake, expectedReactivatedCards, cardsAboveApprovalThreshold, next }.',
  input: z.object({
    name: z.string().min(1).max(120).default('Dormant card reactivation').describe('campaign name'),
    audience: audienceSchema
      .default({ minDaysInactive: 90, minBalanceCents: 500 })
      .describe('who it targets'),
    offer: z
      .string()
      .min(1)
      .max(200)
      .default('Your gift card balance is waiting')
      .describe('the offer, e.g. 10% off with your gift card'),
    message: z
      .string()
      .min(1)
      .max(1000)
      .default('You still have a balance on your gift card. Come and treat yourself!')
      .describe('the message to send'),
  }),
  output: draftCampaignOutput,
  access: 'read',
  records: true,
  roles: ALL_ROLES,
  pilot: 'scoped',
  run: async (ctx, input) => {
    const audience = await resolveAudience(ctx, input.audience)
    const c = await draft(ctx.database, ctx.config, {
      ...input,
      audience,
      createdBy: ctx.actor.id,
    })
    return {
      campaignId: c.campaignId,
      name: c.name,
      status: c.status,
      audience: describeAudience(c.audience),
      audienceCriteria: c.audience,
      targetCount: c.targetCount,
      targetLiability: money(c.targetLiabilityCents),
      predictedUptake: c.predictedUptake,
      expectedReactivatedCards: Math.round(c.targetCount * c.predictedUptake),
      cardsAboveApprovalThreshold: c.cardsAboveThreshold,
      approvalThreshold: money(c.thresholdCents),
      offer: c.offer,
      message: c.message,
      next: `launch_campaign with campaignId ${c.campaignId} files it for a manager's approval`,
    }
  },
})
