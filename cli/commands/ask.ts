import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/**
 * `giftcards ask "TEXT"` answers once; `--jsonl` reads one request per line from stdin (one
 * thread, so follow-ups work) and prints one JSON object per line.
 */
export function registerAsk(program: Command, ctx: () => CliContext): void {
  program
    .command('ask')
    .description('ask the agent once, or one request per stdin line with --jsonl')
    .argument('[text...]', 'the request')
    .option(
      '--as <actor>',
      'ask as another actor (admins, or GIFTCARDS_ALLOW_AS=1; default: your login, cli:<login>)',
    )
    .option('--json', 'print {input, tool_calls, reply, pending_approvals} as JSON')
    .option('--jsonl', 'read requests from stdin, one per line; print one JSON object per line')
    .option('--thread <id>', 'continue this conversation thread')
    .action(async (words: string[], raw) =>
      (await import('../actions/ask.ts')).runAsk(ctx, words, raw),
    )
}
