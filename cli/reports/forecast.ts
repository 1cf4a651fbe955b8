import { z } from 'zod'
import { backtestBreakage, forecastBreakage } from '../../analytics/index.ts'
import { parseDate, toIso } from '../../core/index.ts'
import { pilotStores } from '../../tools/index.ts'
import { dayOption, intOption } from '../options.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards forecast`: the breakage forecast; stored in `forecasts` only with `--save`. */
export const cliForecast = defineReport({
  name: 'cli_forecast',
  title: 'Breakage forecast (giftcards forecast)',
  command: 'giftcards forecast',
  description:
    'The breakage and liability run-off forecast from the start of a month. A read: stored in forecasts (with its model version and data watermark) only when save is true.',
  input: z.object({
    asOf: dayOption
      .optional()
      .describe('forecast from the start of this month, with data before it (default: now)'),
    horizon: intOption(1, 60).default(12).describe('months to forecast'),
    save: z.boolean().default(false).describe('store the forecast in forecasts'),
  }),
  roles: rolesOf('forecast_breakage'),
  records: 'on_request',
  pilot: 'scoped',
  run: (ctx, input) =>
    forecastBreakage(ctx.database, {
      ...pilotStores(ctx),
      ...(input.asOf !== undefined ? { asOf: toIso(parseDate(input.asOf)) } : {}),
      horizonMonths: input.horizon,
      store: input.save,
      bootstrap: ctx.config.forecast.bootstrap,
    }),
})

/** `giftcards forecast backtest`: fit before a cut-off, compare with what happened. */
export const cliForecastBacktest = defineReport({
  name: 'cli_forecast_backtest',
  title: 'Breakage backtest (giftcards forecast backtest)',
  command: 'giftcards forecast backtest',
  description:
    'Fits the run-off model before a cut-off and compares its forecast with what happened after, beside a naive baseline.',
  input: z.object({
    asOf: dayOption.describe('the cut-off'),
    horizon: intOption(1, 24).default(12).describe('months to compare'),
  }),
  roles: rolesOf('forecast_breakage'),
  pilot: 'scoped',
  run: (ctx, input) =>
    backtestBreakage(ctx.database, {
      ...pilotStores(ctx),
      asOf: toIso(parseDate(input.asOf)),
      horizonMonths: input.horizon,
    }),
})
