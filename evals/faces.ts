import type { BaseMessage } from '@langchain/core/messages'
import { chooseModel } from '../agent/index.ts'
import type { Ledger } from '../app/index.ts'
import { openAgent, type RunningServer, startServer } from '../app/index.ts'
import { type Config, GiftCardError } from '../core/index.ts'
import { type Actor, grantRole } from '../governance/index.ts'
import { type FakeSlack, slackRequestHeaders, startFakeSlack } from './slack-loopback.ts'

export type FaceTurn = {
  reply: string
  toolCalls: { name: string; args: Record<string, unknown> }[]
  pending: number[]
}

/** How the evals reach the agent: straight, or through a face people use. */
export interface Face {
  readonly name: string
  ask(text: string, thread: { threadId: string; actor: Actor }): Promise<FaceTurn>
  /** Decides an approval; throws when the actor may not. Returns what the person is told. */
  decide(
    approvalId: number,
    actor: Actor,
    decision: 'approve' | 'reject',
    threadId: string,
  ): Promise<string>
  close(): Promise<void>
}

type FaceOptions = {
  database: Ledger
  config: Config
  model: 'offline' | 'openai'
  inspect: (m: readonly BaseMessage[]) => void
}

const modelsFor = (config: Config, model: 'offline' | 'openai') =>
  model === 'openai'
    ? chooseModel(config)
    : chooseModel({ ...config, openai: { model: config.openai.model } })

/** The agent itself, as the terminal chat uses it. */
export async function agentFace(options: FaceOptions): Promise<Face> {
  const agent = await openAgent(options.database, options.config, {
    models: modelsFor(options.config, options.model),
    inspect: options.inspect,
  })
  return {
    name: 'agent',
    async ask(text, thread) {
      const r = await agent.ask(text, { ...thread, via: 'agent' })
      return { reply: r.reply, toolCalls: r.toolCalls, pending: r.pending.map((p) => p.approvalId) }
    },
    async decide(approvalId, actor, decision, threadId) {
      const { decision: d, turn } = await agent.decide(
        approvalId,
        { actor, via: 'agent', threadId },
        decision,
      )
      return turn?.reply ?? d.message
    },
    close: () => agent.close(),
  }
}

const SIGNING_SECRET = 'eval-signing-secret'
const BOT_TOKEN = 'xoxb-eval'

/**
 * The Slack face, end to end: `giftcards serve` with Slack on, Bolt's HTTP receiver, signed
 * mentions and button clicks, and a loopback Slack Web API that records what the app posts.
 * Each eval actor is a Slack user with the same role.
 */
