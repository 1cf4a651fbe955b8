import type { Command } from 'commander'
import type { CliContext } from '../context.ts'
import { CHART_OPTION } from '../flags.ts'

/** db's LIABILITY_GROUPS, named here so `--help` need not load db/. */
const LIABILITY_GROUPS = ['total', 'location', 'jurisdiction', 'cohort', 'occasion', 'channel']

export function registerLiability(program: Command, ctx: () => CliContext): void {
  program
    .command('liability')
    .description('outstanding gift card liability, now or at the end of a past day, grouped')
    .option('--as-of <YYYY-MM-DD>', 'balances at the end of this day (default: now)')
    .option('--by <group>', LIABILITY_GROUPS.join(' | '), 'jurisdiction')
    .option('--json', 'print as JSON')
    .option(...CHART_OPTION)
    .action(async (raw) => (await import('../actions/liability.ts')).runLiability(ctx, raw))
}
