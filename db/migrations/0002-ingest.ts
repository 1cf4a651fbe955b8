import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/** Ingest: the balance ordering column, import checkpoints and poller state. */
export function ingestMigration(adapter: EngineAdapter) {
  const ts = adapter.timestampType
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('gift_cards').addColumn('balance_as_of', ts).execute()
      await db.schema
        .createTable('import_checkpoints')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('line', 'integer', (c) => c.notNull())
        .addColumn('applied', 'integer', (c) => c.notNull())
        .addColumn('duplicates', 'integer', (c) => c.notNull())
        .addColumn('rejected', 'integer', (c) => c.notNull())
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('completed_at', ts)
        .execute()
      await db.schema
        .createTable('sync_state')
        .addColumn('source', 'text', (c) => c.primaryKey())
        .addColumn('cursor', 'text')
        .addColumn('last_event_at', ts)
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('sync_state').execute()
      await db.schema.dropTable('import_checkpoints').execute()
      await db.schema.alterTable('gift_cards').dropColumn('balance_as_of').execute()
    },
  }
}
