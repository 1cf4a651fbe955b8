import type { Config, JobName, Logger } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import type { Actor, Role, Via } from '../../governance/index.ts'
import type { ToolExecutor, Toolkit, ToolOutcome } from '../../tools/index.ts'

/**
 * A scheduled job (docs/jobs.md). A job never touches the ledger itself: it calls tools through
 * the executor as `system:scheduler` with the role it declares (so every read and record is
 * role-checked, pseudonymised and audited), and says what it did in one line and a JSON result.
 * Adding a job: an entry in JOB_SCHEDULES (core/config.ts) and a definition in JOBS (./jobs.ts).
 */
export type JobDefinition = {
  name: JobName
  /** One line for `giftcards jobs list`. */
  description: string
  /** The role the scheduler acts with for this job (least privilege for its tools). */
  role: Role
  run(ctx: JobContext): Promise<JobResult>
}

export type JobResult = { summary: string; result: Record<string, unknown> }

/** Posts a message to Slack through the Web API client (chat.postMessage). */
export type SlackPoster = {
  post(message: { channel: string; text: string; blocks?: unknown[] }): Promise<{ ts?: string }>
}

export type JobContext = {
  database: Database
  config: Config
  logger?: Logger
  /** The slot this run is for: the job's "now" (a fake clock in tests). */
  slot: Date
  /** The scheduler as this job acts: `system:scheduler` with the job's role. */
  actor: Actor
  via: Via
  /** Calls a tool (the registry's or the jobs' own) through the executor, audited. */
  call(tool: string, input: Record<string, unknown>): Promise<unknown>
  /** Set when Slack is configured (SLACK_BOT_TOKEN). */
  slack?: SlackPoster
  /** Set under `serve` with Slack: posts new alerts as the streaming detector's are posted. */
  publishAlerts?: () => Promise<unknown>
}

/** The scheduler's actor id: every run and every call of a job is audited under it. */
export const SCHEDULER_ACTOR_ID = 'system:scheduler'

/**
 * A tool call for a job: through `executor` (role check, validation, pseudonymiser, audit row),
 * the outcome's data, or its refusal thrown as the job's failure.
 */
export async function callTool(
  executors: { registry: ToolExecutor; jobs: ToolExecutor },
  tool: string,
  input: Record<string, unknown>,
  options: { actor: Actor; via: Via },
): Promise<unknown> {
  const executor = tool.startsWith('job_') ? executors.jobs : executors.registry
  const outcome: ToolOutcome = await executor.call(tool, input, options)
  if (!outcome.ok) throw new Error(`${tool}: ${outcome.error.code}: ${outcome.error.message}`)
  return outcome.data
}

/** What the scheduler is given to run jobs with. */
export type JobServices = {
  database: Database
  config: Config
  toolkit: Toolkit
  logger?: Logger
  slack?: SlackPoster
  publishAlerts?: () => Promise<unknown>
}
