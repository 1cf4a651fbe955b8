import { z } from 'zod'
import { createServices, JOBS, Scheduler, slackPoster } from '../../app/index.ts'
import { GiftCardError } from '../../core/index.ts'
import { jobRunHistory } from '../../db/index.ts'
import type { Role } from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { Flags } from '../flags.ts'
import { intOption, parseOptions } from '../options.ts'
import { actorFor } from '../session.ts'

/** `jobs run` needs a login whose role is at least the job's (docs/jobs.md). */
const RANK: Record<Role, number> = { analyst: 0, loss_prevention: 1, manager: 2, admin: 3 }

const historyOptions = z.object({
  job: z
    .enum(JOBS.map((j) => j.name) as [string, ...string[]], {
      error: `must be one of ${JOBS.map((j) => j.name).join(', ')}`,
    })
    .optional(),
  limit: intOption(1, 500).default(20),
})

export async function runJobsList(ctx: () => CliContext, raw: { json?: boolean }): Promise<void> {
  const context = ctx()
  const rows = await withDatabase(context, async (database) => {
    const services = createServices(database, context.config)
    return new Scheduler(services).list()
  })
  if (raw.json) {
    console.log(
      JSON.stringify(
        rows.map((r) => ({
          job: r.job.name,
          description: r.job.description,
          cron: r.cron,
          timezone: r.timezone,
          next: r.next?.toISOString() ?? null,
        })),
        null,
        2,
      ),
    )
    return
  }
  for (const r of rows)
    console.log(
      `${r.job.name.padEnd(16)} ${(r.cron ?? 'off').padEnd(14)} ${r.next ? `next ${r.next.toISOString()} (${r.timezone})` : ''.padEnd(20)}  ${r.job.description}`,
    )
}

export async function runJobsRun(
  ctx: () => CliContext,
  name: string,
  raw: { json?: boolean },
): Promise<void> {
  const context = ctx()
  const outcome = await withDatabase(context, async (database) => {
    const job = JOBS.find((j) => j.name === name)
    if (!job)
      throw new GiftCardError(
        'INVALID_INPUT',
        `there is no job named ${JSON.stringify(name.slice(0, 60))}; the jobs are ${JOBS.map((j) => j.name).join(', ')}`,
      )
    const actor = await actorFor(context, database, undefined)
    if (RANK[actor.role] < RANK[job.role])
      throw new GiftCardError(
        'FORBIDDEN',
        `${actor.id} (${actor.role}) may not run ${job.name}; it runs as ${job.role}`,
      )
    const services = createServices(database, context.config)
    const poster = slackPoster(context.config)
    const scheduler = new Scheduler(
      { ...services, ...(poster ? { slack: poster } : {}) },
      { via: 'cli' },
    )
    return scheduler.runNow(job.name, { requestedBy: actor.id })
  })
  if (raw.json) console.log(JSON.stringify(outcome, null, 2))
  else console.log(`${outcome.job}: ${outcome.status}: ${outcome.summary ?? ''}`)
  if (outcome.status !== 'succeeded') process.exitCode = 1
}

export async function runJobsHistory(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(historyOptions, raw)
  const context = ctx()
  const runs = await withDatabase(context, (database) =>
    jobRunHistory(database.db, {
      ...(options.job ? { job: options.job } : {}),
      limit: options.limit,
    }),
  )
  if (raw.json) {
    console.log(
      JSON.stringify(
        runs.map((r) => ({ ...r, result: r.result ? JSON.parse(r.result) : null })),
        null,
        2,
      ),
    )
    return
  }
  if (runs.length === 0) console.log('no job has run yet')
  for (const r of runs)
    console.log(
      `${r.scheduled_for}  ${r.job.padEnd(16)} ${r.status.padEnd(9)} ${r.trigger.padEnd(8)} ${r.summary ?? ''}`,
    )
}
