import { userInfo } from 'node:os'
import type { LangGraphRunnableConfig } from '@langchain/langgraph'
import type { Agent, AgentGraph } from '../agent/index.ts'
import { type Config, loadConfig } from '../core/index.ts'
import { type Database, ledgerCounts } from '../db/index.ts'
import { grantRole, resolveActor } from '../governance/index.ts'
import { openAgent } from './agent.ts'
import { makeDemoChain } from './demo-chain.ts'
import { openLedger } from './ledger.ts'

/**
 * LangGraph Studio's entry (docs/agent.md#langgraph-studio). `langgraph.json` names
 * `./app/studio.ts:graph`; `npx @langchain/langgraph-cli dev` imports this module and, since the
 * export is a function, calls it for each run with the run's config (the CLI's `resolveGraph`
 * and `getGraph`, libs/langgraph-api/src/graph/load.utils.mts and load.mts), then puts its own
 * checkpointer and store on the compiled graph it gets back.
 *
 * The first call opens the ledger of the environment (DATABASE_URL, as `giftcards start`),
 * makes the demo chain there if it holds no card (DEMO_CARDS cards, the login made loss
 * prevention, as `npm start` does) and builds the agent over it with the model the
 * configuration chooses (the offline planner when OPENAI_* is unset). Later calls reuse it.
 *
 * Who runs a Studio turn is never taken from the client: every run is `studio:<login>` (the
 * account running the dev server) with the role the actors table gives it. An approval a turn
 * files pauses the thread with an Agent Inbox interrupt; accepting or responding there decides
 * through the approval service as that actor, so the four-eyes rule holds (the requester cannot
 * approve their own request: a manager decides on another face, and accepting then reports it).
 */
export function studioActorId(): string {
  let name = 'local'
  try {
    name = userInfo().username || 'local'
  } catch {
    // No user database entry (some containers): `studio:local`.
  }
  return `studio:${name.replace(/\s+/g, '_')}`
}

/**
 * The agent as Studio runs it over an open ledger, as `actorId` (its role read at every turn,
 * so a grant or revoke applies to the next one).
 */
export async function openStudioAgent(
  database: Database,
  config: Config,
  actorId: string = studioActorId(),
): Promise<Agent> {
  return openAgent(database, config, {
    resolveRun: async () => ({ actor: await resolveActor(database, actorId), via: 'agent' }),
  })
}

/** Opens the ledger and, on an empty one, makes the demo chain with the login as loss prevention. */
async function openStudioLedger(config: Config, actorId: string): Promise<Database> {
  const database = await openLedger(config)
  if ((await ledgerCounts(database.db)).cards === 0) {
    await makeDemoChain(database, config.demoCards)
    await grantRole(database, actorId, 'loss_prevention')
  }
  return database
}

let opened: Promise<Agent> | undefined

/** The export langgraph.json names: the compiled agent graph, built once per process. */
export async function graph(_config?: LangGraphRunnableConfig): Promise<AgentGraph> {
  opened ??= (async () => {
    const config = loadConfig()
    const actorId = studioActorId()
    return openStudioAgent(await openStudioLedger(config, actorId), config, actorId)
  })()
  // A failed start is not cached: the next run tries again.
  opened.catch(() => {
    opened = undefined
  })
  return (await opened).compiledGraph
}
