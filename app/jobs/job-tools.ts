import { z } from 'zod'
import {
  type BreakageForecast,
  forecastBreakage,
  saveAlerts,
  scanLedger,
} from '../../analytics/index.ts'
import { parseDate, toIso } from '../../core/index.ts'
import { cardsInScope } from '../../governance/index.ts'
import {
  type AnyTool,
  defineTool,
  pilotStores,
  type ReadTool,
  toolByName,
} from '../../tools/index.ts'

/**
 * The jobs' own tools (docs/jobs.md): what a scheduled job needs that no registry tool takes,
 * because the registry's tools read "now" from the wall clock and a job runs for a slot (a fake
 * clock in tests, a missed slot caught up). They run through a ToolExecutor like every tool
 * (roles, validation, pseudonymiser, one audit row each) but are never offered to a model.
 */

const instant = z
  .string()
  .max(30)
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 instant')

/** The roles of a registry tool, so a job tool never grants more than the tool it mirrors. */
function rolesOf(name: string) {
  const tool = toolByName(name)
  if (!tool) throw new Error(`app/jobs: no registry tool named ${name}`)
  return tool.roles
}

/** What the daily scan answers: the window's start, the alerts found, the new ones stored. */
const jobFraudScanOutput = z.object({
  since: z.string(),
  alerts: z.number(),
  newAlerts: z.number(),
  byRule: z.record(z.string(), z.number()),
})

/** The daily job's window: every detector over the events from `since` on; new alerts stored. */
export const jobFraudScan: ReadTool = defineTool({
  name: 'job_fraud_scan',
  title: 'Fraud scan of a window (scheduled job)',
  description:
    'Runs every fraud detector over the ledger from an instant on and stores new alerts (one per card and rule); earlier events only inform the detectors.',
  input: z.object({ since: instant }),
  output: jobFraudScanOutput,
  access: 'read',
  records: true,
  roles: rolesOf('scan_for_fraud'),
  // The detectors watch every event; only alerts on the pilot's cards are kept.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const since = toIso(parseDate(input.since))
    let alerts = await scanLedger(ctx.database, { since })
    if (ctx.scope.pilot) {
      const inScope = await cardsInScope(
        ctx.database,
        ctx.scope,
        alerts.map((a) => a.cardId),
      )
      alerts = alerts.filter((a) => inScope.has(a.cardId))
    }
    const stored = await saveAlerts(ctx.database, alerts)
    const byRule: Record<string, number> = {}
    for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1
    return { since, alerts: alerts.length, newAlerts: stored, byRule }
  },
})

/** The figures drift is measured on, from a forecast (new or stored). */
type DriftBasis = Pick<
  BreakageForecast,
  | 'modelVersion'
  | 'asOf'
  | 'dataWatermark'
  | 'outstandingCents'
  | 'ultimateBreakageRate'
  | 'outstandingBreakageCents'
> & { monthly: { month: string; expectedCents: number }[] }

/** How this month's forecast moved against the previous stored one. */
export type ForecastDrift = {
  previousForecastId: number
  previousAsOf: string
  previousModelVersion: string
  /** Percentage points of value ever loaded. */
  ultimateBreakageRateChangePts: number
  outstandingBreakageChangeCents: number
  outstandingChangeCents: number
  /** The months both forecast, and their expected redemptions then and now. */
  overlap: { months: number; previousCents: number; currentCents: number; changeCents: number }
}

export function forecastDrift(
  previous: DriftBasis & { id: number },
  current: DriftBasis,
): ForecastDrift {
  const before = new Map(previous.monthly.map((m) => [m.month, m.expectedCents]))
  let previousCents = 0
  let currentCents = 0
  let months = 0
  for (const m of current.monthly) {
    const then = before.get(m.month)
    if (then === undefined) continue
    months++
    previousCents += then
    currentCents += m.expectedCents
  }
  return {
    previousForecastId: previous.id,
    previousAsOf: previous.asOf,
    previousModelVersion: previous.modelVersion,
    ultimateBreakageRateChangePts: Number(
      ((current.ultimateBreakageRate - previous.ultimateBreakageRate) * 100).toFixed(2),
    ),
    outstandingBreakageChangeCents:
      current.outstandingBreakageCents - previous.outstandingBreakageCents,
    outstandingChangeCents: current.outstandingCents - previous.outstandingCents,
    overlap: { months, previousCents, currentCents, changeCents: currentCents - previousCents },
  }
}

const forecastDriftSchema = z.object({
  previousForecastId: z.number(),
  previousAsOf: z.string(),
  previousModelVersion: z.string(),
  ultimateBreakageRateChangePts: z.number(),
  outstandingBreakageChangeCents: z.number(),
  outstandingChangeCents: z.number(),
  overlap: z.object({
    months: z.number(),
    previousCents: z.number(),
    currentCents: z.number(),
    changeCents: z.number(),
  }),
}) satisfies z.ZodType<ForecastDrift>

/** What the monthly refit answers: the stored forecast's figures and its drift. */
const jobForecastRefitOutput = z.object({
  forecastId: z.number().nullable(),
  modelVersion: z.string(),
  asOf: z.string(),
  dataWatermark: z.string().nullable(),
  outstandingCents: z.number(),
  ultimateBreakageRate: z.number(),
  outstandingBreakageCents: z.number(),
  expectedNext12Cents: z.number(),
  drift: forecastDriftSchema.nullable(),
})

/**
 * The monthly refit: the breakage forecast fitted as of the slot's day and stored (with its model
 * version and data watermark, `forecasts`), and its drift against the forecast stored before it.
 */
export const jobForecastRefit: ReadTool = defineTool({
  name: 'job_forecast_refit',
  title: 'Refit and store the breakage forecast (scheduled job)',
  description:
    'Fits the breakage forecast as of a day, stores it with its model version and data watermark, and reports the change against the previously stored forecast.',
  input: z.object({
    asOf: z
      .string()
      .max(10)
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
    horizonMonths: z.number().int().min(1).max(36).default(12),
  }),
  output: jobForecastRefitOutput,
  access: 'read',
  records: true,
  roles: rolesOf('forecast_breakage'),
  pilot: 'scoped',
  run: async (ctx, input) => {
    const previousRow = await ctx.database.db
      .selectFrom('forecasts')
      .select(['id', 'result'])
      .where('kind', '=', 'breakage')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    const f = await forecastBreakage(ctx.database, {
      asOf: input.asOf,
      horizonMonths: input.horizonMonths,
      topCards: 0,
      store: true,
      bootstrap: ctx.config.forecast.bootstrap,
      ...pilotStores(ctx),
    })
    const previous = previousRow
      ? { id: Number(previousRow.id), ...(JSON.parse(previousRow.result) as DriftBasis) }
      : undefined
    return {
      forecastId: f.id ?? null,
      modelVersion: f.modelVersion,
      asOf: f.asOf,
      dataWatermark: f.dataWatermark,
      outstandingCents: f.outstandingCents,
      ultimateBreakageRate: Number(f.ultimateBreakageRate.toFixed(4)),
      outstandingBreakageCents: f.outstandingBreakageCents,
      expectedNext12Cents: f.monthly.slice(0, 12).reduce((s, m) => s + m.expectedCents, 0),
      drift: previous ? forecastDrift(previous, f) : null,
    }
  },
})

/** Every job-only tool, for the jobs' executor. */
export const JOB_TOOLS: readonly AnyTool[] = [jobFraudScan, jobForecastRefit]
