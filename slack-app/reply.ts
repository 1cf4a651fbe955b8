import type { TaskUpdateChunk } from '@slack/types'
import type { WebClient } from '@slack/web-api'
import { describeError, type Logger } from '../core/index.ts'
import { fallbackText, type KnownBlock, replyBlocks } from './blocks.ts'

/** Where an answer goes: the thread, and the person it is for (streaming in a channel needs them). */
export type ReplyTarget = { channel: string; threadTs: string; userId: string; teamId: string }

/** What the work behind an answer tells the person while it runs. */
export type ReplyProgress = {
  /** A step began (one per tool call): `label` is our own text, never data. */
  started(id: string, label: string): void
  finished(id: string, ok: boolean): void
}

/** The answer: its text, escaped into blocks here, and an optional way to add to it once posted. */
export type Answer = {
  text: string
  after?: (posted: { channel: string; ts: string }) => Promise<void>
}

const task = (id: string, title: string, status: TaskUpdateChunk['status']): TaskUpdateChunk => ({
  type: 'task_update',
  id,
  title: title.slice(0, 256),
  status,
})

/**
 * Answers in a thread while the work runs (docs/slack.md#streaming). The answer is streamed:
 * `chat.startStream` opens a message in the thread, each step is a `task_update` chunk through
 * `chat.appendStream` ("looking up card…", then complete), and `chat.stopStream` ends it with
 * the reply's blocks (https://docs.slack.dev/reference/methods/chat.startStream,
 * …/chat.appendStream, …/chat.stopStream). Where streaming is not available (the call fails:
 * an older workspace, a token type, a fake without it), it falls back to a posted "working…"
 * message updated with each step and then with the reply. A stream that breaks midway
 * (`message_not_in_streaming_state`) gets the reply posted as a new message.
 */
export async function answerInThread(
  client: WebClient,
  target: ReplyTarget,
  work: (progress: ReplyProgress) => Promise<Answer>,
  logger?: Logger,
): Promise<void> {
  const where = { channel: target.channel, thread_ts: target.threadTs }
  let streamTs: string | undefined
  try {
    const started = await client.chat.startStream({
      ...where,
      recipient_user_id: target.userId,
      recipient_team_id: target.teamId,
      task_display_mode: 'timeline',
      chunks: [task('turn', 'Reading your question', 'in_progress')],
    })
    streamTs = started.ts
  } catch (err) {
    logger?.debug({ err: describeError(err) }, 'streaming is not available; posting instead')
  }
  let workingTs: string | undefined
  if (!streamTs) {
    const working = await client.chat.postMessage({ ...where, text: 'working…' })
    workingTs = working.ts
  }
  // Steps arrive from inside the agent's turn; they are sent in order, one at a time, and a
  // failed one is dropped (progress is for show, the answer is not).
  let queue: Promise<unknown> = Promise.resolve()
  let streamBroken = false
  const send = (step: () => Promise<unknown>) => {
    queue = queue.then(step).catch((err) => {
      if (streamTs) streamBroken = true
      logger?.warn({ err: describeError(err) }, 'could not show progress in Slack')
    })
  }
  const labels = new Map<string, string>()
  const progress: ReplyProgress = {
    started(id, label) {
      labels.set(id, label)
      if (streamTs && !streamBroken) {
        const ts = streamTs
        send(() =>
          client.chat.appendStream({
            channel: target.channel,
            ts,
            chunks: [task(id, label, 'in_progress')],
          }),
        )
      } else if (workingTs) {
        const ts = workingTs
        send(() => client.chat.update({ channel: target.channel, ts, text: `working… ${label}` }))
      }
    },
    finished(id, ok) {
      if (!streamTs || streamBroken) return
      const ts = streamTs
      send(() =>
        client.chat.appendStream({
          channel: target.channel,
          ts,
          chunks: [task(id, labels.get(id) ?? id, ok ? 'complete' : 'error')],
        }),
      )
    },
  }
  const answer = await work(progress)
  await queue
  const blocks: KnownBlock[] = replyBlocks(answer.text)
  const text = fallbackText(answer.text)
  let posted: { channel: string; ts: string } | undefined
  if (streamTs && !streamBroken) {
    try {
      await client.chat.stopStream({
        channel: target.channel,
        ts: streamTs,
        chunks: [task('turn', 'Answered', 'complete')],
        blocks,
      })
      posted = { channel: target.channel, ts: streamTs }
    } catch (err) {
      logger?.warn({ err: describeError(err) }, 'the stream broke; posting the answer instead')
    }
  }
  if (!posted && workingTs) {
    await client.chat.update({ channel: target.channel, ts: workingTs, text, blocks })
    posted = { channel: target.channel, ts: workingTs }
  }
  if (!posted) {
    const sent = await client.chat.postMessage({ ...where, text, blocks })
    posted = { channel: sent.channel ?? target.channel, ts: sent.ts ?? target.threadTs }
  }
  await answer.after?.(posted)
}
