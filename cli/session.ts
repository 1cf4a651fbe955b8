import type { Agent } from '../agent/index.ts'
import { createServices, type Services, startAgent } from '../app/index.ts'
import { GiftCardError } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import type { Actor } from '../governance/index.ts'
import { ToolExecutor, type Toolkit } from '../tools/index.ts'
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
  if (!outcome.ok) throw new GiftCardError(outcome.error.code, outcome.error.message)
  // Under a pilot the report covers its stores only: said on stderr, beside the output.
  const scope = (outcome.data as { scope?: { summary?: string } } | null)?.scope
  if (scope?.summary) process.stderr.write(`giftcards: pilot scope: ${scope.summary}\n`)
  return outcome.data as R
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
