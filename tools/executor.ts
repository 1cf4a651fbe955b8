import type { z } from 'zod'
import {
  type Config,
  createLogger,
  type ErrorCode,
  GiftCardError,
  isGiftCardError,
  type Logger,
} from '../core/index.ts'
import { type Database, ledgerWatermark } from '../db/index.ts'
import {
  type Actor,
  type Approval,
  type ApprovalService,
  appendAudit,
  type PosRouter,
  type Pseudonymiser,
  type Role,
  Scope,
  type Via,
} from '../governance/index.ts'
import type { AnyTool, ProgressReporter, ToolContext } from './define-tool.ts'
import { boundedInput } from './format.ts'
import type { PendingApproval } from './result-schemas.ts'

export type CallOptions = {
  actor: Actor
  via: Via
  /** The model that chose the call (`offline-planner`, `gpt-4o-mini`…), for the audit. */
  model?: string | null
  /** Where a long tool reports its progress (an MCP client that sent a progressToken). */
  progress?: ProgressReporter
}

export type ToolOutcome =
  | { ok: true; tool: string; data: unknown; approval?: Approval }
  | { ok: false; tool: string; error: { code: ErrorCode; message: string } }

/** Admins may use every tool; anyone else only the tools that list their role. */
export function mayUse(role: Role, tool: AnyTool): boolean {
  return role === 'admin' || tool.roles.includes(role)
}

/** zod's issues as one line naming each field: `limit: Too big: expected number to be <=100`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'input'}: ${i.message}`)
    .join('; ')
}

/**
 * What an audit row records of a call's input: pseudonymised like a result (an email or a phone
 * number in a reason becomes its token, every other word stays verbatim), and cut to
 * `MAX_AUDIT_INPUT_CHARS` of JSON with a truncation marker (docs/privacy.md).
 */
export function auditedInput(pii: Pseudonymiser, input: unknown): unknown {
  return boundedInput(JSON.stringify(pii.scrub(input ?? {})) ?? 'null')
}

/**
 * A result with the pilot scope it was answered in (docs/pilot.md): `scope` beside the tool's
 * own fields, saying whether this tool's answer is limited to the pilot. No pilot: unchanged.
 */
export function withScope(data: unknown, scope: Scope, tool: AnyTool): unknown {
  if (!scope.pilot) return data
  const summary = scope.summary(typeof tool.pilot === 'object' ? tool.pilot.unscoped : undefined)
  if (data !== null && typeof data === 'object' && !Array.isArray(data))
    return { ...data, scope: summary }
  return { result: data, scope: summary }
}

/**
 * The one place a tool runs. It finds the tool (unknown → refused), checks the actor's role
 * (deny by default), validates the input with the tool's zod schema, resolves the pilot scope
 * (docs/pilot.md) the tool must keep to, runs a read at once or
 * files a write as an approval request, pseudonymises the result, and writes one audit row —
 * for refusals and failures too. Errors come back as `{ code, message }`, never a stack trace;
 * an unexpected one is logged with its stack (to stderr unless a logger is given: the CLI and
 * the MCP stdio server keep stdout for their output).
 */
export class ToolExecutor {
  constructor(
    private readonly deps: {
      database: Database
      config: Config
      approvals: ApprovalService
      pii: Pseudonymiser
      tools: readonly AnyTool[]
      logger?: Logger
      /** The POS connectors the approvals execute with (default: from the configuration). */
      pos?: PosRouter
    },
  ) {}

  #logger: Logger | undefined
  /** The configured pilot names already warned about as matching no store. */
  #warnedUnknown = ''

