import { configuredSources } from '../../app/index.ts'
import { Inbox } from '../../ingest/index.ts'
import { type CliContext, withDatabase } from '../context.ts'

export async function runWebhooksReplay(
  ctx: () => CliContext,
  raw: { failed?: boolean },
): Promise<void> {
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
}
