import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * What a Slack approval card shows, and the agent thread that waits on it: a request decided
 * elsewhere (the CLI, another process) gets its card updated and its thread resumed.
 */
export function slackSyncMigration(_adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('approval_requests').addColumn('slack_status', 'text').execute()
      await db.schema.alterTable('approval_requests').addColumn('agent_thread', 'text').execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('approval_requests').dropColumn('agent_thread').execute()
      await db.schema.alterTable('approval_requests').dropColumn('slack_status').execute()
    },
  }
}
