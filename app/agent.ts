import type { BaseMessage } from '@langchain/core/messages'
import { Agent, type AgentParts, type ModelChoice } from '../agent/index.ts'
import type { Config, Logger } from '../core/index.ts'
import { createCheckpointer, type Database } from '../db/index.ts'
import { createToolkit, loadChainVocabulary, type Toolkit } from '../tools/index.ts'

/** What a caller of openAgent may bring instead of the defaults. */
export type OpenAgentOptions = {
  /** The toolkit the agent calls (one over `database` and `config` when not given). */
  toolkit?: Toolkit
  models?: ModelChoice
  logger?: Logger
  /** Sees every message list a model is shown. */
  inspect?: (messages: readonly BaseMessage[]) => void
  /** Who runs every turn, whatever the client says (LangGraph Studio, app/studio.ts). */
  resolveRun?: AgentParts['resolveRun']
}

/**
 * The agent over one open ledger: its toolkit, its checkpointer beside the ledger
 * (db/checkpointer.ts), and the planner reading the chain's stores from it. Closing the agent
 * closes the checkpointer; the caller closes the database.
 */
export async function openAgent(
  database: Database,
  config: Config,
  options: OpenAgentOptions = {},
): Promise<Agent> {
  const { logger } = options
  const toolkit = options.toolkit ?? createToolkit(database, config, logger ? { logger } : {})
  const checkpointer = await createCheckpointer(database)
  try {
    return await Agent.create({
      toolkit,
      checkpointer,
      config,
      readVocabulary: () => loadChainVocabulary(database, config),
      ...(options.models ? { models: options.models } : {}),
      ...(logger ? { logger } : {}),
      ...(options.inspect ? { inspect: options.inspect } : {}),
      ...(options.resolveRun ? { resolveRun: options.resolveRun } : {}),
    })
  } catch (err) {
    await checkpointer.close()
    throw err
  }
}
