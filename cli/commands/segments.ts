import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerSegments(program: Command, ctx: () => CliContext): void {
  program
    .command('segments')
    .description(
      'purchasers by why they buy and how their cards get used, with the features behind it',
    )
    .option('--as-of <YYYY-MM-DD>', 'judge card ages as of this day (default: now)')
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/segments.ts')).runSegments(ctx, raw))
}
