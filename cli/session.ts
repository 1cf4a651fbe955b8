import type { Agent } from '../agent/index.ts'
import { createServices, type Services, startAgent } from '../app/index.ts'
import { GiftCardError } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import type { Actor, Role } from '../governance/index.ts'
import {
  type AnyTool,
  type ToolExecutor as Executor,
  mayUse,
  ToolExecutor,
  type Toolkit,
  type ToolOutcome,
} from '../tools/index.ts'
import { type CliContext, withDatabase } from './context.ts'
import { resolveCliActor } from './identity.ts'
import { CLI_REPORTS, type Report, type ReportInput } from './reports/index.ts'

/**
 * The actor a command acts as: the OS login, or the one claimed by `--as` (or GIFTCARDS_ACTOR)
 * when the CLI may claim it (cli/identity.ts), with the role the roles table gives them.
 */
export function actorFor(
  ctx: CliContext,
  database: Database,
  claim: string | undefined,
  options: { demoActors?: readonly string[] } = {},
): Promise<Actor> {
  return resolveCliActor(database, ctx.identity, claim, options)
}

/**
 * Says on stderr (never stdout: `giftcards mcp` speaks its protocol there) when the ledger has
 * no cards, so an answer of $0.00 from the wrong file or database is not taken for the truth.
 */
export async function warnIfEmpty(database: Database): Promise<boolean> {
  const card = await database.db.selectFrom('gift_cards').select('id').limit(1).executeTakeFirst()
  if (card) return false
  process.stderr.write(
    `giftcards: warning: the ledger ${database.describe} has no gift cards, so every answer is empty or $0.00. Point DATABASE_URL (or GIFTCARDS_HOME) at your ledger, or load one (giftcards seed, import, sync square).\n`,
  )
  return true
}

/**
 * Opens the ledger and the services over it (app/services.ts) for one command; errors the tools
 * hit go to stderr.
 */
export function withServices<T>(
  ctx: CliContext,
  work: (services: Services) => Promise<T>,
): Promise<T> {
  return withDatabase(ctx, async (database) => {
    await warnIfEmpty(database)
    return work(createServices(database, ctx.config))
  })
}

/** Opens the ledger and the toolkit over it for one command (errors the tools hit go to stderr). */
export function withToolkit<T>(
  ctx: CliContext,
  work: (toolkit: Toolkit, database: Database) => Promise<T>,
): Promise<T> {
  return withServices(ctx, (services) => work(services.toolkit, services.database))
}

/** `a`, `a or b`, `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`
}

/**
 * A refusal for a role that may not run `command`, in the command's words (docs/identity.md#roles):
 * the roles that may run it, the actor's own, and how to get there (an admin grants a role, or
 * the command is run from the login of someone who has one). Never the internal tool's name
 * (`cli_journal`), which nobody typed.
 */
export function refusedCommand(
  command: string,
  roles: readonly Role[],
  actor: Actor,
): GiftCardError {
  const named = roles.filter((r) => r !== 'admin')
  const needs = named.length > 0 ? `the role ${orList(named)} (or admin)` : 'the admin role'
  return new GiftCardError(
    'FORBIDDEN',
    `${command} needs ${needs}, and ${actor.id} is ${actor.role}. An admin can grant one (giftcards roles grant ${actor.id} ${named[0] ?? 'admin'}), or run it from the login of someone who has one; GIFTCARDS_ACTOR=ACTOR acts as another actor only for an admin's login or with GIFTCARDS_ALLOW_AS=1 (docs/identity.md)`,
  )
}

/**
 * A tool call a command made, as the command's result: the data, or its error as the command's
 * one-line failure; a refusal of the actor's role is said in the command's words (refusedCommand).
 */
export function commandResult(
  command: string,
  tool: AnyTool | undefined,
  actor: Actor,
  outcome: ToolOutcome,
): unknown {
  if (outcome.ok) return outcome.data
  if (outcome.error.code === 'FORBIDDEN' && tool && !mayUse(actor.role, tool))
    throw refusedCommand(command, tool.roles, actor)
  throw new GiftCardError(outcome.error.code, outcome.error.message)
}

/**
 * Calls a registry tool for a command (`giftcards fraud case`, `--chart`) as the command's actor,
 * via `cli`, and returns its data (commandResult).
 */
export async function callForCommand(
  command: string,
  executor: Executor,
  tool: string,
  args: Record<string, unknown>,
  actor: Actor,
): Promise<unknown> {
  const outcome = await executor.call(tool, args, { actor, via: 'cli' })
  return commandResult(
    command,
    executor.tools.find((t) => t.name === tool),
    actor,
    outcome,
  )
}

/**
 * Runs one of the CLI's reports (cli/reports/) through the tool executor as the command's actor,
 * via `cli`: the role check, input validation, pseudonymiser and audit row every tool call gets.
 * Returns the report's data, or throws its refusal or error as the command's one-line failure.
 */
export function runReport<I extends ReportInput, R>(
  ctx: CliContext,
  report: Report<I, R>,
  input: Record<string, unknown>,
): Promise<R> {
  return withDatabase(ctx, async (database) => {
    await warnIfEmpty(database)
    return runReportOn(ctx, database, report, input)
  })
}

/** runReport on a ledger the command has open already. */
export async function runReportOn<I extends ReportInput, R>(
  ctx: CliContext,
  database: Database,
  report: Report<I, R>,
  input: Record<string, unknown>,
): Promise<R> {
  const { toolkit, logger } = createServices(database, ctx.config)
  const executor = new ToolExecutor({
    database,
    config: ctx.config,
    approvals: toolkit.approvals,
    pii: toolkit.pii,
    tools: CLI_REPORTS,
    logger,
  })
  const actor = await actorFor(ctx, database, undefined)
  const outcome = await executor.call(report.name, input, { actor, via: 'cli' })
  const data = commandResult(report.command, report, actor, outcome)
  // Under a pilot the report covers its stores only: said on stderr, beside the output.
  const scope = (data as { scope?: { summary?: string } } | null)?.scope
  if (scope?.summary) process.stderr.write(`giftcards: pilot scope: ${scope.summary}\n`)
  return data as R
}

/** Opens the ledger, the services and the agent (with its checkpointer) for one command. */
export function withAgent<T>(
  ctx: CliContext,
  work: (agent: Agent, database: Database) => Promise<T>,
): Promise<T> {
  return withServices(ctx, async (services) => {
    const { agent } = await startAgent(services)
    try {
      return await work(agent, services.database)
    } finally {
      await agent.close()
    }
  })
}
