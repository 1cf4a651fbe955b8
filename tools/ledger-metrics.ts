import { z } from 'zod'
import { CHANNELS, csvText, OCCASIONS } from '../core/index.ts'
import {
  ledgerMetric,
  METRIC_DIMENSIONS,
  METRICS,
  type MetricDimension,
  type MetricRow,
} from '../db/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money } from './format.ts'
import { answerFreshness } from './freshness.ts'
import { storeDirectory, storeView } from './locations.ts'
import { locationInScope, requireJurisdictions, storesToKeep } from './pilot.ts'
import {
  answerFreshnessSchema,
  locationEchoSchema,
  moneySchema,
  storeViewSchema,
} from './result-schemas.ts'

/** Metrics the daily rollup answers, whose occasion and channel rows are chain-wide only. */
const ROLLED_UP = new Set<string>([
  'cards_sold',
  'value_loaded',
  'loads',
  'redemptions',
  'refunds',
  'breakage_recognised',
  'liability',
])

/** Why `approvals` is counted for the whole chain under a pilot (docs/pilot.md). */
export const APPROVALS_UNSCOPED =
  'approval requests are governance records, counted for the whole chain (under a pilot only requests on pilot cards can be filed)'

/** Rows a result carries at most (more: ask with `top`, or a coarser period). */
const MAX_ROWS = 1000

const STATUSES = [
  'open',
  'confirmed',
  'dismissed',
  'pending',
  'approved',
  'rejected',
  'expired',
  'executed',
  'failed',
] as const

const day = (what: string) =>
  z
    .string()
    .max(10)
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .optional()
    .describe(what)

/** A row's value of each dimension asked for (`unknown` where the ledger does not say). */
const dimensionKeys = z.object({
  day: z.string().optional(),
  week: z.string().optional(),
  month: z.string().optional(),
  quarter: z.string().optional(),
  location: z.string().optional(),
  jurisdiction: z.string().optional(),
  occasion: z.string().optional(),
  channel: z.string().optional(),
  segment: z.string().optional(),
  rule: z.string().optional(),
} satisfies Record<MetricDimension, z.ZodOptional<z.ZodString>>)

/** ledger_metrics' result: the rows, their total, the dates used and, with format csv, the CSV. */
export const ledgerMetricsOutput = z.object({
  metric: z.enum(METRICS),
  by: z.array(z.enum(METRIC_DIMENSIONS)),
  from: z.string(),
  to: z.string(),
  ledgerUpTo: z.string().nullable(),
  freshness: answerFreshnessSchema,
  timezone: z.string(),
  measures: z.object({ count: z.string(), one: z.string(), amount: z.string() }),
  location: locationEchoSchema
    .extend({ matchedBy: z.enum(['id', 'city', 'name', 'fuzzy']), ids: z.array(z.string()) })
    .optional(),
  pilotNote: z.string().optional(),
  rowCount: z.number(),
  truncated: z.boolean().optional(),
  total: z.object({ count: z.number(), amount: moneySchema }).optional(),
  rows: z.array(
    dimensionKeys.extend({
      store: storeViewSchema.nullable().optional(),
      count: z.number(),
      amount: moneySchema,
    }),
  ),
  /** RFC 4180 CSV of the rows (format csv); MCP serves it as a resource and links to it. */
  csv: z.string().optional(),
})
export type LedgerMetricsResult = z.infer<typeof ledgerMetricsOutput>

