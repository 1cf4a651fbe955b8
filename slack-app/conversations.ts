import type { WebClient } from '@slack/web-api'
import { chartForToolResult, renderChartPng } from '../charts/index.ts'
import { describeError } from '../core/index.ts'
import type { Approval } from '../governance/index.ts'
import type { ApprovalCards } from './approval-cards.ts'
import { type Face, threadIdOf } from './face.ts'
import { progressLabel } from './progress.ts'
import { answerInThread } from './reply.ts'

/** A message to the agent, from a mention, a DM or an assistant thread. */
export type Said = {
  teamId: string
  channel: string
  user: string
  text: string
  ts: string
  threadTs?: string
}

/** Sets an assistant thread's status ("is looking up card…"); Slack clears it on the reply. */
type StatusSetter = (status: string) => Promise<unknown>

/**
 * Conversations (docs/slack.md#conversations): a mention, a DM or an assistant-thread message
 * goes to the agent as the Slack user; the answer streams into the thread with a task per tool
 * call (the assistant thread's status says the same), a chart of a series follows it as a file
 * upload, and any approval the turn filed is posted as a card in the thread.
 */
export function conversations(face: Face, cards: ApprovalCards) {
  const { app, deps, toolkit } = face
  const { agent, store } = deps

  async function converse(client: WebClient, said: Said, setStatus?: StatusSetter) {
    const threadTs = said.threadTs ?? said.ts
    const threadId = threadIdOf(said.teamId, said.channel, threadTs)
    const actor = await face.actorOf(client, said.user)
    const target = { channel: said.channel, threadTs, userId: said.user, teamId: said.teamId }
    await answerInThread(
      client,
      target,
      async (progress) => {
        let steps = 0
        let current = ''
        // Statuses are sent in order, without holding up the turn.
        let statuses: Promise<unknown> = Promise.resolve()
        // The last successful read of the turn: charted when it is a series.
        let chartable: { tool: string; args: Record<string, unknown>; data: unknown } | undefined
        let reply: string
        let pending: Approval[] = []
        try {
          const turn = await agent.ask(said.text, {
            threadId,
            actor,
            via: 'slack',
            onToolCall: (event) => {
              if (event.phase === 'start') {
                current = `tool-${++steps}`
                const label = progressLabel(event.name, event.args)
                progress.started(current, label)
                if (setStatus)
                  statuses = statuses.then(() => setStatus(`is ${label}`)).catch(() => undefined)
              } else {
                progress.finished(current, event.ok)
                if (event.ok && event.data !== undefined)
                  chartable = { tool: event.name, args: event.args, data: event.data }
              }
            },
          })
          await statuses
          reply = turn.reply || 'Done.'
          pending = await Promise.all(turn.pending.map((p) => toolkit.approvals.get(p.approvalId)))
        } catch (err) {
          deps.logger?.error({ err: describeError(err) }, 'the agent failed in Slack')
          reply = `Sorry, that failed: ${describeError(err)}`
          chartable = undefined
        }
        return {
          text: reply,
          after: async () => {
            if (chartable && pending.length === 0) await attachChart(client, target, chartable)
            for (const approval of pending)
              await cards.post(client, approval, said.channel, threadTs, threadId)
          },
        }
      },
      deps.logger,
    )
  }

  /**
   * Uploads the chart of a series into the thread with Slack's external upload flow
   * (files.getUploadURLExternal, the bytes to its URL, files.completeUploadExternal: what
   * WebClient's files.uploadV2 does, https://docs.slack.dev/messaging/working-with-files#upload).
   * A chart that cannot be drawn or uploaded is logged; the answer stands without it.
   */
  async function attachChart(
    client: WebClient,
    target: { channel: string; threadTs: string },
    from: { tool: string; args: Record<string, unknown>; data: unknown },
  ) {
    try {
      // A series (a trend, a forecast, liability by state) has a chart; anything else has none.
      const chart = chartForToolResult(from.tool, from.args, from.data)
      if (!chart) return
      const png = await renderChartPng(chart)
      await client.files.uploadV2({
        channel_id: target.channel,
        thread_ts: target.threadTs,
        file: png,
        filename: `${chart.name}.png`,
        title: chart.title.slice(0, 200),
        alt_text: chart.title.slice(0, 1000),
      })
    } catch (err) {
      deps.logger?.warn({ err: describeError(err) }, 'could not attach the chart in Slack')
    }
  }

  /** A Slack event is handled once, however often Slack retries it (X-Slack-Retry-Num). */
  const claim = (eventId: string, body: unknown) => store.claimEvent(eventId, JSON.stringify(body))

  app.event('app_mention', async ({ event, body, client }) => {
    if (!(await claim(body.event_id, body))) return
    await converse(client, {
      teamId: body.team_id,
      channel: event.channel,
      user: event.user ?? '',
      text: (event.text ?? '').replace(/<@[A-Z0-9]+>/g, '').trim(),
      ts: event.ts,
      ...(event.thread_ts ? { threadTs: event.thread_ts } : {}),
    })
  })

  // A DM outside an assistant thread (those go to the Assistant flow, assistant.ts).
  app.message(async ({ message, body, client }) => {
    const m = message as {
      channel_type?: string
      subtype?: string
      bot_id?: string
      user?: string
      text?: string
      channel: string
      ts: string
      thread_ts?: string
    }
    if (m.channel_type !== 'im' || m.subtype || m.bot_id || !m.user) return
    const envelope = body as { event_id: string; team_id: string }
    if (!(await claim(envelope.event_id, body))) return
    await converse(client, {
      teamId: envelope.team_id,
      channel: m.channel,
      user: m.user,
      text: m.text ?? '',
      ts: m.ts,
      ...(m.thread_ts ? { threadTs: m.thread_ts } : {}),
    })
  })

  return { converse, claim }
}

export type Conversations = ReturnType<typeof conversations>
