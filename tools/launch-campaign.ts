import { z } from 'zod'
import { formatCents, GiftCardError, MAX_ROW_ID } from '../core/index.ts'
import {
  describeAudience,
  getCampaign,
  launchCampaign as launch,
  prepareLaunch,
  selectAudience,
} from '../governance/index.ts'
import { defineTool } from './define-tool.ts'
import { money } from './format.ts'

const args = z.object({ campaignId: z.number().int().positive().max(MAX_ROW_ID) })

export const launchCampaign = defineTool({
  name: 'launch_campaign',
  title: 'Launch a drafted campaign',
  description:
    "Request the launch of a drafted campaign (draft_campaign gives its id): the audience's pseudonyms and the message are exported and handed to the messaging platform. It files an approval request that a manager other than the requester must approve; report the approval id and that it is pending.",
  input: z.object({
    campaignId: z.number().int().positive().max(MAX_ROW_ID).describe('the drafted campaign id'),
  }),
  access: 'write',
  roles: ['analyst', 'manager'],
  plan: async (ctx, input) => {
    const campaign = await getCampaign(ctx.database, input.campaignId)
    if (campaign.status !== 'draft')
      throw new GiftCardError(
        'CONFLICT',
        `campaign #${campaign.campaignId} is ${campaign.status}, not a draft`,
      )
    const members = await selectAudience(ctx.database, campaign.audience)
    const threshold = ctx.config.campaigns.approvalThresholdCents
    const above = members.filter((m) => m.balanceCents > threshold).length
    const liability = members.reduce((s, m) => s + m.balanceCents, 0)
    const warning =
      above > 0 ? ` — ${above} targeted cards hold more than ${formatCents(threshold)}` : ''
    return {
      args: { campaignId: campaign.campaignId },
      reason: null,
      summary: `Launch campaign #${campaign.campaignId} "${campaign.name}" to ${members.length} cards (${formatCents(liability)} of balances)${warning}`,
      details: {
        campaignId: campaign.campaignId,
        name: campaign.name,
        audience: describeAudience(campaign.audience),
        audienceCriteria: campaign.audience,
        targetCount: members.length,
        targetLiability: money(liability),
        predictedUptake: campaign.predictedUptake,
        cardsAboveThreshold: above,
        threshold: money(threshold),
        message: campaign.message,
      },
    }
  },
  executor: ({ config }) => ({
    prepare: (database, raw) => prepareLaunch(database, args.parse(raw).campaignId),
    apply: async (_database, trx, _raw, { approvalId, prepared }) => {
      const { campaign, members } = prepared as Awaited<ReturnType<typeof prepareLaunch>>
      return launch(trx, config, { campaign, members, approvalId })
    },
  }),
})