export const ledgerMetrics = defineTool({
  name: 'ledger_metrics',
  title: 'Ledger metrics over time and by store',
  description:
    'The governed metrics of the gift card ledger: cards_sold, value_loaded, loads, redemptions, refunds, liability (outstanding balance at the end of each period, or at the end of `to`), breakage_recognised, fraud_alerts, fraud_loss (value redeemed on cards with open or confirmed alerts), holds_active and approvals, between two chain-local days (default: the year to the last day in the ledger), broken down by up to two of day, week, month, quarter, location, jurisdiction, occasion, channel, rule (fraud metrics only). Filters: location (id or store name), jurisdiction, occasion, channel, status (fraud alerts: open/confirmed/dismissed; approvals: their statuses). Each row has the dimension values, a count and an amount; the result says the dates used, how far the ledger goes (ledgerUpTo) and how fresh each source is (freshness: newest event and lag per source, a warning when a feed is stale). Use for trends ("redemptions by month in 2026"), comparisons ("cards sold by store last quarter", "liability by state at each month end") and CSV exports (format csv).',
  input: z.object({
    metric: z.enum(METRICS).describe('what to measure'),
    by: z
      .array(z.enum(METRIC_DIMENSIONS))
      .max(2, 'at most two dimensions')
      .default([])
      .describe(
        'up to two dimensions to break the metric down by (at most one of day/week/month/quarter)',
      ),
    from: day('first chain-local day, inclusive (default: a year before `to`)'),
    to: day('last chain-local day, inclusive (default: the last day in the ledger)'),
    location: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('only this store: a location id (loc_010) or a store name or city'),
    jurisdiction: z
      .string()
      .max(5)
      .regex(/^US-[A-Z]{2}$/, 'must look like US-CA')
      .optional()
      .describe('only stores in this jurisdiction, e.g. US-NY'),
    occasion: z.enum(OCCASIONS).optional().describe('only cards bought for this occasion'),
    channel: z.enum(CHANNELS).optional().describe('only cards sold through this channel'),
    status: z
      .enum(STATUSES)
      .optional()
      .describe('fraud_alerts/fraud_loss: alert status; approvals: request status'),
    sort: z
      .enum(['value_desc', 'value_asc', 'key'])
      .optional()
      .describe(
        'row order: by amount (then count), or by the dimension values (default with a time dimension)',
      ),
    top: z
      .number()
      .int()
      .min(1)
      .max(MAX_ROWS)
      .optional()
      .describe('only the first N rows after sorting'),
    format: z.enum(['json', 'csv']).default('json').describe('csv adds the rows as CSV text'),
  }),
  output: ledgerMetricsOutput,
  access: 'read',
  roles: ALL_ROLES,
  // The pilot is the location filter, with each metric's meaning of a card's store: the
  // issuing store for liability, alerts and holds, where the event happened for flows.
  pilot: 'scoped',
  run: async (ctx, input) => {
    requireJurisdictions(ctx, input.jurisdiction)
    // The one location resolver every tool uses (a city means all its stores), kept to the pilot.
    const resolved = await locationInScope(ctx, input.location)
    const pilotOn = ctx.scope.pilot && input.metric !== 'approvals'
    if (
      pilotOn &&
      ROLLED_UP.has(input.metric) &&
      (input.by.some((d) => d === 'occasion' || d === 'channel') || input.occasion || input.channel)
    )
      throw ctx.scope.refusal(
        `${input.metric} by (or filtered by) occasion or channel (the rollup keeps it for the whole chain only)`,
        'break it down by location, jurisdiction or time instead',
      )
    const locations = pilotOn ? storesToKeep(ctx, resolved) : resolved?.ids
    const result = await ledgerMetric(ctx.database.db, {
      metric: input.metric,
      by: input.by,
      ...(input.from ? { from: input.from } : {}),
      ...(input.to ? { to: input.to } : {}),
      ...(locations ? { locations } : {}),
      ...(input.jurisdiction ? { jurisdiction: input.jurisdiction } : {}),
      ...(input.occasion ? { occasion: input.occasion } : {}),
      ...(input.channel ? { channel: input.channel } : {}),
      ...(input.status ? { status: input.status } : {}),
    })
    const hasTime = result.by.some((d) => ['day', 'week', 'month', 'quarter'].includes(d))
    const sort = input.sort ?? (hasTime ? 'key' : 'value_desc')
    const rows = sortRows(result.rows, result.by, sort)
    const limit = input.top ?? MAX_ROWS
    const shown = rows.slice(0, limit)
    const stock = input.metric === 'liability' || input.metric === 'holds_active'
    const directory = await storeDirectory(ctx.database)
    const out = shown.map((r) => ({
      ...r.keys,
      // A store is named, not only numbered.
      ...(typeof r.keys.location === 'string'
        ? { store: storeView(directory, r.keys.location) }
        : {}),
      count: r.count,
      amount: money(r.amountCents),
    }))
    return {
      metric: result.metric,
      by: result.by,
      from: result.from,
      to: result.to,
      ledgerUpTo: result.ledgerUpTo,
      // Per source: newest event and lag, and a warning when a configured feed is stale.
      freshness: await answerFreshness(ctx),
      timezone: result.timezone,
      measures: result.measures,
      ...(resolved ? { location: resolved } : {}),
      ...(ctx.scope.pilot && input.metric === 'approvals' ? { pilotNote: APPROVALS_UNSCOPED } : {}),
      rowCount: rows.length,
      ...(rows.length > shown.length && !input.top ? { truncated: true } : {}),
      // A stock summed over periods means nothing: totals only for flows, or a single date.
      ...(!stock || !hasTime
        ? {
            total: {
              count: rows.reduce((s, r) => s + r.count, 0),
              amount: money(rows.reduce((s, r) => s + r.amountCents, 0)),
            },
          }
        : {}),
      rows: out,
      ...(input.format === 'csv' ? { csv: toCsv(result.by, shown) } : {}),
    }
  },
})

function sortRows(
  rows: MetricRow[],
  by: readonly MetricDimension[],
  sort: 'value_desc' | 'value_asc' | 'key',
): MetricRow[] {
  const keyOrder = (a: MetricRow, b: MetricRow) => {
    for (const d of by) {
      const x = a.keys[d] ?? ''
      const y = b.keys[d] ?? ''
      if (x !== y) return x < y ? -1 : 1
    }
    return 0
  }
  const copy = [...rows]
  if (sort === 'key') return copy.sort(keyOrder)
  const sign = sort === 'value_desc' ? -1 : 1
  return copy.sort(
    (a, b) =>
      sign * (a.amountCents - b.amountCents) || sign * (a.count - b.count) || keyOrder(a, b),
  )
}

/** RFC 4180 CSV (core/csv.ts, formulas neutralised): the dimensions, then count, amount in cents and formatted. */
export function toCsv(by: readonly MetricDimension[], rows: readonly MetricRow[]): string {
  return csvText(
    [...by, 'count', 'amount_cents', 'amount'],
    rows.map((r) => [
      ...by.map((d) => r.keys[d] ?? ''),
      r.count,
      r.amountCents,
      money(r.amountCents).formatted,
    ]),
  )
}
