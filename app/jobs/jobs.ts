import { chainDayOf, DAY_MS, formatCents, monthBefore, toIso } from '../../core/index.ts'
import { chainTimezone } from '../../tools/index.ts'
import type { JobContext, JobDefinition } from './define-job.ts'

/**
 * The scheduled jobs (docs/jobs.md). Each calls tools through the executor and returns one line
 * and a JSON result, which the scheduler stores in `job_runs` and audits.
 */

type Money = { cents: number; formatted: string }

/** Daily: every detector over the last day (the 24 hours before the slot), then Slack's post. */
export const fraudScanJob: JobDefinition = {
  name: 'fraud-scan',
  description: 'daily: a fraud scan of the last day; new alerts are posted to Slack',
  role: 'loss_prevention',
  async run(ctx) {
    const since = toIso(ctx.slot.getTime() - DAY_MS)
    const scan = (await ctx.call('job_fraud_scan', { since })) as {
      alerts: number
      newAlerts: number
      byRule: Record<string, number>
    }
    // New alerts reach Slack the way the streaming detector's do (SLACK_ALERTS_CHANNEL).
    if (scan.newAlerts > 0 && ctx.publishAlerts) await ctx.publishAlerts()
    return {
      summary: `${scan.newAlerts} new alert${scan.newAlerts === 1 ? '' : 's'} (${scan.alerts} found) since ${since}`,
      result: { since, ...scan },
    }
  },
}

type EscheatAnswer = {
  horizonMonths: number
  reportable: Money
  totalCards: number
  jurisdictions: { jurisdiction: string; status: string; cards: number; amount: Money }[]
}
type DormantAnswer = { dormantCards: number; dormantBalance: Money; minDays: number }
type DraftAnswer = {
  campaignId: number
  targetCount: number
  targetLiability: Money
  expectedReactivatedCards: number
  audience: string
}

/** Cards idle this long are "likely to break" in the digest (and the drafted campaign's audience). */
const AT_RISK_IDLE_DAYS = 365
/** Escheatment deadlines this many months ahead are "approaching". */
const AT_RISK_HORIZON_MONTHS = 6

/**
 * Weekly: the at-risk digest. Cards reaching their escheatment deadline within six months and
 * cards idle for a year (likely to break), the liability each holds, and a reactivation
 * campaign already drafted for the idle ones; launching it still needs launch_campaign and a
 * manager's approval. Posted to SLACK_DIGEST_CHANNEL (else the alerts channel).
 */
export const atRiskDigestJob: JobDefinition = {
  name: 'at-risk-digest',
  description:
    'weekly: cards nearing their escheatment deadline or likely to break, with a campaign drafted, to Slack',
  role: 'analyst',
  async run(ctx) {
    const timezone = await chainTimezone(ctx)
    const day = chainDayOf(ctx.slot.getTime(), timezone)
    const escheat = (await ctx.call('escheatment_report', {
      horizonMonths: AT_RISK_HORIZON_MONTHS,
      cards: 0,
    })) as EscheatAnswer
    const dormant = (await ctx.call('find_dormant_cards', {
      minDays: AT_RISK_IDLE_DAYS,
      sort: 'balance_desc',
      limit: 1,
    })) as DormantAnswer
    const campaign = (await ctx.call('draft_campaign', {
      name: `At-risk cards ${day}`,
      audience: { minDaysInactive: AT_RISK_IDLE_DAYS, minBalanceCents: 500 },
      offer: 'Your gift card balance is waiting',
      message: 'You still have a balance on your gift card. Come and treat yourself!',
    })) as DraftAnswer
    const text = digestText(day, escheat, dormant, campaign)
    const channel = ctx.config.slack.digestChannel
    let posted: { channel: string; ts: string | null } | null = null
    if (ctx.slack && channel) {
      const reply = await ctx.slack.post({ channel, text, blocks: digestBlocks(text) })
      posted = { channel, ts: reply.ts ?? null }
    }
    return {
      summary: `${escheat.totalCards} cards near escheatment (${escheat.reportable.formatted}), ${dormant.dormantCards} idle ${AT_RISK_IDLE_DAYS}+ days (${dormant.dormantBalance.formatted}); campaign #${campaign.campaignId} drafted${posted ? `; posted to ${channel}` : '; not posted (no Slack)'}`,
      result: {
        day,
        escheatment: {
          cards: escheat.totalCards,
          reportable: escheat.reportable,
          jurisdictions: escheat.jurisdictions.filter((j) => j.status === 'reportable'),
        },
        likelyToBreak: { cards: dormant.dormantCards, balance: dormant.dormantBalance },
        campaign,
        posted,
      },
    }
  },
}

