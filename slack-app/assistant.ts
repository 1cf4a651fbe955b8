import { Assistant } from '@slack/bolt'
import { describeError } from '../core/index.ts'
import type { Role } from '../governance/index.ts'
import type { Conversations } from './conversations.ts'
import type { Face } from './face.ts'

/** A prompt Slack offers at the start of an assistant thread: its title and the message it sends. */
type Prompt = { title: string; message: string }

/**
 * Suggested prompts per role (at most four, as Slack shows them): each is something that role
 * may ask and the executor answers for it; a manager is offered the approval queue.
 */
export const SUGGESTED_PROMPTS: Record<Role, Prompt[]> = {
  analyst: [
    { title: 'Liability by state', message: 'liability by state' },
    { title: 'Breakage forecast', message: 'forecast breakage for the next 12 months' },
    { title: 'Dormant cards', message: 'dormant cards with a balance' },
  ],
  loss_prevention: [
    { title: 'Fraud alerts', message: 'any fraud alerts in the last 30 days?' },
    { title: 'Explain the top alert', message: 'explain the top fraud alert' },
    { title: 'Holds in place', message: 'which cards are on hold?' },
  ],
  manager: [
    { title: 'Pending approvals', message: 'pending approvals' },
    { title: 'Fraud alerts', message: 'any fraud alerts in the last 30 days?' },
    { title: 'Liability by state', message: 'liability by state' },
  ],
  admin: [
    { title: 'Pending approvals', message: 'pending approvals' },
    { title: 'Audit log', message: 'show the audit log for today' },
    { title: 'Liability by state', message: 'liability by state' },
  ],
}

/** Titles are remembered for this many threads (a restart may title a thread again: harmless). */
const TITLED_THREADS = 10_000

/**
 * Slack's AI app flow through Bolt's `Assistant` (docs/slack.md#assistant,
 * https://docs.slack.dev/tools/bolt-js/concepts/ai-apps): a new assistant thread gets the
 * suggested prompts of the user's role (`assistant.threads.setSuggestedPrompts`); a message in
 * it titles the thread after the first question (`assistant.threads.setTitle`), and the
 * thread's status says what the agent is doing while it works (`assistant.threads.setStatus`),
 * tool call by tool call, until the streamed answer replaces it.
 */
export function assistantFlow(face: Face, chat: Conversations): void {
  const titled = new Set<string>()
  const assistant = new Assistant({
    threadStarted: async ({ event, client, setSuggestedPrompts }) => {
      const actor = await face.actorOf(client, event.assistant_thread.user_id)
      await setSuggestedPrompts({
        title: 'Ask about the gift card ledger',
        prompts: SUGGESTED_PROMPTS[actor.role],
      })
    },
    userMessage: async ({ message, body, client, setTitle, setStatus }) => {
      const m = message as {
        subtype?: string
        bot_id?: string
        user?: string
        text?: string
        channel: string
        ts: string
        thread_ts?: string
      }
      if (m.subtype || m.bot_id || !m.user || !m.thread_ts) return
      const envelope = body as { event_id: string; team_id: string }
      if (!(await chat.claim(envelope.event_id, body))) return
      const text = (m.text ?? '').slice(0, 4000)
      const key = `${m.channel}:${m.thread_ts}`
      if (!titled.has(key)) {
        if (titled.size >= TITLED_THREADS) titled.clear()
        titled.add(key)
        await setTitle(text.replace(/\s+/g, ' ').trim().slice(0, 80) || 'Gift card question').catch(
          (err) =>
            face.deps.logger?.warn({ err: describeError(err) }, 'could not title the thread'),
        )
      }
      // A DM thread that is not an assistant container refuses a status: the answer still comes.
      const status: (text: string) => Promise<unknown> = (text) =>
        setStatus(text).catch(() => undefined)
      await status('is reading your question…')
      await chat.converse(
        client,
        {
          teamId: envelope.team_id,
          channel: m.channel,
          user: m.user,
          text,
          ts: m.ts,
          threadTs: m.thread_ts,
        },
        status,
      )
    },
  })
  face.app.assistant(assistant)
}
