import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * The faces: what an approval card shows (card, balance, alert evidence) kept with the request,
 * and where a fraud alert was posted in Slack.
 */
export function facesMigration(_adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('approval_requests').addColumn('details', 'text').execute()
      await db.schema.alterTable('fraud_alerts').addColumn('slack_channel', 'text').execute()
      await db.schema.alterTable('fraud_alerts').addColumn('slack_ts', 'text').execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('fraud_alerts').dropColumn('slack_ts').execute()
      await db.schema.alterTable('fraud_alerts').dropColumn('slack_channel').execute()
      await db.schema.alterTable('approval_requests').dropColumn('details').execute()
    },
  }
}
