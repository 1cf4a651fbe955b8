import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Scheduled job runs (docs/jobs.md): one row per job and scheduled slot. The unique index on
 * (job, scheduled_for) is the claim: the instance whose insert lands runs the slot, every other
 * instance's insert conflicts and it does nothing. `heartbeat_at` moves while the run works, so
 * a claim whose heartbeat is older than JOBS_STALE_AFTER_MINUTES (its instance died) can be
 * taken over once, by a compare-and-set on the heartbeat it read.
 */
export function jobRunsMigration(adapter: EngineAdapter) {
  const ts = adapter.timestampType
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('job_runs')
        .addColumn('id', 'integer', (c) => adapter.autoId(c))
        .addColumn('job', 'text', (c) => c.notNull())
        .addColumn('scheduled_for', ts, (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('claimed_by', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('heartbeat_at', ts, (c) => c.notNull())
        .addColumn('finished_at', ts)
        .addColumn('summary', 'text')
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .execute()
      await db.schema
        .createIndex('job_runs_job_slot_idx')
        .on('job_runs')
        .columns(['job', 'scheduled_for'])
        .unique()
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('job_runs').execute()
    },
  }
}
