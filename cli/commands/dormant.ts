import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerDormant(program: Command, ctx: () => CliContext): void {
  program
    .command('dormant')
    .description(
      'cards with a balance and no load or spend for N days, most likely to come back first',
    )
    .option('--days <n>', 'days without a load or redemption', '90')
    .option('--as-of <YYYY-MM-DD>', 'the day to look from (default: now)')
    .option('--limit <n>', 'how many cards to list', '20')
    .option(
      '--backtest <YYYY-MM-DD>',
      'instead, measure the likelihood against who came back within 90 days of this day: AUC, reliability table, calibration error',
    )
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/dormant.ts')).runDormant(ctx, raw))
}
