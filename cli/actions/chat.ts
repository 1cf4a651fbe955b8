import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { z } from 'zod'
import type { Agent } from '../../agent/index.ts'
import { describeError } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { type Actor, canDecideApprovals, listActors, resolveActor } from '../../governance/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { type CliIdentity, resolveCliActor } from '../identity.ts'
import { parseOptions } from '../options.ts'
import { actorFor, withAgent } from '../session.ts'

const chatOptions = z.object({ as: z.string().max(140).optional() })

/** Who may be who in one chat: the CLI's identity, and (npm start) the demo's own actors. */
export type ChatSession = { identity: CliIdentity; demoActors?: readonly string[] }

const HELP = [
  'Ask in your own words, e.g. "balance of card 4821", "liability by state", "fraud alerts this week",',
  '"explain alert 3", "hold gc_… because of card testing", "dormant cards over $50", "draft a campaign".',
  'Commands: /approve ID [reason]  /reject ID [reason]  /pending  /as ACTOR  /whoami  /new  /quit',
].join('\n')

/**
 * The terminal chat: one conversation thread with the agent. A write request shows its pending
 * approval; a manager can approve it here, and the thread reports the result. `/as ACTOR` is a
 * claim like `--as`: honoured for an admin, with GIFTCARDS_ALLOW_AS=1, or for the demo's actors
 * under `npm start`, and audited with the login (docs/identity.md).
 */
export async function runChat(
  agent: Agent,
  database: Database,
  startAs: Actor,
  session: ChatSession,
): Promise<void> {
  let actor = startAs
  let threadId = `cli:${randomUUID()}`
  const interactive = Boolean(process.stdin.isTTY)
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: interactive,
  })
  const prompt = () => {
    if (interactive) rl.prompt()
  }
  rl.setPrompt(`${actor.id}> `)
  console.log(
    `Signed in as ${actor.id} (${actor.role}); answering with ${agent.modelName}. /help for help.`,
  )
  prompt()
  for await (const raw of rl) {
    const line = raw.trim()
    if (line === '') {
      prompt()
      continue
    }
    try {
      const [command, ...rest] = line.split(/\s+/)
      if (command === '/quit' || command === '/exit') break
      if (command === '/help') console.log(HELP)
      else if (command === '/whoami') console.log(`${actor.id} (${actor.role})`)
      else if (command === '/new') {
        threadId = `cli:${randomUUID()}`
        console.log('New conversation.')
      } else if (command === '/as') {
        actor = await resolveCliActor(database, session.identity, rest[0], {
          flag: '/as',
          ...(session.demoActors ? { demoActors: session.demoActors } : {}),
        })
        rl.setPrompt(`${actor.id}> `)
        console.log(`Now acting as ${actor.id} (${actor.role}).`)
      } else if (command === '/pending') {
        const pending = await agent.toolkit.approvals.list({ status: 'pending' })
        console.log(
          pending.length === 0
            ? 'No pending approvals.'
            : pending
                .map((a) => `#${a.id} ${a.summary} (requested by ${a.requestedBy})`)
                .join('\n'),
        )
      } else if (command === '/approve' || command === '/reject') {
        const id = Number(rest[0])
        if (!Number.isInteger(id) || id <= 0) throw new Error(`usage: ${command} ID [reason]`)
        const { decision, turn } = await agent.decide(
          id,
          { actor, via: 'cli', threadId },
          command === '/approve' ? 'approve' : 'reject',
          rest.slice(1).join(' ') || undefined,
        )
        console.log(turn?.reply ?? decision.message)
      } else {
        const result = await agent.ask(line, { threadId, actor, via: 'cli' })
        console.log(result.reply)
        for (const p of result.pending)
          console.log(
            `  ⏳ approval #${p.approvalId} pending — a manager other than you decides it: ${await howToDecide(database, session, actor, p.approvalId)}`,
          )
      }
    } catch (err) {
      console.log(`! ${describeError(err)}`)
    }
    prompt()
  }
  rl.close()
}

/**
 * How the request gets decided, since the requester never decides their own: `/as` a manager
 * this chat may act as (the demo's, or anyone's for an admin or with GIFTCARDS_ALLOW_AS), else a
 * manager in Slack or at their own login, else first grant someone the role.
 */
async function howToDecide(
  database: Database,
  session: ChatSession,
  requester: Actor,
  approvalId: number,
): Promise<string> {
  const deciders = (await listActors(database)).filter(
    (a) => canDecideApprovals(a.role) && a.id !== requester.id,
  )
  if (deciders.length === 0)
    return `grant someone the manager role (giftcards roles grant), then they run giftcards approvals approve ${approvalId}`
  const login = await resolveActor(database, session.identity.login)
  const claimable = deciders.find(
    (d) =>
      d.id === login.id ||
      session.identity.allowAs ||
      login.role === 'admin' ||
      session.demoActors?.includes(d.id),
  )
  if (claimable) return `/as ${claimable.id}, then /approve ${approvalId}`
  return `in Slack, or with giftcards approvals approve ${approvalId} at a manager's own login (${deciders
    .slice(0, 3)
    .map((d) => d.id)
    .join(', ')})`
}

export async function runChatCommand(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(chatOptions, raw)
  const context = ctx()
  await withAgent(context, async (agent, database) =>
    runChat(agent, database, await actorFor(context, database, options.as), {
      identity: context.identity,
    }),
  )
}
