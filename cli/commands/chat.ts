import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerChat(program: Command, ctx: () => CliContext): void {
  program
    .command('chat')
    .description('talk to the agent in the terminal')
    .option(
      '--as <actor>',
      'chat as another actor (admins, or GIFTCARDS_ALLOW_AS=1; default: your login, cli:<login>)',
    )
    .action(async (raw) => (await import('../actions/chat.ts')).runChatCommand(ctx, raw))
}
