import type { Transaction } from 'kysely'
import { type Config, GiftCardError, toIso } from '../../core/index.ts'
import type { Database, DB } from '../../db/index.ts'
import { type AudienceMember, selectAudience } from './audience.ts'
import { type Exclusion, type Split, splitAudience } from './holdout.ts'
import {
  clearSendLog,
  type HandOffResult,
  handOff,
  needsCustomerId,
  writeAudienceFile,
} from './providers/index.ts'
import { type Campaign, getCampaign } from './store.ts'

/**
 * A campaign's launch, in the three steps of an approved write (docs/approvals.md):
 * `prepareLaunch` reads (the campaign, its audience now, the split into contacted, holdout and
 * left out), `handOffLaunch` calls outside the database (the CSV file and the platform), and
 * `recordLaunch` writes, in the approval's claiming transaction, who was contacted and who held
 * out. The CRM's customer ids are read only here, inside the approved execution; what goes back
 * to a person or a model is counts.
 */

export type PreparedLaunch = {
  campaign: Campaign
  members: AudienceMember[]
  split: Split
  holdoutShare: number
}

/** What a launch did, as its approval's outcome: counts only, never a customer id. */
export type LaunchOutcome = {
  campaignId: number
  /** Cards contacted (the audience the platform got). */
  audience: number
  holdout: number
  holdoutShare: number
  excluded: Record<Exclusion, number>
  provider: string
  file: string
  handedOffTo: string | null
}

/** The split of an audience as this configuration launches it. */
export function splitFor(config: Config, campaignId: number, members: readonly AudienceMember[]) {
  return splitAudience(members, {
    seed: config.campaigns.holdoutSeed,
    campaignId,
    share: config.campaigns.holdoutShare,
    needsCustomerId: needsCustomerId(config),
  })
}

/** Reads what a launch needs, with no side effect (two racing executions may both prepare). */
export async function prepareLaunch(
  database: Database,
  config: Config,
  campaignId: number,
): Promise<PreparedLaunch> {
  const campaign = await getCampaign(database, campaignId)
  if (campaign.status === 'launched')
    throw new GiftCardError('CONFLICT', `campaign #${campaignId} was already launched`)
  const members = await selectAudience(database, campaign.audience)
  return {
    campaign,
    members,
    split: splitFor(config, campaignId, members),
    holdoutShare: config.campaigns.holdoutShare,
  }
}

export type HandedOff = { file: string; result: HandOffResult }

/**
 * The hand-off, outside any transaction: the contacted arm to the CSV file and to the
 * configured platform, keyed by the approval id where the platform allows (docs/campaigns.md).
 */
export async function handOffLaunch(
  database: Database,
  config: Config,
  prepared: PreparedLaunch,
  approvalId: number,
): Promise<HandedOff> {
  const request = { campaign: prepared.campaign, recipients: prepared.split.contacted, approvalId }
  const file = await writeAudienceFile(config.campaigns.exportDir, request)
  return { file, result: await handOff(database, config, request) }
}

/** Records the launch in the claiming transaction: the arms, the counts, the platform's ids. */
export async function recordLaunch(
  trx: Transaction<DB>,
  prepared: PreparedLaunch,
  handedOff: HandedOff,
  approvalId: number,
): Promise<LaunchOutcome> {
  const { campaign, split } = prepared
  const current = await trx
    .selectFrom('campaigns')
    .select('status')
    .where('id', '=', campaign.campaignId)
    .executeTakeFirst()
  if (current?.status === 'launched')
    throw new GiftCardError('CONFLICT', `campaign #${campaign.campaignId} was already launched`)
  // The launch is recorded: what its sends logged on the way is no longer needed.
  await clearSendLog(trx, approvalId)
  const now = toIso(Date.now())
  const rows = [
    ...split.contacted.map((m) => ({ arm: 'contacted' as const, card: m.cardId })),
    ...split.holdout.map((m) => ({ arm: 'holdout' as const, card: m.cardId })),
  ]
  for (let i = 0; i < rows.length; i += 500)
    await trx
      .insertInto('campaign_members')
      .values(
        rows.slice(i, i + 500).map((r) => ({
          campaign_id: campaign.campaignId,
          card_id: r.card,
          arm: r.arm,
          created_at: now,
        })),
      )
      .execute()
  const counts = {
    contacted: split.contacted.length,
    holdout: split.holdout.length,
    ...split.excluded,
  }
  await trx
    .updateTable('campaigns')
    .set({
      status: 'launched',
      launched_at: now,
      approval_id: approvalId,
      target_count: prepared.members.length,
      provider: handedOff.result.provider,
      provider_ref: JSON.stringify(handedOff.result.reference),
      holdout_share: prepared.holdoutShare,
      launch_counts: JSON.stringify(counts),
    })
    .where('id', '=', campaign.campaignId)
    .execute()
  return {
    campaignId: campaign.campaignId,
    audience: split.contacted.length,
    holdout: split.holdout.length,
    holdoutShare: prepared.holdoutShare,
    excluded: split.excluded,
    provider: handedOff.result.provider,
    file: handedOff.file,
    handedOffTo: handedOff.result.handedOffTo,
  }
}
