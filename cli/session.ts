import { userInfo } from 'node:os'
import { Agent } from '../agent/index.ts'
import { GiftCardError } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { type Actor, actorIdSchema, resolveActor } from '../governance/index.ts'
import { createToolkit, type Toolkit } from '../tools/index.ts'
import { type CliContext, withDatabase } from './context.ts'

/** Who runs a command without `--as`: GIFTCARDS_ACTOR, else `cli:<login name>`. */
export function defaultActorId(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GIFTCARDS_ACTOR) return env.GIFTCARDS_ACTOR
  let name = 'local'
  try {
    name = userInfo().username || 'local'
  } catch {
    // No user database entry (some containers): stay `cli:local`.
  }
  return `cli:${name.replace(/\s+/g, '_')}`
}

/** The actor behind `--as` (or the default), with the role the roles table gives them. */
export async function actorFor(database: Database, id: string | undefined): Promise<Actor> {
  const actorId = id ?? defaultActorId()
  const parsed = actorIdSchema.safeParse(actorId)
  if (!parsed.success)
    throw new GiftCardError(
      'INVALID_INPUT',
      `--as ${JSON.stringify(actorId)} ${parsed.error.issues[0]?.message}`,
    )
  return resolveActor(database, actorId)
}

/** Opens the ledger and the toolkit over it for one command. */
export function withToolkit<T>(
  ctx: CliContext,
  work: (toolkit: Toolkit, database: Database) => Promise<T>,
): Promise<T> {
  return withDatabase(ctx, (database) => work(createToolkit(database, ctx.config), database))
}

/** Opens the ledger and the agent (with its checkpointer) for one command. */
export function withAgent<T>(
  ctx: CliContext,
  work: (agent: Agent, database: Database) => Promise<T>,
): Promise<T> {
  return withDatabase(ctx, async (database) => {
    const agent = await Agent.open(database, ctx.config)
    try {
      return await work(agent, database)
    } finally {
      await agent.close()
    }
  })
}