export async function slackFace(options: FaceOptions): Promise<Face> {
  const slack: FakeSlack = await startFakeSlack(BOT_TOKEN)
  // The evals score the reply's text: they take it from the posted-then-updated answer (the
  // fallback where streaming is not offered), whose fallback text is the reply escaped for
  // mrkdwn. The streamed path is tested in test/slack.
  slack.streaming = false
  const users = new Map<string, string>()
  const slackUser = async (actor: Actor) => {
    let id = users.get(actor.id)
    if (!id) {
      id = `U${actor.id.replace(/[^a-z0-9]/gi, '').toUpperCase()}`
      users.set(actor.id, id)
      if (actor.role !== 'analyst') await grantRole(options.database, `slack:${id}`, actor.role)
    }
    return id
  }
  const config: Config = {
    ...options.config,
    slack: {
      ...options.config.slack,
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      apiUrl: slack.url,
      alertMinScore: 0.8,
      roleGroups: {},
    },
  }
  const server: RunningServer = await startServer(
    { database: options.database, config, listeners: [], inspect: options.inspect },
    { port: 0, host: '127.0.0.1' },
  )
  const signed = async (body: string, contentType: string) => {
    const res = await fetch(`${server.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        ...slackRequestHeaders(SIGNING_SECRET, body),
      },
      body,
    })
    if (res.status !== 200)
      throw new GiftCardError('INTERNAL', `Slack receiver answered ${res.status}`)
  }
  /** Waits until the app has said all it will for now (no new Web API call for a moment). */
  const settle = async (done: () => boolean, timeoutMs = 30_000) => {
    const started = Date.now()
    let count = -1
    let quietSince = Date.now()
    for (;;) {
      await new Promise((r) => setTimeout(r, 25))
      if (slack.calls.length !== count) {
        count = slack.calls.length
        quietSince = Date.now()
      }
      if (done() && Date.now() - quietSince > 150) return
      if (Date.now() - started > timeoutMs)
        throw new GiftCardError('INTERNAL', 'the Slack app did not answer in time')
    }
  }
  const threads = new Map<string, string>()
  let ts = 1_000_000
  const channel = 'CEVAL'
  return {
    name: 'slack',
    async ask(text, thread) {
      const user = await slackUser(thread.actor)
      const messageTs = `${++ts}.000100`
      const threadTs = threads.get(thread.threadId) ?? messageTs
      threads.set(thread.threadId, threadTs)
      const before = {
        calls: slack.calls.length,
        audit: await maxId(options.database, 'audit_log'),
        approvals: await maxId(options.database, 'approval_requests'),
      }
      await signed(
        JSON.stringify({
          team_id: 'T1',
          api_app_id: 'A1',
          type: 'event_callback',
          event_id: `Ev${messageTs}`,
          event_time: Math.floor(Date.now() / 1000),
          event: {
            type: 'app_mention',
            user,
            text: `<@UBOT> ${text}`,
            ts: messageTs,
            channel,
            event_ts: messageTs,
            ...(threadTs !== messageTs ? { thread_ts: threadTs } : {}),
          },
        }),
        'application/json',
      )
      const replyUpdate = () =>
        slack.calls
          .slice(before.calls)
          .find(
            (c) =>
              c.method === 'chat.update' &&
              c.args.channel === channel &&
              !String(c.args.text).startsWith('working…'),
          )
      await settle(() => replyUpdate() !== undefined)
      const calls = await options.database.db
        .selectFrom('audit_log')
        .select(['tool', 'input'])
        .where('id', '>', before.audit)
        .where('action', '=', 'tool_call')
        .where('actor', '=', `slack:${user}`)
        .orderBy('id')
        .execute()
      const pending = await options.database.db
        .selectFrom('approval_requests')
        .select('id')
        .where('id', '>', before.approvals)
        .where('status', '=', 'pending')
        .orderBy('id')
        .execute()
      return {
        reply: unescapeMrkdwn(String(replyUpdate()?.args.text ?? '')),
        toolCalls: calls.map((c) => ({
          name: String(c.tool),
          args: c.input ? (JSON.parse(c.input) as Record<string, unknown>) : {},
        })),
        pending: pending.map((p) => Number(p.id)),
      }
    },
    async decide(approvalId, actor, decision, threadId) {
      const user = await slackUser(actor)
      // Where the Slack face posted the card (its own table, slack_messages).
      const card = (await options.database.db
        .selectFrom('slack_messages')
        .select(['ts as slack_ts', 'channel as slack_channel'])
        .where('kind', '=', 'approval')
        .where('ref_id', '=', approvalId)
        .executeTakeFirst()) ?? { slack_ts: null, slack_channel: null }
      if (!card.slack_ts)
        throw new GiftCardError('INTERNAL', `approval #${approvalId} has no card in Slack`)
      const before = slack.calls.length
      const threadTs = threads.get(threadId)
      await signed(
        new URLSearchParams({
          payload: JSON.stringify({
            type: 'block_actions',
            user: { id: user },
            team: { id: 'T1' },
            channel: { id: card.slack_channel },
            container: {
              type: 'message',
              message_ts: card.slack_ts,
              channel_id: card.slack_channel,
            },
            message: {
              type: 'message',
              ts: card.slack_ts,
              ...(threadTs ? { thread_ts: threadTs } : {}),
              text: '',
            },
            trigger_id: 't',
            actions: [
              {
                action_id: decision === 'approve' ? 'approval_approve' : 'approval_reject',
                block_id: 'b',
                value: String(approvalId),
                type: 'button',
                action_ts: '1',
              },
            ],
          }),
        }).toString(),
        'application/x-www-form-urlencoded',
      )
      const said = () =>
        slack.calls
          .slice(before)
          .filter(
            (c) =>
              c.method === 'chat.postEphemeral' ||
              (c.method === 'chat.postMessage' && c.args.thread_ts === threadTs) ||
              c.method === 'chat.update',
          )
      await settle(() => said().length > 0)
      const ephemeral = said().find((c) => c.method === 'chat.postEphemeral')
      if (ephemeral && String(ephemeral.args.text).includes('only a manager'))
        throw new GiftCardError('FORBIDDEN', String(ephemeral.args.text))
      const told = said()
        .filter((c) => c.method === 'chat.postMessage')
        .map((c) => String(c.args.text))
      return unescapeMrkdwn(told.join('\n') || String(ephemeral?.args.text ?? ''))
    },
    async close() {
      await server.close()
      await slack.close()
    },
  }
}

/** The text the Slack face escaped for mrkdwn (docs/slack.md), as the agent wrote it. */
function unescapeMrkdwn(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')
}

/** The newest id of a table (0 when empty): what a scenario's changes are counted from. */
export async function maxId(
  database: Ledger,
  table: 'audit_log' | 'approval_requests' | 'card_holds' | 'campaigns',
): Promise<number> {
  return Number(
    (
      await database.db
        .selectFrom(table)
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow()
    ).id ?? 0,
  )
}
