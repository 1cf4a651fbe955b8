import type { Kysely, Selectable } from 'kysely'
import type { DB, JobRunsTable } from '../schema.ts'

/**
 * The claims of scheduled job runs (docs/jobs.md, migration 0018). Several `giftcards serve`
 * instances on one database each try to claim a due slot; the unique index on
 * (job, scheduled_for) lets exactly one insert land. A claim whose heartbeat went stale (its
 * instance died mid-run) is taken over by a compare-and-set on the heartbeat it was read with,
 * so two instances finding it stale at once still hand it to one.
 */

export type JobRun = Selectable<JobRunsTable>

export type ClaimRequest = {
  job: string
  scheduledFor: string
  trigger: JobRunsTable['trigger']
  claimedBy: string
  now: string
  /** A running claim whose heartbeat is older than this ISO instant may be taken over. */
  staleBefore: string
}

/** Ours: run it. Not ours: another instance holds or finished it. */
export type ClaimOutcome =
  | { claimed: true; run: JobRun; takeover: boolean }
  | { claimed: false; run: JobRun | undefined }

export async function claimJobRun(db: Kysely<DB>, request: ClaimRequest): Promise<ClaimOutcome> {
  const inserted = await db
    .insertInto('job_runs')
    .values({
      job: request.job,
      scheduled_for: request.scheduledFor,
      trigger: request.trigger,
      status: 'running',
      claimed_by: request.claimedBy,
      started_at: request.now,
      heartbeat_at: request.now,
      finished_at: null,
      summary: null,
      result: null,
      error: null,
    })
    // The unique index decides: a second instance's insert is a no-op, not an error.
    .onConflict((oc) => oc.columns(['job', 'scheduled_for']).doNothing())
    .returningAll()
    .executeTakeFirst()
  if (inserted) return { claimed: true, run: inserted, takeover: false }
  const existing = await jobRunAt(db, request.job, request.scheduledFor)
  if (existing?.status !== 'running' || existing.heartbeat_at >= request.staleBefore)
    return { claimed: false, run: existing }
  // Stale: its instance stopped beating. Take it over only if nobody else has meanwhile.
  const taken = await db
    .updateTable('job_runs')
    .set((eb) => ({
      claimed_by: request.claimedBy,
      heartbeat_at: request.now,
      started_at: request.now,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', '=', existing.id)
    .where('status', '=', 'running')
    .where('heartbeat_at', '=', existing.heartbeat_at)
    .where('claimed_by', '=', existing.claimed_by)
    .executeTakeFirst()
  if (Number(taken.numUpdatedRows) !== 1)
    return { claimed: false, run: await jobRunAt(db, request.job, request.scheduledFor) }
  const run = await jobRunAt(db, request.job, request.scheduledFor)
  if (!run) return { claimed: false, run }
  return { claimed: true, run, takeover: true }
}

/** Whether the job has ever been run on this ledger (scheduled, caught up or by hand). */
export async function hasJobRun(db: Kysely<DB>, job: string): Promise<boolean> {
  const row = await db
    .selectFrom('job_runs')
    .select('id')
    .where('job', '=', job)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

export function jobRunAt(
  db: Kysely<DB>,
  job: string,
  scheduledFor: string,
): Promise<JobRun | undefined> {
  return db
    .selectFrom('job_runs')
    .selectAll()
    .where('job', '=', job)
    .where('scheduled_for', '=', scheduledFor)
    .executeTakeFirst()
}

/** Keeps a claim fresh while its run works; false when the claim was lost (taken over). */
export async function beatJobRun(
  db: Kysely<DB>,
  id: number,
  claimedBy: string,
  now: string,
): Promise<boolean> {
  const r = await db
    .updateTable('job_runs')
    .set({ heartbeat_at: now })
    .where('id', '=', id)
    .where('claimed_by', '=', claimedBy)
    .where('status', '=', 'running')
    .executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

/** Records how the run ended, if this instance still holds the claim. */
export async function finishJobRun(
  db: Kysely<DB>,
  id: number,
  claimedBy: string,
  outcome: {
    status: 'succeeded' | 'failed'
    now: string
    summary: string
    result?: string | null
    error?: string | null
  },
): Promise<boolean> {
  const r = await db
    .updateTable('job_runs')
    .set({
      status: outcome.status,
      finished_at: outcome.now,
      heartbeat_at: outcome.now,
      summary: outcome.summary,
      result: outcome.result ?? null,
      error: outcome.error ?? null,
    })
    .where('id', '=', id)
    .where('claimed_by', '=', claimedBy)
    .where('status', '=', 'running')
    .executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

/** Runs newest first, of one job or all. */
export function jobRunHistory(
  db: Kysely<DB>,
  options: { job?: string; limit: number },
): Promise<JobRun[]> {
  let query = db.selectFrom('job_runs').selectAll()
  if (options.job) query = query.where('job', '=', options.job)
  return query.orderBy('scheduled_for', 'desc').orderBy('id', 'desc').limit(options.limit).execute()
}

/** The newest finished (succeeded) run of a job before `before`, with its result. */
export function lastSucceededRun(
  db: Kysely<DB>,
  job: string,
  before: string,
): Promise<JobRun | undefined> {
  return db
    .selectFrom('job_runs')
    .selectAll()
    .where('job', '=', job)
    .where('status', '=', 'succeeded')
    .where('scheduled_for', '<', before)
    .orderBy('scheduled_for', 'desc')
    .limit(1)
    .executeTakeFirst()
}
