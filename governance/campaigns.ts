import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Transaction } from 'kysely'
import { z } from 'zod'
import { findDormantCards } from '../analytics/index.ts'
import { type Config, formatCents, GiftCardError, toIso } from '../core/index.ts'
import type { Database, DB } from '../db/index.ts'

/** Who a campaign speaks to: cards with a balance left idle for a while. */
export const audienceSchema = z.object({
  minDaysInactive: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(90)
    .describe('days without a load or redemption'),
  minBalanceCents: z
    .number()
    .int()
    .min(1)
    .default(500)
    .describe('smallest balance to include, in cents'),
  maxBalanceCents: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('largest balance to include, in cents'),
})
export type Audience = z.infer<typeof audienceSchema>

export type AudienceMember = {
  cardId: string
  customer: string | null
  balanceCents: number
  reactivation: number
}

/** The audience as the ledger has it now, most likely to come back first. */
export async function selectAudience(
  database: Database,
  audience: Audience,
): Promise<AudienceMember[]> {
  const report = await findDormantCards(database, {
    minDays: audience.minDaysInactive,
    minBalanceCents: audience.minBalanceCents,
    limit: Number.MAX_SAFE_INTEGER,
  })
  const cards = report.dormant.filter(
    (c) => audience.maxBalanceCents === undefined || c.balanceCents <= audience.maxBalanceCents,
  )
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
  audience: Audience
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
  input: { name: string; audience: Audience; offer: string; message: string; createdBy: string },
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
  const audience = audienceSchema.parse(JSON.parse(row.segment))
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
  const lines = ['campaign_id,card_id,customer_pseudonym,balance_cents,message']
  for (const m of members)
    lines.push(
      [campaign.campaignId, m.cardId, m.customer ?? '', m.balanceCents, campaign.message]
        .map(csvCell)
        .join(','),
    )
  await writeFile(file, `${lines.join('\n')}\n`)
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

function csvCell(value: unknown): string {
  const s = String(value)
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export const describeAudience = (a: Audience): string =>
  `cards idle ${a.minDaysInactive}+ days with ${formatCents(a.minBalanceCents)}${
    a.maxBalanceCents ? `–${formatCents(a.maxBalanceCents)}` : '+'
  } on them`
