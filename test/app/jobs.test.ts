import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunOutcome, Scheduler, schedule, slackPoster } from '../../app/index.ts'
import { type Config, loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { createToolkit, type Toolkit } from '../../tools/index.ts'
import { type FakeSlack, startFakeSlack } from '../fakes/slack-api.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { writeLedgerFixture } from '../helpers/ledger-fixture.ts'

/**
 * The scheduler with a fake clock (docs/jobs.md): nothing sleeps; each tick reads "now" from
 * `clock`. New York time: fraud scan daily at 06:00, digest Mondays 08:00, refit the 1st at 05:00.
 */

let slack: FakeSlack
beforeAll(async () => {
  slack = await startFakeSlack('xoxb-jobs')
})
afterAll(async () => {
  await slack.close()
})

function jobsConfig(): Config {
  return loadConfig({
    CHAIN_TIMEZONE: 'America/New_York',
    JOB_FRAUD_SCAN_CRON: '0 6 * * *',
    JOB_AT_RISK_DIGEST_CRON: '0 8 * * 1',
    JOB_FORECAST_REFIT_CRON: '0 5 1 * *',
    // The monthly close has its own test (test/finance/post-journal.test.ts).
    JOB_JOURNAL_CLOSE_CRON: 'off',
    SLACK_BOT_TOKEN: 'xoxb-jobs',
    SLACK_API_URL: slack.url,
    SLACK_DIGEST_CHANNEL: 'C_DIGEST',
    AUDIT_CHECKPOINT_FILE: 'off',
  })
}

const ran = (outcomes: RunOutcome[]) =>
  outcomes.filter((o) => o.status !== 'held').map((o) => `${o.job}@${o.scheduledFor}`)

describe('schedule (croner in the chain timezone)', () => {
  it('finds the latest slot at or before now and the next one', () => {
    const daily = schedule('0 6 * * *', 'America/New_York')
    expect(daily.latest(new Date('2025-06-03T09:59:00Z'))?.toISOString()).toBe(
      '2025-06-02T10:00:00.000Z',
    )
    expect(daily.latest(new Date('2025-06-03T10:00:00Z'))?.toISOString()).toBe(
      '2025-06-03T10:00:00.000Z',
    )
    expect(daily.next(new Date('2025-06-03T10:00:00Z'))?.toISOString()).toBe(
      '2025-06-04T10:00:00.000Z',
    )
    // Winter: 06:00 in New York is 11:00 UTC.
    expect(
      schedule('0 5 1 * *', 'America/New_York')
        .latest(new Date('2025-12-15T00:00:00Z'))
        ?.toISOString(),
    ).toBe('2025-12-01T10:00:00.000Z')
  })

  it('refuses a bad cron expression in the configuration, and takes off', () => {
    expect(() => loadConfig({ JOB_FRAUD_SCAN_CRON: 'every day' })).toThrow(/JOB_FRAUD_SCAN_CRON/)
    expect(loadConfig({ JOB_AT_RISK_DIGEST_CRON: 'off' }).jobs.schedules['at-risk-digest']).toBe(
      null,
    )
  })
})

for (const dialect of DIALECTS) {
  describe(`scheduled jobs (${dialect.name})`, () => {
    let database: Database
    let toolkit: Toolkit
    let config: Config
    let clock = new Date('2025-06-02T14:00:00Z')
    const scheduler = (instance: string) =>
      new Scheduler(
        {
          database,
          config,
          toolkit,
          slack: slackPoster(config) as NonNullable<ReturnType<typeof slackPoster>>,
        },
        { now: () => clock, instance },
      )
    let a: Scheduler
    useDatabase(dialect, async (db) => {
      database = db
      config = jobsConfig()
      await writeLedgerFixture(db.db)
      // Last month's refit ran already (its forecast hand-built, so the drift below is known).
      await db.db
        .insertInto('forecasts')
        .values({
          kind: 'breakage',
          model_version: 'runoff-previous',
          data_watermark: '2025-04-01T12:00:00.000Z',
          params: '{}',
          result: JSON.stringify({
            modelVersion: 'runoff-previous',
            asOf: '2025-06-01T00:00:00.000Z',
            dataWatermark: '2025-04-01T12:00:00.000Z',
            outstandingCents: 10_000,
            ultimateBreakageRate: 0.5,
            outstandingBreakageCents: 1000,
            monthly: Array.from({ length: 12 }, (_, i) => ({
              month: `${2025 + Math.floor((5 + i) / 12)}-${String(((5 + i) % 12) + 1).padStart(2, '0')}`,
              expectedCents: 100,
            })),
          }),
          created_at: '2025-06-01T09:00:00.000Z',
        })
        .execute()
      await db.db
        .insertInto('job_runs')
        .values({
          job: 'forecast-refit',
          scheduled_for: '2025-06-01T09:00:00.000Z',
          trigger: 'schedule',
          status: 'succeeded',
          claimed_by: 'earlier-instance',
          started_at: '2025-06-01T09:00:00.000Z',
          heartbeat_at: '2025-06-01T09:01:00.000Z',
          finished_at: '2025-06-01T09:01:00.000Z',
          summary: 'forecast #1',
          result: null,
          error: null,
        })
        .execute()
      // The scan and the digest ran before too (a job never run is not caught up at start).
      for (const [job, at] of [
        ['fraud-scan', '2025-05-31T10:00:00.000Z'],
        ['at-risk-digest', '2025-05-26T12:00:00.000Z'],
      ] as const)
        await db.db
          .insertInto('job_runs')
          .values({
            job,
            scheduled_for: at,
            trigger: 'schedule',
            status: 'succeeded',
            claimed_by: 'earlier-instance',
            started_at: at,
            heartbeat_at: at,
            finished_at: at,
            summary: 'an earlier run',
            result: null,
            error: null,
          })
          .execute()
      toolkit = createToolkit(db, config)
      a = scheduler('instance-a')
    })

    it('catches up each job once at start, then fires each when due, once', async () => {
      const digestsBefore = slack.of('chat.postMessage').filter((m) => m.channel === 'C_DIGEST')
      const started = await a.start()
      await a.stop()
      // The refit's latest slot (1 June) ran before this instance started: not run again.
      expect(ran(started).sort()).toEqual([
        'at-risk-digest@2025-06-02T12:00:00.000Z',
        'fraud-scan@2025-06-02T10:00:00.000Z',
      ])
      for (const o of started) expect(o.status, `${o.job}: ${o.error}`).toBe('succeeded')
      const digests = slack.of('chat.postMessage').filter((m) => m.channel === 'C_DIGEST')
      expect(digests.length - digestsBefore.length).toBe(1)
      expect(String(digests.at(-1)?.text)).toMatch(/campaign #\d+ is drafted/)
      expect(String(digests.at(-1)?.text)).toContain("needs launch_campaign and a manager's")
      const campaign = await database.db
        .selectFrom('campaigns')
        .select(['status', 'created_by'])
        .executeTakeFirstOrThrow()
      expect(campaign).toEqual({ status: 'draft', created_by: 'system:scheduler' })

      clock = new Date('2025-06-03T09:59:00Z')
      expect(ran(await a.tick())).toEqual([])
      clock = new Date('2025-06-03T10:00:30Z')
      expect(ran(await a.tick())).toEqual(['fraud-scan@2025-06-03T10:00:00.000Z'])
      expect(ran(await a.tick())).toEqual([])
    })

    it('catches up a run missed while the server was down once, not once per slot', async () => {
      clock = new Date('2025-06-06T15:00:00Z')
      expect(ran(await a.tick('catch_up'))).toEqual(['fraud-scan@2025-06-06T10:00:00.000Z'])
      expect(ran(await a.tick())).toEqual([])
      const scans = await database.db
        .selectFrom('job_runs')
        .select(['scheduled_for', 'trigger'])
        .where('job', '=', 'fraud-scan')
        .orderBy('scheduled_for')
        .execute()
      expect(scans.map((r) => r.scheduled_for)).toEqual([
        '2025-05-31T10:00:00.000Z',
        '2025-06-02T10:00:00.000Z',
        '2025-06-03T10:00:00.000Z',
        '2025-06-06T10:00:00.000Z',
      ])
      expect(scans.at(-1)?.trigger).toBe('catch_up')
    })

    it('refits the forecast monthly and reports its drift against the last one', async () => {
      clock = new Date('2025-07-01T09:00:01Z')
      const outcomes = await a.tick()
      const refit = outcomes.find((o) => o.job === 'forecast-refit')
      expect(refit?.status).toBe('succeeded')
      expect(refit?.summary).toMatch(/against #1 \(2025-06-01\): ultimate breakage [+-]/)
      const row = await database.db
        .selectFrom('job_runs')
        .select('result')
        .where('job', '=', 'forecast-refit')
        .orderBy('scheduled_for', 'desc')
        .executeTakeFirstOrThrow()
      const result = JSON.parse(row.result ?? '{}')
      expect(result.day).toBe('2025-07-01')
      // Stored with its model version and the ledger's watermark before the day.
      const stored = await database.db
        .selectFrom('forecasts')
        .select(['id', 'model_version', 'data_watermark'])
        .orderBy('id')
        .execute()
      expect(stored).toHaveLength(2)
      expect(stored[1]).toMatchObject({
        id: result.forecastId,
        model_version: result.modelVersion,
        data_watermark: '2025-04-01T12:00:00.000Z',
      })
      expect(result.modelVersion).not.toBe('runoff-previous')
      // Drift against the hand-built June forecast: 11 shared months (Jul 2025 – May 2026) of
      // $1.00 each then; the changes are the new figures less the old.
      expect(result.drift).toMatchObject({
        previousForecastId: 1,
        previousModelVersion: 'runoff-previous',
        outstandingBreakageChangeCents: result.outstandingBreakageCents - 1000,
        outstandingChangeCents: result.outstandingCents - 10_000,
        ultimateBreakageRateChangePts: Number(
          ((result.ultimateBreakageRate - 0.5) * 100).toFixed(2),
        ),
      })
      expect(result.drift.overlap).toMatchObject({ months: 11, previousCents: 1100 })
      expect(result.drift.overlap.changeCents).toBe(result.drift.overlap.currentCents - 1100)
    })

    it('runs a due slot once with two scheduler instances on one database', async () => {
      clock = new Date('2025-07-02T10:00:05Z')
      const b = scheduler('instance-b')
      const [fromA, fromB] = await Promise.all([a.tick(), b.tick()])
      const all = [...fromA, ...fromB].filter((o) => o.job === 'fraud-scan')
      expect(all.filter((o) => o.status === 'succeeded')).toHaveLength(1)
      const rows = await database.db
        .selectFrom('job_runs')
        .select(['claimed_by', 'attempts'])
        .where('job', '=', 'fraud-scan')
        .where('scheduled_for', '=', '2025-07-02T10:00:00.000Z')
        .execute()
      expect(rows).toHaveLength(1)
      expect(rows[0]?.attempts).toBe(1)
    })

    it('takes over a stale claim once and leaves a live one alone', async () => {
      clock = new Date('2025-07-07T13:00:00Z')
      const base = {
        trigger: 'schedule' as const,
        status: 'running' as const,
        finished_at: null,
        summary: null,
        result: null,
        error: null,
      }
      await database.db
        .insertInto('job_runs')
        .values([
          {
            ...base,
            job: 'fraud-scan',
            scheduled_for: '2025-07-07T10:00:00.000Z',
            claimed_by: 'dead-instance',
            started_at: '2025-07-07T10:00:00.000Z',
            heartbeat_at: '2025-07-07T10:10:00.000Z',
          },
          {
            ...base,
            job: 'at-risk-digest',
            scheduled_for: '2025-07-07T12:00:00.000Z',
            claimed_by: 'live-instance',
            started_at: '2025-07-07T12:00:00.000Z',
            heartbeat_at: '2025-07-07T12:55:00.000Z',
          },
        ])
        .execute()
      const outcomes = await a.tick()
      expect(outcomes.find((o) => o.job === 'at-risk-digest')?.status).toBe('held')
      const scan = outcomes.find((o) => o.job === 'fraud-scan')
      expect(scan).toMatchObject({ status: 'succeeded', takeover: true })
      const row = await database.db
        .selectFrom('job_runs')
        .select(['claimed_by', 'attempts', 'status'])
        .where('job', '=', 'fraud-scan')
        .where('scheduled_for', '=', '2025-07-07T10:00:00.000Z')
        .executeTakeFirstOrThrow()
      expect(row).toEqual({ claimed_by: 'instance-a', attempts: 2, status: 'succeeded' })
      // The live claim is still someone else's: this instance leaves it alone on the next tick too.
      expect(ran(await a.tick())).toEqual([])
    })

    it('audits every run and every tool call as system:scheduler', async () => {
      const runs = await database.db
        .selectFrom('job_runs')
        .select('id')
        .where('status', '=', 'succeeded')
        .execute()
      const audited = await database.db
        .selectFrom('audit_log')
        .select(['tool', 'role', 'result_summary'])
        .where('actor', '=', 'system:scheduler')
        .where('action', '=', 'job_run')
        .execute()
      // Every run but the three recorded in the setup (made before this test's instances
      // existed) is audited.
      expect(audited).toHaveLength(runs.length - 3)
      const calls = await database.db
        .selectFrom('audit_log')
        .select('tool')
        .where('actor', '=', 'system:scheduler')
        .where('action', '=', 'tool_call')
        .execute()
      const tools = new Set(calls.map((c) => c.tool))
      for (const t of [
        'job_fraud_scan',
        'job_forecast_refit',
        'escheatment_report',
        'find_dormant_cards',
        'draft_campaign',
      ])
        expect(tools).toContain(t)
      expect(audited.find((r) => r.tool === 'fraud-scan')?.role).toBe('loss_prevention')
    })

    it('runs a job on request (jobs run) and refuses an unknown one', async () => {
      clock = new Date('2025-07-08T16:00:00Z')
      const manual = await a.runNow('fraud-scan', { requestedBy: 'cli:ops' })
      expect(manual).toMatchObject({
        status: 'succeeded',
        scheduledFor: '2025-07-08T16:00:00.000Z',
      })
      await expect(a.runNow('nope')).rejects.toThrow(/no job named "nope"/)
    })
  })
}
