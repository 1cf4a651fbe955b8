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

type Common<S extends z.ZodObject> = {
  /** snake_case: the name the model sees. */
  name: string
  title: string
  /** Written for the model: when to use it and what it returns. */
  description: string
  input: S
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
export type ReadTool<S extends z.ZodObject = z.ZodObject> = Common<S> & {
  access: 'read'
  run(ctx: ToolContext, input: z.infer<S>): Promise<unknown>
}

/** A direct, audited change that needs no approval (alert triage). */
export type DirectTool<S extends z.ZodObject = z.ZodObject> = Common<S> & {
  access: 'direct'
  run(ctx: ToolContext, input: z.infer<S>): Promise<unknown>
}

/** Writes: never act; they file an approval request, and the approval service executes them. */
export type WriteTool<S extends z.ZodObject = z.ZodObject> = Common<S> & {
  access: 'write'
  plan(ctx: ToolContext, input: z.infer<S>): Promise<ApprovalPlan>
  executor(deps: ExecutorDeps): ApprovalExecutor
}

export type Tool<S extends z.ZodObject = z.ZodObject> = ReadTool<S> | DirectTool<S> | WriteTool<S>
// biome-ignore lint/suspicious/noExplicitAny: the registry holds tools of every input type
export type AnyTool = Tool<any>

/** Identity with inference: `run`'s input type comes from the zod schema, never `any`. */
export function defineTool<S extends z.ZodObject>(tool: ReadTool<S>): ReadTool<S>
export function defineTool<S extends z.ZodObject>(tool: DirectTool<S>): DirectTool<S>
export function defineTool<S extends z.ZodObject>(tool: WriteTool<S>): WriteTool<S>
export function defineTool<S extends z.ZodObject>(tool: Tool<S>): Tool<S> {
  return tool
}

/** Everyone who reads the ledger. */
export const ALL_ROLES: readonly Role[] = ['analyst', 'loss_prevention', 'manager']
/** Loss prevention's tools, which managers share. */
export const LOSS_PREVENTION: readonly Role[] = ['loss_prevention', 'manager']
