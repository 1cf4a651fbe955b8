import { z } from 'zod'
import { CHANNELS, GiftCardError, OCCASIONS } from '../core/index.ts'
import {
  type Database,
  ledgerMetric,
  METRIC_DIMENSIONS,
  METRICS,
  type MetricDimension,
  type MetricRow,
} from '../db/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money } from './format.ts'

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
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .optional()
    .describe(what)

export const ledgerMetrics = defineTool({
  name: 'ledger_metrics',
  title: 'Ledger metrics over time and by store',
  description:
    'The governed metrics of the gift card ledger: cards_sold, value_loaded, loads, redemptions, refunds, liability (outstanding balance at the end of each period, or at the end of `to`), breakage_recognised, fraud_alerts, fraud_loss (value redeemed on cards with open or confirmed alerts), holds_active and approvals, between two chain-local days (default: the year to the last day in the ledger), broken down by up to two of day, week, month, quarter, location, jurisdiction, occasion, channel, rule (fraud metrics only). Filters: location (id or store name), jurisdiction, occasion, channel, status (fraud alerts: open/confirmed/dismissed; approvals: their statuses). Each row has the dimension values, a count and an amount; the result says the dates used and how far the ledger goes (ledgerUpTo). Use for trends ("redemptions by month in 2026"), comparisons ("cards sold by store last quarter", "liability by state at each month end") and CSV exports (format csv).',
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
  access: 'read',
  roles: ALL_ROLES,
  run: async (ctx, input) => {
    const locations = input.location
      ? [await resolveStore(ctx.database, input.location)]
      : undefined
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
    const out = shown.map((r) => ({
      ...r.keys,
      count: r.count,
      amount: money(r.amountCents),
    }))
    return {
      metric: result.metric,
      by: result.by,
      from: result.from,
      to: result.to,
      ledgerUpTo: result.ledgerUpTo,
      timezone: result.timezone,
      measures: result.measures,
      ...(locations ? { location: locations[0] } : {}),
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

/** RFC 4180 CSV: the dimensions, then count, amount in cents and formatted. */
export function toCsv(by: readonly MetricDimension[], rows: readonly MetricRow[]): string {
  const cell = (v: string | number) => {
    const text = String(v)
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }
  const lines = [[...by, 'count', 'amount_cents', 'amount'].map(cell).join(',')]
  for (const r of rows)
    lines.push(
      [...by.map((d) => r.keys[d] ?? ''), r.count, r.amountCents, money(r.amountCents).formatted]
        .map(cell)
        .join(','),
    )
  return `${lines.join('\r\n')}\r\n`
}

/**
 * A store by id, or by name or city (case and spacing ignored); an unknown one is refused
 * naming the closest stores.
 */
async function resolveStore(database: Database, ref: string): Promise<string> {
  const stores = await database.db.selectFrom('locations').select(['id', 'name', 'city']).execute()
  const wanted = normalise(ref)
  const byId = stores.find((s) => s.id === ref.trim())
  if (byId) return byId.id
  // A store's own name first, then its city (several stores may share one).
  const byName = stores.filter((s) => normalise(s.name) === wanted)
  const matches = byName.length > 0 ? byName : stores.filter((s) => normalise(s.city) === wanted)
  if (matches.length === 1 && matches[0]) return matches[0].id
  const closest = [...stores]
    .map((s) => ({
      s,
      d: Math.min(distance(wanted, normalise(s.name)), distance(wanted, normalise(s.city))),
    }))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ s }) => `${s.id} (${s.name})`)
  throw new GiftCardError(
    'INVALID_INPUT',
    matches.length > 1
      ? `${matches.length} stores match ${JSON.stringify(ref)}: ${matches.map((s) => `${s.id} (${s.name})`).join(', ')}; name one by id`
      : `no store ${JSON.stringify(ref)}; the closest are ${closest.join(', ')}`,
  )
}

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
}

/** Levenshtein distance (short strings: store names). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    prev = row
  }
  return prev[b.length] as number
}
