import { type Config, type EventSource, HOUR_MS, toIso } from '../core/index.ts'
import { type Database, sourceTimes } from '../db/index.ts'

/**
 * How fresh each POS source's data is (docs/reconciliation.md, "Freshness"): the newest event
 * time, the newest receipt time and the lag (now − newest event), and whether a configured
 * source is stale (lag over FRESHNESS_STALE_HOURS). `/healthz`, `giftcards status` and the
 * answers that depend on recent data (liability, metrics, reconciliation) carry it, so a figure
 * built on a feed that stopped a day ago says so.
 */

export type SourceFreshness = {
  source: EventSource
  /** Its webhook secret or its poller's credentials are set (what should keep it fresh). */
  configured: boolean
  lastEventAt: string | null
  lastReceivedAt: string | null
  /** Seconds from the newest event to now (null: no event yet). */
  lagSeconds: number | null
  /** Configured, and no event yet or the newest older than the threshold. */
  stale: boolean
}

export type Freshness = {
  checkedAt: string
  staleAfterHours: number
  /** Sources configured or with anything in the ledger, in EVENT_SOURCES order. */
  sources: SourceFreshness[]
  /** The stale sources' names (empty when none). */
  stale: EventSource[]
  /** One sentence naming the stale sources, for a person or a model; absent when none. */
  warning?: string
}

/**
 * The sources the configuration feeds: webhooks with a secret, pollers with credentials
 * (docs/configuration.md). `import` and `seed` are run by hand, never expected to keep up.
 */
export function fedSources(config: Config): Set<EventSource> {
  const on = new Set<EventSource>()
  if (config.square.webhookSignatureKey || config.square.accessToken) on.add('square')
  if (config.shopify.webhookSecret) on.add('shopify')
  if (config.generic.webhookSecret) on.add('generic')
  const ls = config.lightspeed
  if ((ls.baseUrl && ls.accessToken) || (ls.rSeries.accountId && ls.rSeries.accessToken))
    on.add('lightspeed')
  if (config.clover.webhookAuthCode || config.clover.giftCardsFile) on.add('clover')
  return on
}

/** Each source's freshness now (or at `now`, for tests). A few index probes: cheap. */
export async function ledgerFreshness(
  database: Pick<Database, 'db'>,
  config: Config,
  now: number = Date.now(),
): Promise<Freshness> {
  const configured = fedSources(config)
  const staleAfterHours = config.ingest.staleAfterHours
  const limitMs = staleAfterHours * HOUR_MS
  const sources: SourceFreshness[] = []
  for (const times of await sourceTimes(database.db)) {
    const on = configured.has(times.source)
    if (!on && times.lastEventAt === null && times.lastReceivedAt === null) continue
    const lagMs =
      times.lastEventAt === null ? null : Math.max(0, now - Date.parse(times.lastEventAt))
    sources.push({
      ...times,
      configured: on,
      lagSeconds: lagMs === null ? null : Math.round(lagMs / 1000),
      stale: on && (lagMs === null || lagMs > limitMs),
    })
  }
  const stale = sources.filter((s) => s.stale)
  return {
    checkedAt: toIso(now),
    staleAfterHours,
    sources,
    stale: stale.map((s) => s.source),
    ...(stale.length > 0 ? { warning: staleWarning(stale, staleAfterHours) } : {}),
  }
}

/** "square's newest event is 30.5 h old, shopify has sent none yet (…)" */
function staleWarning(stale: readonly SourceFreshness[], hours: number): string {
  const parts = stale.map((s) =>
    s.lagSeconds === null
      ? `${s.source} is configured but has no event in the ledger yet`
      : `${s.source}'s newest event is ${describeLag(s.lagSeconds)} old`,
  )
  return `${parts.join('; ')} (stale after ${hours} h, FRESHNESS_STALE_HOURS): figures may miss recent activity`
}

/** A lag as a person reads it: `45 s`, `12 min`, `5.2 h`, `3.1 days`. */
export function describeLag(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`
  if (seconds < 72 * 3600) return `${(seconds / 3600).toFixed(1)} h`
  return `${(seconds / 86_400).toFixed(1)} days`
}

/**
 * The freshness an answer carries (compact: no receipt times, no unconfigured source without
 * events): `{ sources: [{ source, lastEventAt, lagSeconds }], stale?, warning? }`.
 */
export async function answerFreshness(
  ctx: { database: Pick<Database, 'db'>; config: Config },
  now: number = Date.now(),
) {
  const full = await ledgerFreshness(ctx.database, ctx.config, now)
  return {
    sources: full.sources
      .filter((s) => s.configured || s.lastEventAt !== null)
      .map((s) => ({ source: s.source, lastEventAt: s.lastEventAt, lagSeconds: s.lagSeconds })),
    ...(full.stale.length > 0 ? { stale: full.stale, warning: full.warning } : {}),
  }
}
