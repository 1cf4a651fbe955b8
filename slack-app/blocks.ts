import type { KnownBlock } from '@slack/types'
import type { Approval } from '../governance/index.ts'

/** A Block Kit block as this file builds it (plain objects in Slack's documented shapes). */
type Block = Record<string, unknown>

export type { KnownBlock }

/** Hands the built blocks to the Web API client, whose types name every block kind. */
const known = (blocks: Block[]): KnownBlock[] => blocks as unknown as KnownBlock[]

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text })
const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text.slice(0, 3000)) })
const context = (text: string): Block => ({
  type: 'context',
  elements: [mrkdwn(text.slice(0, 3000))],
})

/** Slack's own escaping for text that is not ours (amounts and ids are safe; free text may not be). */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/**
 * The agent's reply as Block Kit: paragraphs become sections; runs of "• " lines (the rows of a
 * table: a state and its liability, an alert and its score) become sections of fields, two
 * columns, ten at most each.
 */
export function replyBlocks(reply: string): KnownBlock[] {
  const blocks: Block[] = []
  for (const paragraph of reply.split(/\n{2,}/)) {
    const lines = paragraph.split('\n')
    let text: string[] = []
    let rows: string[] = []
    const flushText = () => {
      if (text.length) blocks.push(section(escapeMrkdwn(text.join('\n'))))
      text = []
    }
    const flushRows = () => {
      for (let i = 0; i < rows.length; i += 10)
        blocks.push({
          type: 'section',
          fields: rows.slice(i, i + 10).map((r) => mrkdwn(escapeMrkdwn(r).slice(0, 2000))),
        })
      rows = []
    }
    for (const line of lines) {
      if (line.startsWith('• ')) {
        flushText()
        rows.push(line.slice(2))
      } else {
        flushRows()
        text.push(line)
      }
    }
    flushText()
    flushRows()
  }
  return known(blocks.slice(0, 50))
}

const money = (m: unknown) =>
  m && typeof m === 'object' && 'formatted' in m
    ? String((m as { formatted: string }).formatted)
    : undefined

/** What a manager needs to decide: action, card, balance, alert evidence, requester, reason, expiry. */
function approvalFacts(approval: Approval): Block[] {
  const d = approval.details ?? {}
  const fields: string[] = [
    `*Action*\n${approval.action.replaceAll('_', ' ')}`,
    `*Requested by*\n<@${slackUser(approval.requestedBy)}> via ${approval.requestedVia}`,
  ]
  if (typeof d.cardId === 'string')
    fields.push(`*Card*\n${d.cardId}${d.last4 ? ` (…${String(d.last4)})` : ''}`)
  const balance = money(d.balance) ?? money(d.held)
  if (balance) fields.push(`*${d.held ? 'Held' : 'Balance'}*\n${balance}`)
  if (typeof d.targetCount === 'number')
    fields.push(
      `*Audience*\n${d.targetCount.toLocaleString('en-US')} cards, ${money(d.targetLiability) ?? ''}`,
    )
  if (approval.reason) fields.push(`*Reason*\n${escapeMrkdwn(approval.reason)}`)
  fields.push(`*Expires*\n${approval.expiresAt.slice(0, 16).replace('T', ' ')} UTC`)
  const blocks: Block[] = [
    section(`*Approval #${approval.id}*: ${escapeMrkdwn(approval.summary)}`),
    { type: 'section', fields: fields.slice(0, 10).map(mrkdwn) },
  ]
  const alerts = Array.isArray(d.alerts)
    ? (d.alerts as { alertId: number; rule: string; score: number; reason: string | null }[])
    : []
  if (alerts.length)
    blocks.push(
      context(
        `Alert evidence: ${alerts.map((a) => `#${a.alertId} ${a.rule} (score ${a.score})${a.reason ? `: ${escapeMrkdwn(a.reason)}` : ''}`).join(' · ')}`,
      ),
    )
  const pos = atThePos(d.enforcement)
  if (pos) blocks.push(section(pos))
  return blocks
}

/**
 * Whether a hold will stop the card at the till, said where the manager decides (issue 23): an
 * enforced hold names its POS and how; a ledger-only one says the card keeps working, and why.
 */
