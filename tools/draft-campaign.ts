import { z } from 'zod'
import { audienceSchema, describeAudience, draftCampaign as draft } from '../governance/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money } from './format.ts'

export const draftCampaign = defineTool({
  name: 'draft_campaign',
  title: 'Draft a reactivation campaign',
  description:
    "Draft a campaign to dormant card holders: sizes the audience (cards idle for N days with a balance in a range), totals its liability, predicts uptake from the reactivation model, and saves it as a draft. Nothing is sent: launching needs launch_campaign and a manager's approval.",
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
  access: 'read',
  records: true,
  roles: ALL_ROLES,
  run: async (ctx, input) => {
    const c = await draft(ctx.database, ctx.config, { ...input, createdBy: ctx.actor.id })
    return {
      campaignId: c.campaignId,
      name: c.name,
      status: c.status,
      audience: describeAudience(c.audience),
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
