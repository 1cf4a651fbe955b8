import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { Cron } from 'croner'
import { describeError, GiftCardError, type JobName, toIso } from '../../core/index.ts'
import {
  beatJobRun,
  type ClaimOutcome,
  claimJobRun,
  finishJobRun,
  hasJobRun,
  type JobRun,
  jobRunAt,
  ledgerWatermark,
} from '../../db/index.ts'
import { type Actor, appendAudit, type Via } from '../../governance/index.ts'
import { chainTimezone, ToolExecutor } from '../../tools/index.ts'
import {
  callTool,
  type JobDefinition,
  type JobResult,
  type JobServices,
  SCHEDULER_ACTOR_ID,
} from './define-job.ts'
import { JOB_TOOLS } from './job-tools.ts'
import { JOBS } from './jobs.ts'
import { schedule } from './schedule.ts'

/**
 * The scheduler of `giftcards serve` (docs/jobs.md). On each tick, for every job that is on, it
 * finds the latest slot of its cron expression at or before now (in the chain's timezone) and
 * claims it by inserting (job, slot) into `job_runs`: the unique key lets one instance of many
 * run it, once. A slot missed while every server was down is the latest slot at the next start,
 * so it is caught up once, however many slots were missed. A run's heartbeat moves while it works;
 * one whose heartbeat is older than JOBS_STALE_AFTER_MINUTES lost its instance and is taken over.
 * Each run is audited (`job_run`, actor system:scheduler), and so is every tool call it makes.
 */

/** The most characters of a run's JSON result kept in `job_runs.result`. */
const MAX_RESULT_CHARS = 20_000

export type RunOutcome = {
  job: JobName
  scheduledFor: string
  /** ran: this instance ran it; held: another instance holds or finished it. */
  status: 'succeeded' | 'failed' | 'held'
  summary?: string
  error?: string
  takeover?: boolean
}

export type SchedulerOptions = {
  /** "Now" (a fake clock in tests); default the wall clock. */
  now?: () => Date
  /** This instance's name in `job_runs.claimed_by` (default host:pid:random). */
  instance?: string
  /** Which face the runs are audited under: `http` under serve, `cli` for `jobs run`. */
  via?: Via
  /** The jobs (default JOBS). */
  jobs?: readonly JobDefinition[]
}

export class Scheduler {
  readonly instance: string
  readonly #services: JobServices
  readonly #now: () => Date
  readonly #via: Via
  readonly #jobs: readonly JobDefinition[]
  readonly #jobExecutor: ToolExecutor
  #timers: Cron[] = []
  #ticking: Promise<unknown> = Promise.resolve()
  #timezone: string | undefined