export function atThePos(enforcement: unknown): string | undefined {
  if (!enforcement || typeof enforcement !== 'object') return undefined
  const e = enforcement as {
    enforced?: unknown
    connector?: unknown
    how?: unknown
    effect?: unknown
  }
  if (e.enforced === true)
    return `*At the POS*: enforced (${escapeMrkdwn(String(e.connector))}): ${escapeMrkdwn(String(e.how))}`
  // `effect` is "ledger only: <what it means for this hold or release> (<why>)".
  if (e.enforced === false && typeof e.effect === 'string')
    return `*At the POS*: :warning: *ledger only*: ${escapeMrkdwn(e.effect.replace(/^ledger only: /, ''))}`
  return undefined
}

/** A Slack user id from an actor id (`slack:U123` → `U123`); other faces show as themselves. */
function slackUser(actorId: string): string {
  return actorId.startsWith('slack:') ? actorId.slice(6) : actorId
}

export const APPROVE_ACTION = 'approval_approve'
export const REJECT_ACTION = 'approval_reject'
export const ALERT_HOLD_ACTION = 'alert_request_hold'
export const ALERT_DISMISS_ACTION = 'alert_dismiss'

/** The card with Approve and Reject buttons (the value is the approval id). */
export function approvalCard(approval: Approval): KnownBlock[] {
  return known([
    ...approvalFacts(approval),
    {
      type: 'actions',
      block_id: `approval:${approval.id}`,
      elements: [
        {
          type: 'button',
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          action_id: APPROVE_ACTION,
          value: String(approval.id),
        },
        {
          type: 'button',
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          action_id: REJECT_ACTION,
          value: String(approval.id),
        },
      ],
    },
    context('Only a manager other than the requester can decide.'),
  ])
}

/** The same card once decided: no buttons; the decision, who, when and the outcome. */
export function decidedCard(approval: Approval, outcome: string): KnownBlock[] {
  const who = approval.decidedBy ? ` by <@${slackUser(approval.decidedBy)}>` : ''
  const when = approval.decidedAt
    ? ` at ${approval.decidedAt.slice(0, 16).replace('T', ' ')} UTC`
    : ''
  const icon =
    approval.status === 'executed'
      ? '✅'
      : approval.status === 'rejected' || approval.status === 'expired'
        ? '⛔'
        : approval.status === 'failed'
          ? '⚠️'
          : '⏳'
  return known([
    ...approvalFacts(approval),
    section(`${icon} *${approval.status}*${who}${when}\n${escapeMrkdwn(outcome)}`),
  ])
}

export type AlertForSlack = {
  id: number
  cardId: string
  rule: string
  score: number
  reason: string | null
  balance?: string
}

/** A fraud alert for the alerts channel, with "Request hold" and "Dismiss". */
export function alertMessage(alert: AlertForSlack): KnownBlock[] {
  return known([
    section(
      `🚨 *Fraud alert #${alert.id}*: ${alert.rule.replaceAll('_', ' ')} on card ${alert.cardId} (score ${alert.score})`,
    ),
    ...(alert.reason ? [context(escapeMrkdwn(alert.reason))] : []),
    ...(alert.balance ? [context(`Balance ${alert.balance}`)] : []),
    {
      type: 'actions',
      block_id: `alert:${alert.id}`,
      elements: [
        {
          type: 'button',
          style: 'danger',
          text: { type: 'plain_text', text: 'Request hold' },
          action_id: ALERT_HOLD_ACTION,
          value: String(alert.id),
        },
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Dismiss' },
          action_id: ALERT_DISMISS_ACTION,
          value: String(alert.id),
        },
      ],
    },
  ])
}

/** The alert once handled: the buttons give way to what was done. */
export function handledAlertMessage(alert: AlertForSlack, what: string): KnownBlock[] {
  return known([
    section(
      `*Fraud alert #${alert.id}*: ${alert.rule.replaceAll('_', ' ')} on card ${alert.cardId} (score ${alert.score})`,
    ),
    ...(alert.reason ? [context(escapeMrkdwn(alert.reason))] : []),
    section(what),
  ])
}

/** Blocks for App Home and other one-off views. */
export function homeSection(text: string): KnownBlock {
  return section(text) as unknown as KnownBlock
}
export function homeContext(text: string): KnownBlock {
  return context(text) as unknown as KnownBlock
}