/** The digest as Slack mrkdwn: what is at risk, and what to do about it. */
export function digestText(
  day: string,
  escheat: EscheatAnswer,
  dormant: DormantAnswer,
  campaign: DraftAnswer,
): string {
  const states = escheat.jurisdictions
    .filter((j) => j.status === 'reportable' && j.cards > 0)
    .slice(0, 5)
    .map((j) => `${j.jurisdiction} ${j.cards} (${j.amount.formatted})`)
    .join(', ')
  return [
    `*At-risk gift cards, week of ${day}*`,
    `• *Escheatment:* ${escheat.totalCards} cards reach their unclaimed-property deadline within ${escheat.horizonMonths} months, holding ${escheat.reportable.formatted}${states ? ` — ${states}` : ''}.`,
    `• *Likely to break:* ${dormant.dormantCards} cards idle ${dormant.minDays}+ days hold ${dormant.dormantBalance.formatted}.`,
    `• *Suggested action:* campaign #${campaign.campaignId} is drafted for ${campaign.targetCount} cards (${campaign.targetLiability.formatted}; ~${campaign.expectedReactivatedCards} expected back): ${campaign.audience}. Launching it needs launch_campaign and a manager's approval.`,
  ].join('\n')
}

function digestBlocks(text: string): unknown[] {
  return [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }]
}

type RefitAnswer = {
  forecastId: number | null
  modelVersion: string
  dataWatermark: string | null
  outstandingBreakageCents: number
  ultimateBreakageRate: number
  drift: {
    previousForecastId: number
    previousAsOf: string
    ultimateBreakageRateChangePts: number
    outstandingBreakageChangeCents: number
    overlap: { months: number; changeCents: number }
  } | null
}

/**
 * Monthly: the breakage forecast refitted as of the slot's chain day and stored with its model
 * version and data watermark, and its drift against last month's stored forecast.
 */
export const forecastRefitJob: JobDefinition = {
  name: 'forecast-refit',
  description:
    'monthly: the breakage forecast refitted and stored (model version, data watermark), with its drift against the last one',
  role: 'analyst',
  async run(ctx: JobContext) {
    const timezone = await chainTimezone(ctx)
    const asOf = chainDayOf(ctx.slot.getTime(), timezone)
    const f = (await ctx.call('job_forecast_refit', { asOf })) as RefitAnswer
    const drift = f.drift
      ? `; against #${f.drift.previousForecastId} (${f.drift.previousAsOf.slice(0, 10)}): ultimate breakage ${signed(f.drift.ultimateBreakageRateChangePts)} pts, outstanding breakage ${signedCents(f.drift.outstandingBreakageChangeCents)}, expected redemptions over ${f.drift.overlap.months} shared months ${signedCents(f.drift.overlap.changeCents)}`
      : '; no earlier forecast to compare'
    return {
      summary: `forecast #${f.forecastId} (${f.modelVersion}, data to ${f.dataWatermark ?? 'none'}): outstanding breakage ${formatCents(f.outstandingBreakageCents)}${drift}`,
      result: { day: asOf, ...f },
    }
  },
}

type JournalAnswer = {
  month: string
  entries: { externalId: string; total: Money }[]
  method: { estimator: { name: string; modelVersion: string } }
}

/**
 * Monthly, after the forecast refit: last month's journal entries prepared (docs/finance.md)
 * and, when QuickBooks is configured, filed for a manager's approval (post_journal_entries).
 * Posting still needs that approval; a month already posted or filed is said, not re-filed.
 */
export const journalCloseJob: JobDefinition = {
  name: 'journal-close',
  description:
    "monthly: last month's journal entries prepared (breakage, escheat reclass, true-up) and filed for a manager's approval to post to QuickBooks",
  role: 'analyst',
  async run(ctx: JobContext) {
    const timezone = await chainTimezone(ctx)
    const month = monthBefore(chainDayOf(ctx.slot.getTime(), timezone))
    const journal = (await ctx.call('prepare_journal_entries', { month })) as JournalAnswer
    const entries = journal.entries.map((e) => `${e.externalId} ${e.total.formatted}`).join(', ')
    const prepared = `${month}: ${journal.entries.length} entries (${journal.method.estimator.name})${entries ? `: ${entries}` : ''}`
    if (journal.entries.length === 0)
      return { summary: `${prepared}; nothing to post`, result: { month, filed: null } }
    try {
      const filed = (await ctx.call('post_journal_entries', { month })) as {
        approvalId?: number
      }
      return {
        summary: `${prepared}; filed for approval as #${filed.approvalId}`,
        result: { month, filed },
      }
    } catch (err) {
      // Not configured, or the month is already posted or waiting: the close is prepared, and
      // the reason it was not filed is the run's summary, not a failure.
      const reason = err instanceof Error ? err.message : String(err)
      if (!/: (CONFIG_INVALID|CONFLICT): /.test(reason)) throw err
      return {
        summary: `${prepared}; not filed: ${reason}`,
        result: { month, filed: null, reason },
      }
    }
  },
}

const signed = (n: number) => `${n >= 0 ? '+' : ''}${n}`
const signedCents = (c: number) => `${c >= 0 ? '+' : '-'}${formatCents(Math.abs(c))}`

/** Every job, in the order `giftcards jobs list` shows them. */
export const JOBS: readonly JobDefinition[] = [
  fraudScanJob,
  atRiskDigestJob,
  forecastRefitJob,
  journalCloseJob,
]
