import { z } from 'zod'
import { cardSegments, forecastBreakage as runForecast } from '../analytics/index.ts'
import { GiftCardError } from '../core/index.ts'
import { ledgerUpTo } from './chain-calendar.ts'
import { ALL_ROLES, defineTool, type ToolContext } from './define-tool.ts'
import { money } from './format.ts'
import { storeDirectory } from './locations.ts'
import { pilotStores } from './pilot.ts'
import { moneySchema } from './result-schemas.ts'

/** What a forecast can be broken down by. `segment` is the purchaser's occasion segment. */
export const FORECAST_GROUPS = ['total', 'occasion', 'segment', 'jurisdiction'] as const

const month = z
  .string()
  .max(7)
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM')
const MAX_HORIZON = 36

/** Months from `from` to `to` (`YYYY-MM`), 0 when equal. */
const monthsBetween = (from: string, to: string) =>
  (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 +
  (Number(to.slice(5, 7)) - Number(from.slice(5, 7)))

/** Each open card's group, read from the cards (and their stores or purchasers). */
async function groupOf(
  ctx: ToolContext,
  by: Exclude<(typeof FORECAST_GROUPS)[number], 'total'>,
): Promise<(cardId: string) => string> {
  if (by === 'segment') {
    const segments = await cardSegments(ctx.database, pilotStores(ctx))
    return (id) => segments.get(id)?.occasion ?? 'unknown'
  }
  const [cards, directory] = await Promise.all([
    ctx.database.db
      .selectFrom('gift_cards')
      .select(['id', 'occasion', 'issuing_location_id'])
      .where('balance_cents', '>', 0)
      .execute(),
    storeDirectory(ctx.database),
  ])
  const keys = new Map(
    cards.map((c) => [
      c.id,
      by === 'occasion'
        ? (c.occasion ?? 'unknown')
        : ((c.issuing_location_id && directory.get(c.issuing_location_id)?.jurisdiction) ??
          'unknown'),
    ]),
  )
  return (id) => keys.get(id) ?? 'unknown'
}

/** forecast_breakage's result: the run-off, its breakage, an optional sub-window and groups. */
export const forecastBreakageOutput = z.object({
  forecastId: z.number().nullable(),
  saved: z.boolean(),
  modelVersion: z.string(),
  asOf: z.string(),
  ledgerUpTo: z.string().nullable(),
  dataWatermark: z.string().nullable(),
  horizonMonths: z.number(),
  outstanding: moneySchema,
  openCards: z.number(),
  expectedRedemptions: moneySchema,
  ultimateBreakageRate: z.number(),
  ultimateBreakage: moneySchema,
  outstandingBreakageRate: z.number(),
  outstandingBreakage: moneySchema,
  monthly: z.array(
    z.object({
      month: z.string(),
      expected: moneySchema,
      low: moneySchema,
      high: moneySchema,
      breakageRecognised: moneySchema,
    }),
  ),
  period: z
    .object({
      from: z.string(),
      to: z.string(),
      months: z.number(),
      expectedRedemptions: moneySchema,
      breakageRecognised: moneySchema,
    })
    .optional(),
  groupBy: z.enum(FORECAST_GROUPS).optional(),
  groups: z
    .array(
      z.object({
        key: z.string(),
        openCards: z.number(),
        outstanding: moneySchema,
        expectedRedemptions: moneySchema,
        breakage: moneySchema,
        period: z.object({ expectedRedemptions: moneySchema }).optional(),
      }),
    )
    .optional(),
  highestRiskCards: z.array(
    z.object({
      cardId: z.string(),
      balance: moneySchema,
      ageMonths: z.number(),
      neverRedeemed: z.number(),
      confidence: z.number(),
    }),
  ),
})
export type ForecastBreakageResult = z.infer<typeof forecastBreakageOutput>

export const forecastBreakage = defineTool({
  name: 'forecast_breakage',
  title: 'Forecast breakage and liability run-off',
  description:
    'Forecast gift card redemptions month by month (with an 80% interval), ultimate breakage (value never redeemed) and the ASC 606 proportional breakage recognition schedule, from a run-off model fitted on the ledger; also the cards most likely never to be redeemed. groupBy occasion, segment (purchaser occasion segment) or jurisdiction runs it off per group; periodFrom/periodTo (YYYY-MM) report the totals of a sub-window, e.g. Q1 2027 = 2027-01..2027-03. A read: nothing is stored unless save is true. Returns { asOf, ledgerUpTo, horizonMonths, outstanding, expectedRedemptions, ultimateBreakage, outstandingBreakage, monthly: [{ month, expected, low, high, breakageRecognised }], period?: { from, to, expectedRedemptions, breakageRecognised }, groups?: [{ key, openCards, outstanding, expectedRedemptions, breakage, period? }], highestRiskCards, forecastId (null unless saved) }.',
  input: z.object({
    horizonMonths: z
      .number()
      .int()
      .min(1)
      .max(MAX_HORIZON)
      .default(12)
      .describe('months to forecast (extended to cover periodTo)'),
    asOf: z
      .string()
      .max(10)
      .regex(/^\d{4}-\d{2}(-\d{2})?$/, 'must be YYYY-MM or YYYY-MM-DD')
      .optional()
      .describe('forecast from this month (only earlier data is used); default now'),
    topCards: z
      .number()
      .int()
      .min(0)
      .max(50)
      .default(5)
      .describe('how many highest-risk cards to list'),
    groupBy: z.enum(FORECAST_GROUPS).default('total').describe('break the forecast down by'),
    periodFrom: month.optional().describe('first month of a sub-window to total, YYYY-MM'),
    periodTo: month.optional().describe('last month of the sub-window, YYYY-MM'),
    save: z
      .boolean()
      .default(false)
      .describe(
        'store the forecast with its model version; default false (a question never writes)',
      ),
  }),
  output: forecastBreakageOutput,
  access: 'read',
  records: 'on_request',
  roles: ALL_ROLES,
  // Fitted on, and run off, the pilot's cards only.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const asOf = input.asOf
      ? input.asOf.length === 7
        ? `${input.asOf}-01`
        : input.asOf
      : undefined
    const startMonth = (asOf ?? new Date().toISOString()).slice(0, 7)
    let period: { from: string; to: string } | undefined
    let horizon = input.horizonMonths
    if (input.periodFrom || input.periodTo) {
      const from = input.periodFrom ?? startMonth
      const to = input.periodTo ?? from
      if (monthsBetween(from, to) < 0)
        throw new GiftCardError('INVALID_INPUT', `periodTo ${to} is before periodFrom ${from}`)
      if (monthsBetween(startMonth, from) < 0)
        throw new GiftCardError(
          'INVALID_INPUT',
          `periodFrom ${from} is before the forecast starts (${startMonth}); the forecast looks ahead only`,
        )
      const needed = monthsBetween(startMonth, to) + 1
      if (needed > MAX_HORIZON)
        throw new GiftCardError(
          'INVALID_INPUT',
          `periodTo ${to} is more than ${MAX_HORIZON} months after ${startMonth}`,
        )
      horizon = Math.max(horizon, needed)
      period = { from, to }
    }
    // Progress in three steps: the groups, the fit and its bootstrap interval, the answer.
    ctx.progress?.(
      0,
      3,
      input.groupBy === 'total' ? 'reading the ledger' : `grouping cards by ${input.groupBy}`,
    )
    const groups = input.groupBy !== 'total' ? { groupOf: await groupOf(ctx, input.groupBy) } : {}
    ctx.progress?.(1, 3, 'fitting the run-off model and its 80% interval')
    const f = await runForecast(ctx.database, {
      horizonMonths: horizon,
      topCards: input.topCards,
      store: input.save,
      bootstrap: ctx.config.forecast.bootstrap,
      ...pilotStores(ctx),
      ...(asOf ? { asOf } : {}),
      ...groups,
    })
    ctx.progress?.(2, 3, 'writing the forecast')
    const inPeriod = (m: string) => period !== undefined && m >= period.from && m <= period.to
    const sum = (values: number[]) => values.reduce((s, v) => s + v, 0)
    return {
      forecastId: f.id ?? null,
      saved: f.id !== undefined,
      modelVersion: f.modelVersion,
      asOf: f.asOf.slice(0, 10),
      ledgerUpTo: await ledgerUpTo(ctx),
      dataWatermark: f.dataWatermark,
      horizonMonths: f.horizonMonths,
      outstanding: money(f.outstandingCents),
      openCards: f.openCards,
      expectedRedemptions: money(sum(f.monthly.map((m) => m.expectedCents))),
      ultimateBreakageRate: Number(f.ultimateBreakageRate.toFixed(4)),
      ultimateBreakage: money(f.ultimateBreakageCents),
      outstandingBreakageRate: Number(f.outstandingBreakageRate.toFixed(4)),
      outstandingBreakage: money(f.outstandingBreakageCents),
      monthly: f.monthly.map((m) => ({
        month: m.month,
        expected: money(m.expectedCents),
        low: money(m.lowCents),
        high: money(m.highCents),
        breakageRecognised: money(m.breakageRecognisedCents),
      })),
      ...(period
        ? {
            period: {
              ...period,
              months: f.monthly.filter((m) => inPeriod(m.month)).length,
              expectedRedemptions: money(
                sum(f.monthly.filter((m) => inPeriod(m.month)).map((m) => m.expectedCents)),
              ),
              breakageRecognised: money(
                sum(
                  f.monthly.filter((m) => inPeriod(m.month)).map((m) => m.breakageRecognisedCents),
                ),
              ),
            },
          }
        : {}),
      ...(f.groups
        ? {
            groupBy: input.groupBy,
            groups: f.groups.map((g) => ({
              key: g.key,
              openCards: g.openCards,
              outstanding: money(g.outstandingCents),
              expectedRedemptions: money(sum(g.monthlyCents)),
              breakage: money(g.breakageCents),
              ...(period
                ? {
                    period: {
                      expectedRedemptions: money(
                        sum(g.monthlyCents.filter((_, i) => inPeriod(f.monthly[i]?.month ?? ''))),
                      ),
                    },
                  }
                : {}),
            })),
          }
        : {}),
      highestRiskCards: f.cardRisks.map((c) => ({
        cardId: c.cardId,
        balance: money(c.balanceCents),
        ageMonths: c.ageMonths,
        neverRedeemed: Number(c.neverRedeemed.toFixed(3)),
        confidence: Number(c.confidence.toFixed(3)),
      })),
    }
  },
})
