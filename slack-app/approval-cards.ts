import type { WebClient } from '@slack/web-api'
import { describeOutcome } from '../agent/index.ts'
import { describeError, isGiftCardError } from '../core/index.ts'
import { type Approval, ONLY_ANOTHER_MANAGER } from '../governance/index.ts'
import {
  APPROVE_ACTION,
  approvalCard,
  approvalCardText,
  decidedCard,
  decidedCardText,
  fallbackText,
  REJECT_ACTION,
  replyBlocks,
} from './blocks.ts'
import { type ButtonBody, type Face, idOf, threadIdOf, whereClicked } from './face.ts'

/** At most this many cards are posted or brought up to date per round. */
const ROUND = 50

/**
 * Approval cards (docs/slack.md#approval-cards): posted in the thread that asked, or in
 * SLACK_APPROVALS_CHANNEL for requests made over MCP or the CLI; Approve and Reject (each behind
 * a confirmation dialog) decide through the agent and the approval service, as the clicking
 * manager; a card decided elsewhere is updated in place and its waiting thread resumed.
 */
export function approvalCards(face: Face) {
  const { app, deps, toolkit } = face
  const { agent, store } = deps

  async function post(
    client: WebClient,
    approval: Approval,
    channel: string,
    threadTs?: string,
    agentThread?: string,
  ) {
    const posted = await client.chat.postMessage({
      channel,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      text: approvalCardText(approval),
      blocks: approvalCard(approval),
    })
    if (posted.ts && posted.channel)
      await store.approvalPosted(
        approval.id,
        { channel: posted.channel, ts: posted.ts },
        agentThread,
      )
  }

  for (const [actionId, decision] of [
    [APPROVE_ACTION, 'approve'],
    [REJECT_ACTION, 'reject'],
  ] as const) {
    app.action(actionId, async ({ ack, body, action, client }) => {
      await ack()
      const b = body as unknown as ButtonBody
      const where = whereClicked(b)
      const approvalId = idOf(action)
      if (approvalId === undefined) return
      const actor = await face.actorOf(client, b.user.id)
      const threadId = where.threadTs
        ? threadIdOf(where.teamId, where.channel, where.threadTs)
        : undefined
      try {
        const { decision: result, turn } = await agent.decide(
          approvalId,
          { actor, via: 'slack', ...(threadId ? { threadId } : {}) },
          decision,
        )
        if (!result.changed) {
          // Someone decided first: their click updates the card (a late one would show a stale state).
          await client.chat.postEphemeral({
            channel: where.channel,
            user: b.user.id,
            text: fallbackText(result.message),
          })
          return
        }
        await client.chat.update({
          channel: where.channel,
          ts: where.ts,
          text: decidedCardText(result.approval),
          blocks: decidedCard(result.approval, describeOutcome(result.approval)),
        })
        await store.approvalShown(approvalId, result.approval.status)
        if (turn?.reply && where.threadTs)
          await client.chat.postMessage({
            channel: where.channel,
            thread_ts: where.threadTs,
            text: fallbackText(turn.reply),
            blocks: replyBlocks(turn.reply),
          })
      } catch (err) {
        const text = isGiftCardError(err, 'FORBIDDEN')
          ? `Sorry: ${ONLY_ANOTHER_MANAGER}.`
          : `Sorry, that failed: ${describeError(err)}`
        await client.chat.postEphemeral({
          channel: where.channel,
          user: b.user.id,
          text: fallbackText(text),
        })
      }
    })
  }

  return {
    post,

    /** Posts approval requests made outside Slack (MCP, CLI) to SLACK_APPROVALS_CHANNEL. */
    async publishPending(): Promise<number> {
      const channel = deps.config.slack.approvalsChannel
      if (!channel) return 0
      const ids = await store.unpostedApprovals(ROUND)
      for (const id of ids) await post(app.client, await toolkit.approvals.get(id), channel)
      return ids.length
    },

    /** Updates cards of requests decided elsewhere (the CLI, MCP's managers) and resumes their threads. */
    async syncDecided(): Promise<number> {
      await toolkit.approvals.expireDue()
      const stale = await store.unsyncedApprovals(ROUND)
      for (const { approvalId, message } of stale) {
        const approval = await toolkit.approvals.get(approvalId)
        await app.client.chat.update({
          channel: message.channel,
          ts: message.ts,
          text: decidedCardText(approval),
          blocks: decidedCard(approval, describeOutcome(approval)),
        })
        await store.approvalShown(approval.id, approval.status)
        // The thread that asked is told, as if the decision had been made in it.
        const thread = message.agentThread
        if (!thread || !(await agent.waitingOn(thread)).some((p) => p.approvalId === approval.id))
          continue
        const decider = await deps.resolveActor(approval.decidedBy ?? approval.requestedBy)
        const turn = await agent.resume(
          { threadId: thread, actor: decider, via: 'slack' },
          {
            decisions: [
              {
                approvalId: approval.id,
                status: approval.status,
                decidedBy: approval.decidedBy,
                outcome: approval.outcome,
                message: describeOutcome(approval),
              },
            ],
          },
        )
        const threadTs = thread.split(':').at(-1)
        if (turn.reply && threadTs)
          await app.client.chat.postMessage({
            channel: message.channel,
            thread_ts: threadTs,
            text: fallbackText(turn.reply),
            blocks: replyBlocks(turn.reply),
          })
      }
      return stale.length
    },
  }
}

export type ApprovalCards = ReturnType<typeof approvalCards>
