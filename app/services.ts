import type { Agent } from '../agent/index.ts'
import { type Config, createLogger, type Logger } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import type { ApprovalService } from '../governance/index.ts'
import { createToolkit, type Toolkit } from '../tools/index.ts'
import { type OpenAgentOptions, openAgent } from './agent.ts'

/**
 * What every face starts from, made once per process: the open ledger, the configuration, the
 * logger (stderr), and the toolkit over them (executor, approvals, pseudonymiser, POS
 * connector). Faces receive these; they never open a database themselves (docs/architecture.md
 * §1.0).
 */
export type Services = {
  database: Database
  config: Config
  logger: Logger
  toolkit: Toolkit
  /** The toolkit's approval service, named for the faces that decide and resume approvals. */
  approvals: ApprovalService
}

/** Services with the agent (and its checkpointer beside the ledger), for the faces that chat. */
export type AgentServices = Services & { agent: Agent }

/**
 * The services over an open ledger. The logger defaults to one at LOG_LEVEL; a toolkit given
 * is used as it is (tests pass one with their own POS connector or clock).
 */
export function createServices(
  database: Database,
  config: Config,
  options: { logger?: Logger; toolkit?: Toolkit } = {},
): Services {
  const logger = options.logger ?? createLogger(config.logLevel)
  const toolkit = options.toolkit ?? createToolkit(database, config, { logger })
  return { database, config, logger, toolkit, approvals: toolkit.approvals }
}

/**
 * Adds the agent to `services`, over their toolkit and logger; its checkpointer is chosen by db/
 * beside the ledger. Close the agent (which closes the checkpointer) before the ledger.
 */
export async function startAgent(
  services: Services,
  options: Pick<OpenAgentOptions, 'models' | 'inspect'> = {},
): Promise<AgentServices> {
  const agent = await openAgent(services.database, services.config, {
    ...options,
    toolkit: services.toolkit,
    logger: services.logger,
  })
  return { ...services, agent }
}
