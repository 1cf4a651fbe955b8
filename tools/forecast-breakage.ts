import { z } from 'zod'
import { forecastBreakage as runForecast } from '../analytics/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money } from './format.ts'

export const forecastBreakage = defineTool({
  name: 'forecast_breakage',
  title: 'Forecast breakage and liability run-off',
  description:
    'Forecast gift card redemptions month by month (with an 80% interval), ultimate breakage (value never redeemed) and the ASC 606 proportional breakage recognition schedule, from a run-off model fitted on the ledger. Also lists the cards most likely never to be redeemed. The forecast is stored with its model version and data watermark.',
  input: z.object({
    horizonMonths: z.number().int().min(1).max(36).default(12).describe('months to forecast'),
    asOf: z
      .string()
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
  }),
  access: 'read',
  records: true,
  roles: ALL_ROLES,
  run: async (ctx, input) => {
    const f = await runForecast(ctx.database, {
      horizonMonths: input.horizonMonths,
      topCards: input.topCards,
      ...(input.asOf ? { asOf: input.asOf.length === 7 ? `${input.asOf}-01` : input.asOf } : {}),
    })
    return {
      forecastId: f.id ?? null,
      modelVersion: f.modelVersion,
      asOf: f.asOf,
      dataWatermark: f.dataWatermark,
      horizonMonths: f.horizonMonths,
      outstanding: money(f.outstandingCents),
      openCards: f.openCards,
      expectedRedemptions: money(f.monthly.reduce((s, m) => s + m.expectedCents, 0)),
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
