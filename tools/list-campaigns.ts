import { z } from 'zod'
import { MAX_OFFSET } from '../core/index.ts'
import { CAMPAIGN_STATUSES, describeAudience, listCampaigns as list } from '../governance/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money, page } from './format.ts'

export const listCampaigns = defineTool({
  name: 'list_campaigns',
  title: 'List campaigns',
  description:
    'Reactivation campaigns, newest first, with their audience criteria, how many cards they target and the balances on them, predicted uptake, status (draft, pending_approval: a launch request awaits a manager, launched, rejected), who drafted them and their launch approval. A read. Returns { counts: { draft, pending_approval, launched, rejected }, total, items: [{ campaignId, name, status, audience (one line), audienceCriteria, targetCount, targetLiability, predictedUptake, offer, message, createdBy, createdAt, launchedAt, approval: { approvalId, status, requestedBy, decidedBy, decidedAt } | null }], nextOffset? }.',
  input: z.object({
    status: z.enum(CAMPAIGN_STATUSES).optional().describe('only campaigns with this status'),
    limit: z.number().int().min(1).max(100).default(20).describe('campaigns per page'),
    offset: z.number().int().min(0).max(MAX_OFFSET).default(0).describe('where the page starts'),
  }),
  access: 'read',
  roles: ALL_ROLES,
  run: async (ctx, input) => {
    const result = await list(ctx.database, {
      ...(input.status ? { status: input.status } : {}),
      limit: input.limit,
      offset: input.offset,
    })
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
          approval: c.approval,
        })),
        result.total,
        input.offset,
      ),
    }
  },
})
