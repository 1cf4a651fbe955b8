import type { Config, Logger } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import {
  type ApprovalExecutor,
  ApprovalService,
  createPosRouter,
  type PosRouter,
  Pseudonymiser,
} from '../governance/index.ts'
import { ToolExecutor } from './executor.ts'
import { TOOLS } from './registry.ts'

export type Toolkit = {
  executor: ToolExecutor
  approvals: ApprovalService
  pii: Pseudonymiser
  pos: PosRouter
}

/**
 * Wires the tools to one ledger: the approval service learns how to execute each write tool,
 * and the executor runs every call. Every face (agent, MCP, Slack, CLI) starts from this.
 */
export function createToolkit(
  database: Database,
  config: Config,
  options: { pos?: PosRouter; now?: () => number; logger?: Logger } = {},
): Toolkit {
  const pos = options.pos ?? createPosRouter(config)
  const executors: Record<string, ApprovalExecutor> = {}
  for (const tool of TOOLS)
    if (tool.access === 'write') executors[tool.name] = tool.executor({ config, pos })
  const pii = new Pseudonymiser(config.piiTokenKey)
  const approvals = new ApprovalService(database, {
    executors,
    ttlHours: config.approvals.ttlHours,
    ...(options.now ? { now: options.now } : {}),
    redact: (value) => pii.scrub(value),
  })
  const executor = new ToolExecutor({
    database,
    config,
    approvals,
    pii,
    tools: TOOLS,
    pos,
    ...(options.logger ? { logger: options.logger } : {}),
  })
  return { executor, approvals, pii, pos }
}