  constructor(services: JobServices, options: SchedulerOptions = {}) {
    this.#services = services
    this.#now = options.now ?? (() => new Date())
    this.#via = options.via ?? 'http'
    this.#jobs = options.jobs ?? JOBS
    this.instance =
      options.instance ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    const { database, config, toolkit, logger } = services
    this.#jobExecutor = new ToolExecutor({
      database,
      config,
      approvals: toolkit.approvals,
      pii: toolkit.pii,
      tools: JOB_TOOLS,
      pos: toolkit.pos,
      ...(logger ? { logger } : {}),
    })
  }

  /** Every job with its cron expression (null: off) and the chain timezone it is read in. */
  async list(): Promise<
    { job: JobDefinition; cron: string | null; timezone: string; next: Date | undefined }[]
  > {
    const timezone = await this.#chainTimezone()
    return this.#jobs.map((job) => {
      const cron = this.#services.config.jobs.schedules[job.name]
      return {
        job,
        cron,
        timezone,
        next: cron ? schedule(cron, timezone).next(this.#now()) : undefined,
      }
    })
  }

  /**
   * Runs every job whose latest slot has no run yet, one job after another. At start this is the
   * catch-up: a slot missed while the server was down runs now, once. A job that has never run
   * on this ledger is not caught up (a fresh install, or a job just turned on, starts from its
   * next slot): a first start would otherwise scan, refit and close the books all at once.
   */
  tick(trigger: 'schedule' | 'catch_up' = 'schedule'): Promise<RunOutcome[]> {
    const run = this.#ticking.then(async () => {
      const outcomes: RunOutcome[] = []
      const now = this.#now()
      const timezone = await this.#chainTimezone()
      for (const job of this.#jobs) {
        const cron = this.#services.config.jobs.schedules[job.name]
        if (!cron) continue
        const slot = schedule(cron, timezone).latest(now)
        if (!slot) continue
        if (trigger === 'catch_up' && !(await hasJobRun(this.#services.database.db, job.name)))
          continue
        // A slot already claimed needs no insert attempt (the common case on every tick).
        const existing = await jobRunAt(this.#services.database.db, job.name, toIso(slot.getTime()))
        if (existing && existing.status !== 'running') continue
        outcomes.push(await this.#claimAndRun(job, slot, trigger))
      }
      return outcomes
    })
    this.#ticking = run.catch(() => undefined)
    return run
  }

  /** `giftcards jobs run NAME`: runs a job now, for the current instant (trigger `manual`). */
  async runNow(name: string, options: { requestedBy?: string } = {}): Promise<RunOutcome> {
    const job = this.#jobs.find((j) => j.name === name)
    if (!job)
      throw new GiftCardError(
        'INVALID_INPUT',
        `there is no job named ${JSON.stringify(name.slice(0, 60))}; the jobs are ${this.#jobs.map((j) => j.name).join(', ')}`,
      )
    return this.#claimAndRun(job, this.#now(), 'manual', options.requestedBy)
  }

  /**
   * Starts croner timers, one per job that is on, each ticking at its slots, and catches up once
   * now. `stop()` ends them.
   */
  async start(): Promise<RunOutcome[]> {
    const timezone = await this.#chainTimezone()
    for (const job of this.#jobs) {
      const cron = this.#services.config.jobs.schedules[job.name]
      if (!cron) continue
      this.#timers.push(
        new Cron(cron, { timezone, protect: true, unref: true }, async () => {
          try {
            await this.tick()
          } catch (err) {
            this.#services.logger?.warn({ err: describeError(err) }, 'scheduled jobs failed')
          }
        }),
      )
    }
    return this.tick('catch_up')
  }

  /** Stops the timers and waits for a run in progress. */
  async stop(): Promise<void> {
    for (const t of this.#timers) t.stop()
    this.#timers = []
    await this.#ticking
  }

  async #chainTimezone(): Promise<string> {
    this.#timezone ??= await chainTimezone(this.#services)
    return this.#timezone
  }

  async #claimAndRun(
    job: JobDefinition,
    slot: Date,
    trigger: 'schedule' | 'catch_up' | 'manual',
    requestedBy?: string,
  ): Promise<RunOutcome> {
    const { database, config } = this.#services
    const scheduledFor = toIso(slot.getTime())
    const now = this.#now()
    const claim: ClaimOutcome = await claimJobRun(database.db, {
      job: job.name,
      scheduledFor,
      trigger,
      claimedBy: this.instance,
      now: toIso(now.getTime()),
      staleBefore: toIso(now.getTime() - config.jobs.staleAfterMinutes * 60_000),
    })
    if (!claim.claimed) return { job: job.name, scheduledFor, status: 'held' }
    const actor: Actor = { id: SCHEDULER_ACTOR_ID, role: job.role }
    const beat = this.#heartbeat(claim.run)
    let result: JobResult | undefined
    let error: string | undefined
    try {
      result = await job.run({
        database,
        config,
        ...(this.#services.logger ? { logger: this.#services.logger } : {}),
        slot,
        actor,
        via: this.#via,
        call: (tool, input) =>
          callTool(
            { registry: this.#services.toolkit.executor, jobs: this.#jobExecutor },
            tool,
            input,
            { actor, via: this.#via },
          ),
        ...(this.#services.slack ? { slack: this.#services.slack } : {}),
        ...(this.#services.publishAlerts ? { publishAlerts: this.#services.publishAlerts } : {}),
      })
    } catch (err) {
      error = (err instanceof Error ? err.message : String(err)).slice(0, 1000)
      this.#services.logger?.warn({ job: job.name, scheduledFor, err: error }, 'job failed')
    } finally {
      clearInterval(beat)
    }
    const finishedAt = toIso(this.#now().getTime())
    const summary = (result?.summary ?? `failed: ${error}`).slice(0, 1000)
    const stillOurs = await finishJobRun(database.db, claim.run.id, this.instance, {
      status: result ? 'succeeded' : 'failed',
      now: finishedAt,
      summary,
      result: result ? JSON.stringify(result.result).slice(0, MAX_RESULT_CHARS) : null,
      error: error ?? null,
    })
    await appendAudit(database, {
      actor: SCHEDULER_ACTOR_ID,
      role: job.role,
      via: this.#via,
      action: 'job_run',
      tool: job.name,
      input: {
        scheduledFor,
        trigger,
        instance: this.instance,
        attempt: claim.run.attempts,
        ...(requestedBy ? { requestedBy } : {}),
        ...(claim.takeover ? { takeover: true } : {}),
      },
      resultSummary: `${result ? 'succeeded' : 'failed'}${stillOurs ? '' : ' (claim lost)'}: ${summary}`,
      dataWatermark: await ledgerWatermark(database.db),
    })
    return {
      job: job.name,
      scheduledFor,
      status: result ? 'succeeded' : 'failed',
      summary,
      ...(error ? { error } : {}),
      ...(claim.takeover ? { takeover: true } : {}),
    }
  }

  /** Moves the claim's heartbeat a few times per stale timeout while the run works. */
  #heartbeat(run: JobRun): NodeJS.Timeout {
    const every = Math.max(1000, (this.#services.config.jobs.staleAfterMinutes * 60_000) / 4)
    const timer = setInterval(() => {
      void beatJobRun(
        this.#services.database.db,
        run.id,
        this.instance,
        toIso(this.#now().getTime()),
      ).catch(() => undefined)
    }, every)
    timer.unref()
    return timer
  }
}