  /** The logger given, or one to stderr, made the first time an error needs it. */
  get #log(): Logger {
    this.#logger ??= this.deps.logger ?? createLogger(this.deps.config.logLevel)
    return this.#logger
  }

  get tools(): readonly AnyTool[] {
    return this.deps.tools
  }

  /**
   * This executor with more tools beside its own: the same ledger, approvals, pseudonymiser and
   * audit. A face's own tools (the MCP approval app's, mcp-server/approval-app/) run through it
   * like every registry tool, without being offered to the agent.
   */
  including(tools: readonly AnyTool[]): ToolExecutor {
    return new ToolExecutor({ ...this.deps, tools: [...this.deps.tools, ...tools] })
  }

  /** The tools this role may call (what a model is offered). */
  visibleTo(role: Role): AnyTool[] {
    return this.deps.tools.filter((t) => mayUse(role, t))
  }

  async call(name: string, rawInput: unknown, options: CallOptions): Promise<ToolOutcome> {
    const { actor } = options
    const tool = this.deps.tools.find((t) => t.name === name)
    let outcome: ToolOutcome
    let approvalId: number | null = null
    try {
      if (!tool)
        throw new GiftCardError(
          'NOT_FOUND',
          `there is no tool named ${JSON.stringify(name.slice(0, 80))}`,
        )
      if (!mayUse(actor.role, tool))
        throw new GiftCardError(
          'FORBIDDEN',
          `${actor.id} (${actor.role}) may not use ${name}; it needs one of: ${tool.roles.join(', ')}`,
        )
      const parsed = tool.input.safeParse(rawInput ?? {})
      if (!parsed.success)
        throw new GiftCardError(
          'INVALID_INPUT',
          `invalid input for ${name}: ${describeIssues(parsed.error)}`,
        )
      const scope = await this.#scope(tool)
      const ctx: ToolContext = {
        database: this.deps.database,
        config: this.deps.config,
        actor,
        via: options.via,
        approvals: this.deps.approvals,
        pii: this.deps.pii,
        scope,
        ...(this.deps.pos ? { pos: this.deps.pos } : {}),
        ...(options.progress ? { progress: options.progress } : {}),
      }
      if (tool.access === 'write') {
        const plan = await tool.plan(ctx, parsed.data)
        const approval = await this.deps.approvals.request({
          action: tool.name,
          args: plan.args,
          summary: plan.summary,
          reason: plan.reason,
          details: plan.details,
          actor,
          via: options.via,
          model: options.model ?? null,
        })
        approvalId = approval.id
        const pending: PendingApproval = {
          status: 'pending_approval',
          approvalId: approval.id,
          action: tool.name,
          summary: plan.summary,
          details: plan.details,
          expiresAt: approval.expiresAt,
          approvers: approval.approvers,
        }
        outcome = {
          ok: true,
          tool: name,
          data: this.deps.pii.scrub(withScope(pending, scope, tool)),
          approval,
        }
      } else {
        const data = await tool.run(ctx, parsed.data)
        outcome = { ok: true, tool: name, data: this.deps.pii.scrub(withScope(data, scope, tool)) }
      }
    } catch (err) {
      outcome = { ok: false, tool: name, error: this.#toError(err, name) }
    }
    await this.#audit(name, rawInput, options, outcome, approvalId)
    return outcome
  }

  /**
   * The pilot scope of a call, resolved now (a store opened since is seen). Under a pilot a tool
   * that declares no rule is refused: a new tool cannot forget it (docs/pilot.md). Configured
   * names matching no store are logged once.
   */
  async #scope(tool: AnyTool): Promise<Scope> {
    const scope = await Scope.resolve(this.deps.database, this.deps.config.pilot)
    if (!scope.pilot) return scope
    const rule: unknown = tool.pilot
    if (rule !== 'scoped' && !(typeof rule === 'object' && rule !== null && 'unscoped' in rule))
      throw new GiftCardError(
        'FORBIDDEN',
        `${tool.name} does not declare how it keeps to the pilot, so it is refused while a pilot is on`,
      )
    const unknown = scope.unknown.join(',')
    if (unknown && unknown !== this.#warnedUnknown) {
      this.#warnedUnknown = unknown
      this.#log.warn(
        { unknown: scope.unknown },
        `PILOT_LOCATIONS / PILOT_JURISDICTIONS name ${unknown}, which match no store; they are ignored`,
      )
    }
    return scope
  }

  #toError(err: unknown, name: string): { code: ErrorCode; message: string } {
    if (isGiftCardError(err))
      return { code: err.code, message: this.deps.pii.scrubText(err.message) }
    this.#log.error({ err, tool: name }, 'tool failed unexpectedly')
    return {
      code: 'INTERNAL',
      message: `${name} failed unexpectedly; the error is in the server log`,
    }
  }

  async #audit(
    name: string,
    input: unknown,
    options: CallOptions,
    outcome: ToolOutcome,
    approvalId: number | null,
  ): Promise<void> {
    const summary = outcome.ok
      ? `ok: ${JSON.stringify(outcome.data).slice(0, 300)}`
      : `${outcome.error.code}: ${outcome.error.message}`
    await appendAudit(this.deps.database, {
      actor: options.actor.id,
      role: options.actor.role,
      via: options.via,
      action: 'tool_call',
      tool: name,
      input: auditedInput(this.deps.pii, input),
      resultSummary: summary,
      approvalId,
      model: options.model ?? null,
      dataWatermark: await ledgerWatermark(this.deps.database.db),
    })
  }
}
