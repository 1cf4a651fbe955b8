import { z } from 'zod'
import { MAX_OFFSET } from '../core/index.ts'
import type { Scope } from '../governance/index.ts'
import {
  CAMPAIGN_STATUSES,
  type CampaignRecord,
  type CampaignStatus,
  campaignLift,
  describeAudience,
  listCampaigns as list,
} from './campaigns/index.ts'
import { ALL_ROLES, defineTool, type ToolContext } from './define-tool.ts'
import { money, page } from './format.ts'
import { audienceCriteriaSchema, moneySchema, pageShape } from './result-schemas.ts'

/** True when a campaign's audience is limited to the pilot's stores (it was drafted in it). */
const inPilot = (scope: Scope, c: CampaignRecord) =>
  c.audience.locationIds?.every((id) => scope.includesStore(id)) === true

/**
 * Under a pilot: the campaigns drafted for its stores, counted and paged as `listCampaigns`
 * does for all of them.
 */
async function pilotCampaigns(
  ctx: ToolContext,
  filters: { status?: CampaignStatus; limit: number; offset: number },
) {
  const all = await list(ctx.database, { limit: Number.MAX_SAFE_INTEGER })
  const visible = all.campaigns.filter((c) => inPilot(ctx.scope, c))
  const counts = Object.fromEntries(CAMPAIGN_STATUSES.map((s) => [s, 0])) as Record<
    CampaignStatus,
    number
  >
  for (const c of visible) counts[c.status]++
  const matching = filters.status ? visible.filter((c) => c.status === filters.status) : visible
  return {
    campaigns: matching.slice(filters.offset, filters.offset + filters.limit),
    total: matching.length,
    counts,
  }
}

/** One arm of a campaign's lift window: its cards, those that redeemed, and the rate. */
const armSchema = z.object({ cards: z.number(), redeemed: z.number(), rate: z.number() })

/** list_campaigns' result: counts by status and a page of campaigns with their launch approval. */
export const listCampaignsOutput = z.object({
  counts: z.record(z.enum(CAMPAIGN_STATUSES), z.number()),
  ...pageShape(
    z.object({
      campaignId: z.number(),
      name: z.string(),
      status: z.enum(CAMPAIGN_STATUSES),
      audience: z.string(),
      audienceCriteria: audienceCriteriaSchema,
      targetCount: z.number(),
      targetLiability: moneySchema,
      predictedUptake: z.number(),
      offer: z.string(),
      message: z.string(),
      createdBy: z.string(),
      createdAt: z.string(),
      launchedAt: z.string().nullable(),
      launch: z
        .object({
          provider: z.string().nullable(),
          holdoutShare: z.number().nullable(),
          counts: z.record(z.string(), z.number()).nullable(),
        })
        .nullable(),
      lift: z
        .array(
          z.object({
            days: z.union([z.literal(30), z.literal(60), z.literal(90)]),
            complete: z.boolean(),
            contacted: armSchema,
            holdout: armSchema,
            liftPoints: z.number().nullable(),
            pValue: z.number().nullable(),
            test: z.enum(['chi_square', 'fisher']).nullable(),
          }),
        )
        .nullable(),
      approval: z
        .object({
          approvalId: z.number(),
          status: z.string(),
          requestedBy: z.string(),
          decidedBy: z.string().nullable(),
          decidedAt: z.string().nullable(),
        })
        .nullable(),
    }),
  ),
})
export type ListCampaignsResult = z.infer<typeof listCampaignsOutput>

export const listCampaigns = defineTool({
  name: 'list_campaigns',
  title: 'List campaigns',
  description:
    'Reactivation campaigns, newest first, with their audience criteria, how many cards they target and the balances on them, predicted uptake, status (draft, pending_approval: a launch request awaits a manager, launched, rejected), who drafted them and their launch approval. A read. Returns { counts: { draft, pending_approval, launched, rejected }, total, items: [{ campaignId, name, status, audience (one line), audienceCriteria, targetCount, targetLiability, predictedUptake, offer, message, createdBy, createdAt, launchedAt, launch: { provider, holdoutShare, counts: { contacted, holdout, unsubscribed, suppressed, no_customer_id } } | null, lift: [{ days: 30|60|90, complete, contacted: { cards, redeemed, rate }, holdout: { cards, redeemed, rate }, liftPoints, pValue, test }] | null, approval: { approvalId, status, requestedBy, decidedBy, decidedAt } | null }], nextOffset? }. lift compares the redemption rate of contacted cards with the held-out ones after the launch; a window not yet over is complete: false.',
  input: z.object({
    status: z.enum(CAMPAIGN_STATUSES).optional().describe('only campaigns with this status'),
    limit: z.number().int().min(1).max(100).default(20).describe('campaigns per page'),
    offset: z.number().int().min(0).max(MAX_OFFSET).default(0).describe('where the page starts'),
  }),
  output: listCampaignsOutput,
  access: 'read',
  roles: ALL_ROLES,
  // Only campaigns drafted for the pilot's stores.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const filters = {
      ...(input.status ? { status: input.status } : {}),
      limit: input.limit,
      offset: input.offset,
    }
    const result = ctx.scope.pilot
      ? await pilotCampaigns(ctx, filters)
      : await list(ctx.database, filters)
    const lifts = await campaignLift(
      ctx.database,
      result.campaigns.filter((c) => c.status === 'launched').map((c) => c.campaignId),
    )
    return {
      counts: result.counts,
      ...page(
        result.campaigns.map((c) => ({
          campaignId: c.campaignId,
          name: c.name,
          status: c.status,
          audience: describeAudience(c.audience),
          audienceCriteria: c.audience,
          targetCount: c.targetCount,
          targetLiability: money(c.targetLiabilityCents),
          predictedUptake: c.predictedUptake,
          offer: c.offer,
          message: c.message,
          createdBy: c.createdBy,
          createdAt: c.createdAt,
          launchedAt: c.launchedAt,
          launch: c.launch,
          lift: lifts.get(c.campaignId) ?? null,
          approval: c.approval,
        })),
        result.total,
        input.offset,
      ),
    }
  },
})
