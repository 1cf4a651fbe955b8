import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Several `giftcards serve` processes on one PostgreSQL (docs/concurrency.md, "Many instances"):
 *
 * - `service_instances`: one row per running process, its heartbeat renewed every few seconds,
 *   so `/healthz` can say who else is up. Liveness for leadership is not read from here (an
 *   advisory lock held on a session is); rows whose heartbeat stopped are deleted by the others.
 * - `stream_cursors`: how far the one leader has read the ledger for a job that must run once
 *   across instances (the streaming fraud detector): the last transaction id it scored, the id
 *   its stream began after, and the leadership term that wrote it (a fencing token: a leader that
 *   lost its lock cannot move the cursor of the one after it).
 *
 * SQLite runs one instance and reads neither.
 */
export function instancesMigration(adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('service_instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('started_at', adapter.timestampType, (c) => c.notNull())
        .addColumn('heartbeat_at', adapter.timestampType, (c) => c.notNull())
        .addColumn('leader_of', 'text')
        .execute()
      await db.schema
        .createTable('stream_cursors')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('position', adapter.centsType, (c) => c.notNull())
        .addColumn('epoch_start', adapter.centsType, (c) => c.notNull())
        .addColumn('term', 'integer', (c) => c.notNull())
        .addColumn('leader', 'text')
        .addColumn('updated_at', adapter.timestampType, (c) => c.notNull())
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('stream_cursors').execute()
      await db.schema.dropTable('service_instances').execute()
    },
  }
}
