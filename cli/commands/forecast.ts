import type { Command } from 'commander'
import type { CliContext } from '../context.ts'
import { CHART_OPTION } from '../flags.ts'

export function registerForecast(program: Command, ctx: () => CliContext): void {
  // `forecast --as-of` and `forecast backtest --as-of` are different options.
  program.enablePositionalOptions()
  const forecast = program
    .command('forecast')
    .enablePositionalOptions()
    .description(
      'breakage and liability forecast from the ledger (stored in forecasts with --save)',
    )
    .option(
      '--as-of <YYYY-MM-DD>',
      'forecast from the start of this month, using only data before it (default: this month)',
    )
    .option('--horizon <months>', 'months to forecast', '12')
    .option('--save', 'store the forecast in forecasts (a read stores nothing otherwise)')
    .option('--json', 'print as JSON')
    .option(...CHART_OPTION)
    .action(async (raw) => (await import('../actions/forecast.ts')).runForecast(ctx, raw))

  forecast
    .command('backtest')
    .description(
      'fit before --as-of, compare the forecast with what happened after, beside a naive baseline',
    )
    .requiredOption('--as-of <YYYY-MM-DD>', 'the cut-off')
    .option('--horizon <months>', 'months to compare', '12')
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/forecast.ts')).runForecastBacktest(ctx, raw))
}
