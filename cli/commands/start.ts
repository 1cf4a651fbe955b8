import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/**
 * `npm start`: the main job on embedded defaults. It migrates, makes a demo chain on first run
 * (DEMO_CARDS cards, 5,000 by default), and prints a summary of the ledger.
 */
export function registerStart(program: Command, ctx: () => CliContext): void {
  program
    .command('start')
    .description('migrate, seed a demo chain on first run, summarise the ledger, then chat')
    .option('--no-chat', 'only summarise the ledger')
    .option(
      '--as <actor>',
      'chat as another actor (the demo manager, an admin, or GIFTCARDS_ALLOW_AS=1; default: cli:<login>)',
    )
    .action(async (raw: { chat: boolean; as?: string }) =>
      (await import('../actions/start.ts')).runStart(ctx, raw),
    )
}
