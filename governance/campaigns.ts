import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Transaction } from 'kysely'
import { z } from 'zod'
import { cardSegments, findDormantCards, inSegment, SEGMENTS } from '../analytics/index.ts'
import {
  CARD_STATUSES,
  type Config,
  csvText,
  formatCents,
  GiftCardError,
  MAX_CENTS,
  toIso,
} from '../core/index.ts'
import type { Database, DB } from '../db/index.ts'

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

export type AudienceMember = {
  cardId: string
  customer: string | null
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
  const owners = new Map<string, string | null>()
  for (let i = 0; i < cards.length; i += 500) {
    const rows = await database.db
      .selectFrom('gift_cards as g')
      .leftJoin('customers as c', (j) =>
        j.on((eb) =>
          eb('c.id', '=', eb.fn.coalesce('g.holder_customer_id', 'g.purchaser_customer_id')),
        ),
      )
      .select(['g.id', 'c.pseudonym'])
      .where(
        'g.id',
        'in',
        cards.slice(i, i + 500).map((c) => c.cardId),
      )
      .execute()
    for (const r of rows) owners.set(r.id, r.pseudonym)
  }
  return cards.map((c) => ({
    cardId: c.cardId,
    customer: owners.get(c.cardId) ?? null,
    balanceCents: c.balanceCents,
    reactivation: c.reactivation,
  }))
}

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

export type LaunchOutcome = {
  campaignId: number
  audience: number
  file: string
  handedOffTo: string | null
}

/** What a launch needs, read before its transaction: the campaign and its audience now. */
export async function prepareLaunch(database: Database, campaignId: number) {
  const campaign = await getCampaign(database, campaignId)
  return { campaign, members: await selectAudience(database, campaign.audience) }
}

/**
 * Launches an approved campaign: the audience (pseudonyms and card ids, never names, emails or
 * phones) and the message go to a CSV file and, when CAMPAIGN_WEBHOOK_URL is set, are posted
 * there as JSON (a Klaviyo / Braze-style hand-off). The campaign becomes `launched`.
 */
export async function launchCampaign(
  trx: Transaction<DB>,
  config: Config,
  args: { campaign: Campaign; members: AudienceMember[]; approvalId: number },
): Promise<LaunchOutcome> {
  const { campaign, members } = args
  const current = await trx
    .selectFrom('campaigns')
    .select('status')
    .where('id', '=', campaign.campaignId)
    .executeTakeFirst()
  if (current?.status === 'launched')
    throw new GiftCardError('CONFLICT', `campaign #${campaign.campaignId} was already launched`)
  await mkdir(config.campaigns.exportDir, { recursive: true })
  const file = resolve(join(config.campaigns.exportDir, `campaign-${campaign.campaignId}.csv`))
  await writeFile(
    file,
    csvText(
      ['campaign_id', 'card_id', 'customer_pseudonym', 'balance_cents', 'message'],
      members.map((m) => [
        campaign.campaignId,
        m.cardId,
        m.customer ?? '',
        m.balanceCents,
        campaign.message,
      ]),
      '\n',
    ),
  )
  let handedOffTo: string | null = null
  if (config.campaigns.webhookUrl) {
    const response = await fetch(config.campaigns.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': `campaign-approval-${args.approvalId}`,
      },
      body: JSON.stringify({
        campaign: {
          id: campaign.campaignId,
          name: campaign.name,
          offer: campaign.offer,
          message: campaign.message,
        },
        audience: members.map((m) => ({
          card_id: m.cardId,
          customer: m.customer,
          balance_cents: m.balanceCents,
        })),
      }),
      signal: AbortSignal.timeout(30_000),
    }).catch((cause) => {
      throw new GiftCardError(
        'INTERNAL',
        `the campaign webhook could not be reached: ${(cause as Error).message}`,
        { cause },
      )
    })
    if (!response.ok)
      throw new GiftCardError('CONFLICT', `the campaign webhook answered HTTP ${response.status}`)
    handedOffTo = new URL(config.campaigns.webhookUrl).host
  }
  await trx
    .updateTable('campaigns')
    .set({
      status: 'launched',
      launched_at: toIso(Date.now()),
      approval_id: args.approvalId,
      target_count: members.length,
    })
    .where('id', '=', campaign.campaignId)
    .execute()
  return { campaignId: campaign.campaignId, audience: members.length, file, handedOffTo }
}

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

/** What a campaign list shows of its status: the launch request's state shows on a draft. */
export const CAMPAIGN_STATUSES = ['draft', 'pending_approval', 'launched', 'rejected'] as const
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number]

/** A campaign as listed: its criteria, counts, who drafted it and its launch approval. */
export type CampaignRecord = Campaign & {
  status: CampaignStatus
  createdBy: string
  createdAt: string
  launchedAt: string | null
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
