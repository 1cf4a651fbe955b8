import { z } from 'zod'
import { formatCents, toIso } from '../core/index.ts'
import { type AlertsToPostResult, alertsToPost, SLACK_ALERTS_ACTOR } from '../tools/index.ts'
import type { ApprovalCards } from './approval-cards.ts'
import {
  ALERT_DISMISS_ACTION,
  ALERT_HOLD_ACTION,
  type AlertForSlack,
  alertMessage,
  alertText,
  fallbackText,
  HOLD_REASON_BLOCK,
  HOLD_REASON_INPUT,
  HOLD_REASON_VIEW,
  handledAlertMessage,
  holdReasonModal,
  minuteOf,
  personOf,
} from './blocks.ts'
import { type ButtonBody, type Face, idOf, whereClicked } from './face.ts'

/** At most this many alerts are posted per round. */
const ROUND = 50

/** What the hold modal carries from the click to the submission (its private_metadata). */
const HoldMetadata = z.object({
  alertId: z.number().int().positive(),
  channel: z.string().min(1).max(40),
  ts: z.string().min(1).max(40),
})

/** The submitted modal, as much of it as is read (Slack's view_submission payload). */
const HoldSubmission = z.object({
  user: z.object({ id: z.string().min(1).max(40) }),
  view: z.object({
    private_metadata: z.string().max(3000),
    state: z.object({
      values: z.record(
        z.string(),
        z.record(z.string(), z.object({ value: z.string().max(3000).nullish() })),
      ),
    }),
  }),
})

/**
 * Fraud alerts in SLACK_ALERTS_CHANNEL (docs/slack.md#alerts): new open alerts at or above
 * SLACK_ALERT_MIN_SCORE are posted with "Request hold" and "Dismiss". "Request hold" opens a
 * modal for the requester's own reason and files the hold through the executor, as them;
 * "Dismiss" (behind a confirmation dialog) closes the alert through the executor, which
 * refuses anyone but loss prevention.
 */
export function alertPosts(face: Face, cards: ApprovalCards) {
  const { app, deps, toolkit } = face
  const { store } = deps
  /** The executor with the alerts channel's own read beside the registry's tools. */
  const feed = toolkit.executor.including([alertsToPost])

  async function alertFor(alertId: number): Promise<AlertForSlack | undefined> {
    const row = await store.alert(alertId)
    if (!row) return undefined
    return {
      id: row.id,
      cardId: row.cardId,
      rule: row.rule,
      score: row.score,
      reason: row.reason ? toolkit.pii.scrubText(row.reason) : null,
      balance: formatCents(row.balanceCents),
    }
  }

  app.action(ALERT_HOLD_ACTION, async ({ ack, body, action, client }) => {
    await ack()
    const b = body as unknown as ButtonBody
    const where = whereClicked(b)
    const alertId = idOf(action)
    const alert = alertId === undefined ? undefined : await alertFor(alertId)
    if (!alert || !b.trigger_id) return
    await client.views.open({
      trigger_id: b.trigger_id,
      view: holdReasonModal(
        alert,
        JSON.stringify({ alertId: alert.id, channel: where.channel, ts: where.ts }),
      ),
    })
  })

  app.view(HOLD_REASON_VIEW, async ({ ack, body, client }) => {
    await ack()
    const parsed = HoldSubmission.safeParse(body)
    if (!parsed.success) return
    const meta = HoldMetadata.safeParse(
      (() => {
        try {
          return JSON.parse(parsed.data.view.private_metadata)
        } catch {
          return undefined
        }
      })(),
    )
    if (!meta.success) return
    const typed = parsed.data.view.state.values[HOLD_REASON_BLOCK]?.[HOLD_REASON_INPUT]?.value
    const reason = typed?.trim() ? typed.slice(0, 500) : undefined
    const user = parsed.data.user.id
    const actor = await face.actorOf(client, user)
    const outcome = await toolkit.executor.call(
      'place_card_hold',
      { alertId: meta.data.alertId, ...(reason ? { reason } : {}) },
      { actor, via: 'slack' },
    )
    if (!outcome.ok || !outcome.approval) {
      const text = outcome.ok ? 'No approval was filed.' : outcome.error.message
      await client.chat.postEphemeral({
        channel: meta.data.channel,
        user,
        text: fallbackText(`Could not request a hold: ${text}`),
      })
      return
    }
    await cards.post(client, outcome.approval, meta.data.channel, meta.data.ts)
  })

  app.action(ALERT_DISMISS_ACTION, async ({ ack, body, action, client }) => {
    await ack()
    const b = body as unknown as ButtonBody
    const where = whereClicked(b)
    const alertId = idOf(action)
    if (alertId === undefined) return
    const actor = await face.actorOf(client, b.user.id)
    const outcome = await toolkit.executor.call(
      'update_fraud_alert',
      { alertId, status: 'dismissed', note: 'dismissed in Slack' },
      { actor, via: 'slack' },
    )
    if (!outcome.ok) {
      await client.chat.postEphemeral({
        channel: where.channel,
        user: b.user.id,
        text: fallbackText(`Could not dismiss: ${outcome.error.message}`),
      })
      return
    }
    const alert = await alertFor(alertId)
    if (alert)
      await client.chat.update({
        channel: where.channel,
        ts: where.ts,
        text: fallbackText(`Fraud alert #${alertId} dismissed`),
        blocks: handledAlertMessage(
          alert,
          `Dismissed by ${personOf(`slack:${b.user.id}`)} at ${minuteOf(toIso(Date.now()))}`,
        ),
      })
  })

  return {
    /**
     * Posts new open alerts at or above SLACK_ALERT_MIN_SCORE to SLACK_ALERTS_CHANNEL. They are
     * read through the executor (alerts_to_post) as SLACK_ALERTS_ACTOR, via `slack`: loss
     * prevention's role, the pilot scope, the pseudonymiser and an audit row apply as to any
     * read. An alert already posted (a round cut short before its cursor moved) is not again.
     */
    async publishNew(): Promise<number> {
      const channel = deps.config.slack.alertsChannel
      if (!channel) return 0
      const cursor = await store.alertCursor()
      const outcome = await feed.call(
        alertsToPost.name,
        { afterAlertId: cursor ?? 0, minScore: deps.config.slack.alertMinScore, limit: ROUND },
        { actor: SLACK_ALERTS_ACTOR, via: 'slack' },
      )
      if (!outcome.ok) return 0
      const { alerts, newestAlertId } = outcome.data as AlertsToPostResult
      // The first round ever posts nothing from before it: the channel is for new alerts.
      if (cursor === undefined) {
        await store.setAlertCursor(newestAlertId)
        return 0
      }
      let count = 0
      for (const a of alerts) {
        if (await store.alertMessage(a.alertId)) continue
        const alert: AlertForSlack = {
          id: a.alertId,
          cardId: a.cardId,
          rule: a.rule,
          score: a.score,
          reason: a.reason,
          balance: a.balance.formatted,
        }
        const posted = await app.client.chat.postMessage({
          channel,
          text: alertText(alert),
          blocks: alertMessage(alert),
        })
        if (posted.ts)
          await store.alertPosted(a.alertId, { channel: posted.channel ?? channel, ts: posted.ts })
        count++
      }
      const last = alerts.at(-1)
      if (last !== undefined) await store.setAlertCursor(last.alertId)
      return count
    },
  }
}
