import type { z } from 'zod'
import type { Config } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import type {
  Actor,
  ApprovalExecutor,
  ApprovalService,
  PosRouter,
  Pseudonymiser,
  Role,
  Scope,
  Via,
} from '../governance/index.ts'
import type { pendingApprovalSchema } from './result-schemas.ts'

/** What a tool runs with: the ledger, the configuration and who is asking, through which face. */
export type ToolContext = {
  database: Database
  config: Config
  actor: Actor
  via: Via
  approvals: ApprovalService
  pii: Pseudonymiser
  /**
   * The pilot scope of this call (docs/pilot.md), resolved by the executor: a scoped tool keeps
   * every query to its stores; `Scope.CHAIN` (no pilot) filters nothing.
   */
  scope: Scope
  /**
   * The POS connectors approved holds run with, when the toolkit was given its own (tests);
   * otherwise `createPosRouter(config)`. A hold's request says from them whether it will be
   * enforced at the POS.
   */
  pos?: PosRouter
  /** Set when the caller can show progress (an MCP client that sent a progressToken). */
  progress?: ProgressReporter
}

/**
 * How a tool keeps to a pilot (docs/pilot.md): `'scoped'` when its queries filter by
 * `ctx.scope` (cards by issuing store, events by their store) and it refuses arguments naming
 * stores, jurisdictions, cards or alerts outside it; `{ unscoped }` when it answers for the whole
 * chain, with the reason (the answer says it). Every tool declares one (test/tools/pilot-every-tool).
 */
export type PilotRule = 'scoped' | { unscoped: string }

/** What the approval service needs to carry out an approved write. */
export type ExecutorDeps = { config: Config; pos: PosRouter }

/** A write tool's request: what a manager reads before deciding, and the arguments it will run with. */
export type ApprovalPlan = {
  args: Record<string, unknown>
  summary: string
  reason: string | null
  /** Card, balance, alert evidence…: shown on the approval card. */
  details: Record<string, unknown>
}

/**
 * How a long tool reports how far it has got (MCP progress notifications, docs/mcp.md
 * "Progress"): `progress` rises with each call, `total` when the tool knows it, and a few words
 * on the step. A face that cannot show progress passes nothing; a tool calls `ctx.progress?.(…)`.
 */
export type ProgressReporter = (
  progress: number,
  total: number | undefined,
  message: string,
) => void

type Common<S extends z.ZodObject, O extends z.ZodObject> = {
  /** snake_case: the name the model sees. */
  name: string
  title: string
  /** Written for the model: when to use it and what it returns. */
  description: string
  input: S
  /**
   * The shape of its result (docs/tools.md "Typed results"): `run` must return it (a renamed
   * field is a type error here and in every reader), MCP publishes it as the tool's
   * `outputSchema`, and test/tools/output-schemas.test.ts parses every tool's real result with it.
   * A write tool's is `pendingApprovalSchema`: what the executor answers for it.
   */
  output: O
  /** Who may call it. Admins may call everything; anyone else not listed is refused. */
  roles: readonly Role[]
  /**
   * A read that keeps a record as it goes (a draft, a logged prompt, stored alerts): `true`;
   * `'on_request'` when it keeps one only if an argument asks (forecast_breakage's `save`).
   * Either way MCP clients are told it is not read-only.
   */
  records?: boolean | 'on_request'
  /** How it keeps to a pilot (PILOT_LOCATIONS / PILOT_JURISDICTIONS). */
  pilot: PilotRule
}

/** Reads: run at once. */
export type ReadTool<
  S extends z.ZodObject = z.ZodObject,
  O extends z.ZodObject = z.ZodObject,
> = Common<S, O> & {
  access: 'read'
  run(ctx: ToolContext, input: z.infer<S>): Promise<z.infer<O>>
}

/** A direct, audited change that needs no approval (alert triage). */
export type DirectTool<
  S extends z.ZodObject = z.ZodObject,
  O extends z.ZodObject = z.ZodObject,
> = Common<S, O> & {
  access: 'direct'
  run(ctx: ToolContext, input: z.infer<S>): Promise<z.infer<O>>
}

/** Writes: never act; they file an approval request, and the approval service executes them. */
export type WriteTool<
  S extends z.ZodObject = z.ZodObject,
  O extends z.ZodObject = typeof pendingApprovalSchema,
> = Common<S, O> & {
  access: 'write'
  plan(ctx: ToolContext, input: z.infer<S>): Promise<ApprovalPlan>
  executor(deps: ExecutorDeps): ApprovalExecutor
}

export type Tool<S extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> =
  | ReadTool<S, O>
  | DirectTool<S, O>
  | WriteTool<S, O>
// biome-ignore lint/suspicious/noExplicitAny: the registry holds tools of every input and output type
export type AnyTool = Tool<any, any>

/** What a tool answers (before the executor adds a pilot `scope`): the output schema's type. */
export type ResultOf<T extends { output: z.ZodObject }> = z.infer<T['output']>

/**
 * Identity with inference: `run`'s input type comes from the input schema and its return type
 * from the output schema, never `any`. The name keeps its literal type, so readers refer to a
 * tool as `getGiftCard.name`, not as a string that may drift.
 */
export function defineTool<N extends string, S extends z.ZodObject, O extends z.ZodObject>(
  tool: ReadTool<S, O> & { name: N },
): ReadTool<S, O> & { name: N }
export function defineTool<N extends string, S extends z.ZodObject, O extends z.ZodObject>(
  tool: DirectTool<S, O> & { name: N },
): DirectTool<S, O> & { name: N }
export function defineTool<N extends string, S extends z.ZodObject, O extends z.ZodObject>(
  tool: WriteTool<S, O> & { name: N },
): WriteTool<S, O> & { name: N }
export function defineTool<S extends z.ZodObject, O extends z.ZodObject>(
  tool: Tool<S, O>,
): Tool<S, O> {
  return tool
}

/** Everyone who reads the ledger. */
export const ALL_ROLES: readonly Role[] = ['analyst', 'loss_prevention', 'manager']
/** Loss prevention's tools, which managers share. */
export const LOSS_PREVENTION: readonly Role[] = ['loss_prevention', 'manager']
