import { type Kysely, sql } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * The Slack face's own store (issue 20, docs/slack.md): where each approval card and fraud
 * alert was posted, the status the card shows and the agent thread waiting on it. These lived
 * in `slack_*` columns of `approval_requests` and `fraud_alerts`, so governance carried the
 * bookkeeping of one face; they move here, rows and all, and the columns go.
 */
export function slackMessagesMigration(adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('slack_messages')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('ref_id', 'integer', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('ts', 'text', (c) => c.notNull())
        .addColumn('shown_status', 'text')
        .addColumn('agent_thread', 'text')
        .addColumn('posted_at', adapter.timestampType, (c) => c.notNull())
        .addPrimaryKeyConstraint('slack_messages_pkey', ['kind', 'ref_id'])
        .execute()
      await sql`insert into slack_messages (kind, ref_id, channel, ts, shown_status, agent_thread, posted_at)
        select 'approval', id, slack_channel, slack_ts, slack_status, agent_thread, created_at
        from approval_requests where slack_channel is not null and slack_ts is not null`.execute(db)
      await sql`insert into slack_messages (kind, ref_id, channel, ts, shown_status, agent_thread, posted_at)
        select 'alert', id, slack_channel, slack_ts, null, null, detected_at
        from fraud_alerts where slack_channel is not null and slack_ts is not null`.execute(db)
      for (const column of ['slack_channel', 'slack_ts', 'slack_status', 'agent_thread'])
        await db.schema.alterTable('approval_requests').dropColumn(column).execute()
      for (const column of ['slack_channel', 'slack_ts'])
        await db.schema.alterTable('fraud_alerts').dropColumn(column).execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      for (const column of ['slack_channel', 'slack_ts', 'slack_status', 'agent_thread'])
        await db.schema.alterTable('approval_requests').addColumn(column, 'text').execute()
      for (const column of ['slack_channel', 'slack_ts'])
        await db.schema.alterTable('fraud_alerts').addColumn(column, 'text').execute()
      await sql`update approval_requests set
        slack_channel = (select m.channel from slack_messages m where m.kind = 'approval' and m.ref_id = approval_requests.id),
        slack_ts = (select m.ts from slack_messages m where m.kind = 'approval' and m.ref_id = approval_requests.id),
        slack_status = (select m.shown_status from slack_messages m where m.kind = 'approval' and m.ref_id = approval_requests.id),
        agent_thread = (select m.agent_thread from slack_messages m where m.kind = 'approval' and m.ref_id = approval_requests.id)`.execute(
        db,
      )
      await sql`update fraud_alerts set
        slack_channel = (select m.channel from slack_messages m where m.kind = 'alert' and m.ref_id = fraud_alerts.id),
        slack_ts = (select m.ts from slack_messages m where m.kind = 'alert' and m.ref_id = fraud_alerts.id)`.execute(
        db,
      )
      await db.schema.dropTable('slack_messages').execute()
    },
  }
}
