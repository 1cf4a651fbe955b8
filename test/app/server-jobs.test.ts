import { describe, expect, it } from 'vitest'
import { startServer } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { eventually } from '../helpers/eventually.ts'
import { writeLedgerFixture } from '../helpers/ledger-fixture.ts'

/** `giftcards serve` starts the scheduler (docs/jobs.md): the catch-up runs, close() stops it. */
for (const dialect of DIALECTS) {
  describe(`serve with scheduled jobs (${dialect.name})`, () => {
    let database: Database
    useDatabase(dialect, async (db) => {
      database = db
      await writeLedgerFixture(db.db)
      // The scan ran before this start (a job that never ran is not caught up).
      await db.db
        .insertInto('job_runs')
        .values({
          job: 'fraud-scan',
          scheduled_for: '2025-03-30T06:00:00.000Z',
          trigger: 'schedule',
          status: 'succeeded',
          claimed_by: 'earlier-instance',
          started_at: '2025-03-30T06:00:00.000Z',
          heartbeat_at: '2025-03-30T06:00:00.000Z',
          finished_at: '2025-03-30T06:00:00.000Z',
          summary: 'an earlier run',
          result: null,
          error: null,
        })
        .execute()
    })

    it('catches up the jobs that are on once it listens, and only with jobs: true', async () => {
      const config = loadConfig({
        JOB_FRAUD_SCAN_CRON: '0 6 * * *',
        // On, but never run on this ledger: not caught up at start (it waits for its slot).
        JOB_AT_RISK_DIGEST_CRON: '0 8 * * 1',
        JOB_FORECAST_REFIT_CRON: 'off',
        JOB_JOURNAL_CLOSE_CRON: 'off',
        AUDIT_CHECKPOINT_FILE: 'off',
      })
      const now = () => new Date('2025-04-02T12:00:00Z')
      const plain = await startServer({ database, config }, { port: 0, host: '127.0.0.1' })
      expect(plain.scheduler).toBeUndefined()
      await plain.close()
      const server = await startServer(
        { database, config },
        { port: 0, host: '127.0.0.1' },
        { jobs: true, now },
      )
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      const run = await eventually(async () => {
        const row = await database.db
          .selectFrom('job_runs')
          .select(['job', 'scheduled_for', 'trigger', 'status'])
          .where('trigger', '=', 'catch_up')
          .executeTakeFirstOrThrow()
        expect(row.status).toBe('succeeded')
        return row
      })
      await server.close()
      expect(run).toEqual({
        job: 'fraud-scan',
        // No CHAIN_TIMEZONE: the stores' own (the fixture's keep UTC).
        scheduled_for: '2025-04-02T06:00:00.000Z',
        trigger: 'catch_up',
        status: 'succeeded',
      })
      const digests = await database.db
        .selectFrom('job_runs')
        .select('id')
        .where('job', '=', 'at-risk-digest')
        .execute()
      expect(digests).toEqual([])
      const audited = await database.db
        .selectFrom('audit_log')
        .select(['actor', 'via'])
        .where('action', '=', 'job_run')
        .execute()
      expect(audited).toEqual([{ actor: 'system:scheduler', via: 'http' }])
    })
  })
}
