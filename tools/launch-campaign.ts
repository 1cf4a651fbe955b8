import { z } from 'zod'
import { formatCents, GiftCardError, MAX_ROW_ID } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { cardsInScope, Scope } from '../governance/index.ts'
import {
  type AudienceMember,
  describeAudience,
  getCampaign,
  type HandedOff,
  handOffLaunch,
  type PreparedLaunch,
  prepareLaunch,
  recordLaunch,
  selectAudience,
  splitFor,
} from './campaigns/index.ts'
import { defineTool } from './define-tool.ts'
import { money } from './format.ts'
import { type PendingApproval, pendingApprovalSchema } from './result-schemas.ts'

const args = z.object({ campaignId: z.number().int().positive().max(MAX_ROW_ID) })

/**
 * Refuses (OUT_OF_SCOPE) a campaign whose audience holds cards outside the pilot: one drafted
 * before the pilot began, or for other stores (docs/pilot.md).
 */
async function requireAudienceInPilot(
  database: Database,
  scope: Scope,
  campaignId: number,
  members: readonly AudienceMember[],
): Promise<void> {
  if (!scope.pilot) return
  const ids = members.map((m) => m.cardId)
  const inScope = await cardsInScope(database, scope, ids)
  const outside = ids.filter((id) => !inScope.has(id)).length
  if (outside > 0)
    throw scope.refusal(
      `campaign #${campaignId} (${outside} of its ${ids.length} cards)`,
      'draft a new campaign while the pilot is on',
    )
}

/** A write tool answers with the approval request it filed; the approval runs it. */
export type LaunchCampaignResult = PendingApproval

export const launchCampaign = defineTool({
  name: 'launch_campaign',
  title: 'Launch a drafted campaign',
  description:
    'Request the launch of a drafted campaign (draft_campaign gives its id): the audience is handed to the messaging platform (Klaviyo, Braze, a webhook or a CSV file), less a random holdout kept to measure lift and less customers who unsubscribed. It files an approval request that a manager other than the requester must approve; report the approval id and that it is pending.',
  input: z.object({
    campaignId: z.number().int().positive().max(MAX_ROW_ID).describe('the drafted campaign id'),
  }),
  output: pendingApprovalSchema,
  access: 'write',
  roles: ['analyst', 'manager'],
  // An audience with cards outside the pilot is refused before any approval is filed, and
  // checked again when the approved launch runs.
  pilot: 'scoped',
  plan: async (ctx, input) => {
    const campaign = await getCampaign(ctx.database, input.campaignId)
    if (campaign.status !== 'draft')
      throw new GiftCardError(
        'CONFLICT',
        `campaign #${campaign.campaignId} is ${campaign.status}, not a draft`,
      )
    const members = await selectAudience(ctx.database, campaign.audience)
    await requireAudienceInPilot(ctx.database, ctx.scope, campaign.campaignId, members)
    const threshold = ctx.config.campaigns.approvalThresholdCents
    const above = members.filter((m) => m.balanceCents > threshold).length
    const liability = members.reduce((s, m) => s + m.balanceCents, 0)
    // What the launch will do with the audience as it stands now (it is split again, the same
    // way, when the approved launch runs): counts only, never who.
    const split = splitFor(ctx.config, campaign.campaignId, members)
    const warning =
      above > 0 ? ` — ${above} targeted cards hold more than ${formatCents(threshold)}` : ''
    return {
      args: { campaignId: campaign.campaignId },
      reason: null,
      summary: `Launch campaign #${campaign.campaignId} "${campaign.name}" to ${members.length} cards (${formatCents(liability)} of balances) through ${ctx.config.campaigns.provider}: ${split.contacted.length} contacted, ${split.holdout.length} held out${warning}`,
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
        provider: ctx.config.campaigns.provider,
        contacted: split.contacted.length,
        holdout: split.holdout.length,
        holdoutShare: ctx.config.campaigns.holdoutShare,
        leftOut: split.excluded,
      },
    }
  },
  executor: ({ config }) => ({
    prepare: async (database, raw) => {
      const prepared = await prepareLaunch(database, config, args.parse(raw).campaignId)
      const scope = await Scope.resolve(database, config.pilot)
      await requireAudienceInPilot(database, scope, prepared.campaign.campaignId, prepared.members)
      return prepared
    },
    // The hand-off runs outside the transaction, only while the request is still approved.
    external: async (database, _raw, { approvalId, prepared }) =>
      handOffLaunch(database, config, prepared as PreparedLaunch, approvalId),
    apply: async (_database, trx, _raw, { approvalId, prepared, external }) =>
      recordLaunch(trx, prepared as PreparedLaunch, external as HandedOff, approvalId),
  }),
})
