import { z } from 'zod'
import type { Role } from '../../governance/index.ts'
import { type ReadTool, type ToolContext, toolByName } from '../../tools/index.ts'

/** A report's input: a zod object whose fields are the command's flags (camelCase). */
export type ReportInput = z.ZodObject

/** A read tool whose result type is known, so the command renders it without casts. */
export type Report<S extends ReportInput, R> = Omit<ReadTool<S>, 'run'> & {
  /** The command a person types (`giftcards journal`): what a refusal names, not the tool. */
  command: string
  run(ctx: ToolContext, input: z.infer<S>): Promise<R>
}

/**
 * A report's `output`: its command renders the result and no model or MCP client is offered it,
 * so its type is the `run` function's, not a published schema (registry tools have one each).
 */
const REPORT_OUTPUT = z.looseObject({})

/**
 * One of the CLI's reports (`giftcards liability`, `dormant`, `fraud alerts`…): a read tool of the
 * CLI face only, run through the same ToolExecutor as every tool (roles, validation, pseudonyms,
 * one audit row, via `cli`) but never offered to a model. Its input fields are the command's
 * flags, so `parseOptions(report.input, flags)` names a bad flag, and its roles are those of the
 * registry tool that answers the same question (tools/registry.ts).
 */
export function defineReport<S extends ReportInput, R>(
  report: Omit<ReadTool<S>, 'access' | 'run' | 'output'> & {
    command: string
    run(ctx: ToolContext, input: z.infer<S>): Promise<R>
  },
): Report<S, R> {
  return { ...report, output: REPORT_OUTPUT, access: 'read' }
}

/**
 * The roles of a registry tool, so a report never grants more than the tool the agent and MCP
 * use for the same question. Throws at start-up if the tool is gone (a renamed tool must not
 * leave a report open to everyone).
 */
export function rolesOf(toolName: string): readonly Role[] {
  const tool = toolByName(toolName)
  if (!tool) throw new Error(`cli/reports: no registry tool named ${toolName}`)
  return tool.roles
}
