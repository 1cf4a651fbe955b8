import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerWebhooks(program: Command, ctx: () => CliContext): void {
  const webhooks = program.command('webhooks').description('the webhook inbox')
  webhooks
    .command('replay')
    .description('apply deliveries left pending (and, with --failed, those that failed)')
    .option('--failed', 'retry failed deliveries too')
    .action(async (raw: { failed?: boolean }) =>
      (await import('../actions/webhooks.ts')).runWebhooksReplay(ctx, raw),
    )
}
