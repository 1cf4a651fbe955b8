import type { Command } from 'commander'
import { configuredSources } from '../../app/index.ts'
import { Inbox } from '../../ingest/index.ts'
import { type CliContext, withDatabase } from '../context.ts'

export function registerWebhooks(program: Command, ctx: () => CliContext): void {
  const webhooks = program.command('webhooks').description('the webhook inbox')
  webhooks
    .command('replay')
    .description('apply deliveries left pending (and, with --failed, those that failed)')
    .option('--failed', 'retry failed deliveries too')
    .action(async (raw: { failed?: boolean }) => {
      const context = ctx()
      const result = await withDatabase(context, (database) =>
        new Inbox(database, configuredSources(context.config), [], undefined, {
          piiKey: context.config.piiTokenKey,
          maxEventCents: context.config.ingest.maxEventCents,
        }).replay({
          includeFailed: raw.failed === true,
        }),
      )
      console.log(`replayed: ${result.processed} applied, ${result.failed} still failing`)
      if (result.failed > 0) process.exitCode = 1
    })
}
