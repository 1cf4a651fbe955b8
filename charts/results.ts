import { z } from 'zod'

/**
 * The shapes of the tool results the charts read, checked with zod before anything is drawn.
 * Only the fields a chart uses are listed (zod drops the rest); every string and list is
 * bounded, so a result that is not what the tool returns is refused with a clear message
 * instead of drawing nonsense. The tools' own shapes: tools/ledger-metrics.ts,
 * tools/get-liability.ts, tools/forecast-breakage.ts (docs/tools.md).
 */

/** `money()` of tools/format.ts: exact cents and the formatted amount. */
const money = z.object({
  cents: z.number().int().min(-1e15).max(1e15),
  formatted: z.string().max(40),
})

const label = z.string().max(100)
const day = z.string().max(40)

/** The time dimensions of ledger_metrics, finest first. */
export const TIME_DIMENSIONS = ['day', 'week', 'month', 'quarter'] as const
export type TimeDimension = (typeof TIME_DIMENSIONS)[number]

/** `ledger_metrics`: one row per combination of the dimensions asked for. */
export const ledgerMetricsResult = z.object({
  metric: z.string().max(40),
  by: z.array(z.string().max(20)).max(2),
  from: day,
  to: day,
  ledgerUpTo: day.nullable(),
  truncated: z.boolean().optional(),
  rows: z
    .array(
      z.object({
        day: label.optional(),
        week: label.optional(),
        month: label.optional(),
        quarter: label.optional(),
        rule: label.optional(),
        count: z.number().int().min(0),
        amount: money,
      }),
    )
    .max(5000),
})
export type LedgerMetricsResult = z.infer<typeof ledgerMetricsResult>

/** `get_liability`: balances now (or at a day's end), grouped. */
export const liabilityResult = z.object({
  asOfDay: day,
  ledgerUpTo: day.nullable(),
  groupBy: z.string().max(20),
  total: money,
  cards: z.number().int().min(0),
  rows: z
    .array(z.object({ key: label, cards: z.number().int().min(0), liability: money }))
    .max(5000),
  otherRows: z
    .object({ rows: z.number().int().min(0), cards: z.number().int().min(0), liability: money })
    .optional(),
})
export type LiabilityResult = z.infer<typeof liabilityResult>

/** `forecast_breakage`: the month-by-month run-off with its 80% interval. */
export const forecastResult = z.object({
  asOf: day,
  ledgerUpTo: day.nullable(),
  horizonMonths: z.number().int().min(0).max(120),
  outstanding: money,
  openCards: z.number().int().min(0),
  monthly: z
    .array(
      z.object({
        month: z.string().max(7),
        expected: money,
        low: money,
        high: money,
        breakageRecognised: money,
      }),
    )
    .max(120),
})
export type ForecastResult = z.infer<typeof forecastResult>

/** The time dimension of a ledger_metrics result, if it has one. */
export function timeDimensionOf(result: { by: readonly string[] }): TimeDimension | undefined {
  return TIME_DIMENSIONS.find((d) => result.by.includes(d))
}

/**
 * The result parsed by `schema`, or INVALID_INPUT-style text naming the first fields that do
 * not fit (`rows.0.amount.cents: expected number`), for the error a chart raises.
 */
export function parseResult<T>(
  schema: z.ZodType<T>,
  result: unknown,
): { ok: true; data: T } | { ok: false; why: string } {
  const parsed = schema.safeParse(result)
  if (parsed.success) return { ok: true, data: parsed.data }
  const why = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'result'}: ${i.message}`)
    .join('; ')
  return { ok: false, why }
}
