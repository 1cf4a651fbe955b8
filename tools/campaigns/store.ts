import type { Config } from '../../core/index.ts'
import { formatCents, GiftCardError, toIso } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { type StoredAudience, selectAudience, storedAudienceSchema } from './audience.ts'

/**
 * Campaigns as stored (the `campaigns` table): drafting one, reading one, listing them with the
 * state of their launch request. Approval state itself lives in governance; this reads it.
 */

/** A stored campaign. */
export type Campaign = {
  campaignId: number
  name: string
  status: string
  audience: StoredAudience
  offer: string
  message: string
  targetCount: number
  targetLiabilityCents: number
  targetLiability: string
  /** Expected share of the audience that uses its card within about 90 days. */
  predictedUptake: number
}

/** A campaign as drafted, with what its audience holds against the approval threshold. */
export type CampaignDraft = Campaign & {
  /** Cards above CAMPAIGN_APPROVAL_THRESHOLD_CENTS: a launch says so in its approval request. */
  cardsAboveThreshold: number
  thresholdCents: number
}

/** Drafts a campaign: sizes the audience, predicts its uptake and stores it as a draft. */
export async function draftCampaign(
  database: Database,
  config: Config,
  input: {
    name: string
    audience: StoredAudience
    offer: string
    message: string
    createdBy: string
  },
): Promise<CampaignDraft> {
  const members = await selectAudience(database, input.audience)
  const liability = members.reduce((s, m) => s + m.balanceCents, 0)
  const uptake =
    members.length > 0 ? members.reduce((s, m) => s + m.reactivation, 0) / members.length : 0
  const threshold = config.campaigns.approvalThresholdCents
  const row = await database.db
    .insertInto('campaigns')
    .values({
      name: input.name,
      segment: JSON.stringify(input.audience),
      offer: input.offer,
      message: input.message,
      target_count: members.length,
      target_liability_cents: liability,
      predicted_uptake: Number(uptake.toFixed(4)),
      status: 'draft',
      approval_id: null,
      created_by: input.createdBy,
      created_at: toIso(Date.now()),
      launched_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return {
    campaignId: Number(row.id),
    name: input.name,
    status: 'draft',
    audience: input.audience,
    offer: input.offer,
    message: input.message,
    targetCount: members.length,
    targetLiabilityCents: liability,
    targetLiability: formatCents(liability),
    predictedUptake: Number(uptake.toFixed(4)),
    cardsAboveThreshold: members.filter((m) => m.balanceCents > threshold).length,
    thresholdCents: threshold,
  }
}

export async function getCampaign(database: Database, id: number): Promise<Campaign> {
  const row = await database.db
    .selectFrom('campaigns')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row)
    throw new GiftCardError('NOT_FOUND', `no campaign #${id}; draft one first with draft_campaign`)
  const audience = storedAudienceSchema.parse(JSON.parse(row.segment))
  return {
    campaignId: Number(row.id),
    name: row.name,
    status: row.status,
    audience,
    offer: row.offer,
    message: row.message,
    targetCount: row.target_count,
    targetLiabilityCents: row.target_liability_cents,
    targetLiability: formatCents(row.target_liability_cents),
    predictedUptake: row.predicted_uptake,
  }
}

/** What a campaign list shows of its status: the launch request's state shows on a draft. */
export const CAMPAIGN_STATUSES = ['draft', 'pending_approval', 'launched', 'rejected'] as const
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number]

/** A campaign as listed: its criteria, counts, who drafted it and its launch approval. */
export type CampaignRecord = Campaign & {
  status: CampaignStatus
  createdBy: string
  createdAt: string
  launchedAt: string | null
  /** Where the launch handed the audience, its holdout share and counts; null before a launch. */
  launch: {
    provider: string | null
    holdoutShare: number | null
    counts: Record<string, number> | null
  } | null
  /** The latest launch request, if one was filed. */
  approval: {
    approvalId: number
    status: string
    requestedBy: string
    decidedBy: string | null
    decidedAt: string | null
  } | null
}

/**
 * Campaigns newest first. A draft whose latest launch request is pending shows as
 * `pending_approval`, one whose latest request was rejected (or expired) as `rejected`; the
 * counts by status are over every campaign.
 */
export async function listCampaigns(
  database: Database,
  filters: { status?: CampaignStatus; limit?: number; offset?: number } = {},
): Promise<{ campaigns: CampaignRecord[]; total: number; counts: Record<CampaignStatus, number> }> {
  const [rows, requests] = await Promise.all([
    database.db.selectFrom('campaigns').selectAll().orderBy('id', 'desc').execute(),
    database.db
      .selectFrom('approval_requests')
      .select(['id', 'args', 'status', 'requested_by', 'decided_by', 'decided_at'])
      .where('action', '=', 'launch_campaign')
      .orderBy('id')
      .execute(),
  ])
  const latest = new Map<number, (typeof requests)[number]>()
  for (const r of requests) {
    const campaignId = Number((JSON.parse(r.args) as { campaignId?: unknown }).campaignId)
    if (Number.isInteger(campaignId)) latest.set(campaignId, r)
  }
  const all: CampaignRecord[] = rows.map((row) => {
    const id = Number(row.id)
    const request = row.approval_id
      ? (requests.find((r) => Number(r.id) === Number(row.approval_id)) ?? latest.get(id))
      : latest.get(id)
    let status: CampaignStatus = row.status
    if (status === 'draft' && request?.status === 'pending') status = 'pending_approval'
    else if (
      status === 'draft' &&
      (request?.status === 'rejected' || request?.status === 'expired')
    )
      status = 'rejected'
    return {
      campaignId: id,
      name: row.name,
      status,
      audience: storedAudienceSchema.parse(JSON.parse(row.segment)),
      offer: row.offer,
      message: row.message,
      targetCount: row.target_count,
      targetLiabilityCents: Number(row.target_liability_cents),
      targetLiability: formatCents(Number(row.target_liability_cents)),
      predictedUptake: row.predicted_uptake,
      createdBy: row.created_by,
      createdAt: row.created_at,
      launchedAt: row.launched_at,
      launch: row.launched_at
        ? {
            provider: row.provider,
            holdoutShare: row.holdout_share === null ? null : Number(row.holdout_share),
            counts: row.launch_counts
              ? (JSON.parse(row.launch_counts) as Record<string, number>)
              : null,
          }
        : null,
      approval: request
        ? {
            approvalId: Number(request.id),
            status: request.status,
            requestedBy: request.requested_by,
            decidedBy: request.decided_by,
            decidedAt: request.decided_at,
          }
        : null,
    }
  })
  const counts = Object.fromEntries(CAMPAIGN_STATUSES.map((s) => [s, 0])) as Record<
    CampaignStatus,
    number
  >
  for (const c of all) counts[c.status]++
  const matching = filters.status ? all.filter((c) => c.status === filters.status) : all
  const offset = filters.offset ?? 0
  return {
    campaigns: matching.slice(offset, offset + (filters.limit ?? 20)),
    total: matching.length,
    counts,
  }
}
