import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerEscheatment(program: Command, ctx: () => CliContext): void {
  program
    .command('escheatment')
    .description(
      'cards reaching their unclaimed-property deadline within a horizon, by jurisdiction',
    )
    .option('--horizon-months <n>', 'how far ahead to look', '6')
    .option('--as-of <YYYY-MM-DD>', 'the day to report from (default: now)')
    .option('--csv <file>', 'also write the cards to this CSV file')
    .option(
      '--naupa <dir>',
      'also write a NAUPA file per state and the owner due-diligence list into this directory',
    )
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/escheatment.ts')).runEscheatment(ctx, raw))
}
