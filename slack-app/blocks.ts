import type { KnownBlock, ModalView } from '@slack/types'
import type { Approval } from '../governance/index.ts'

/**
 * Block Kit builders for every message the Slack face posts (docs/slack.md). Every text that
 * comes from data (card ids, rules, store names, reasons, summaries, alert evidence, the
 * agent's reply) goes through `escapeMrkdwn` here, in the blocks and in the fallback `text`
 * alike: a card id holding `<!channel>` must show as those characters, not ping a channel.
 */

/** A Block Kit block as this file builds it (plain objects in Slack's documented shapes). */
type Block = Record<string, unknown>

export type { KnownBlock }

/** Hands the built blocks to the Web API client, whose types name every block kind. */
const known = (blocks: Block[]): KnownBlock[] => blocks as unknown as KnownBlock[]

/**
 * Slack's own escaping for text that is not ours: `&`, `<` and `>` become `&amp;`, `&lt;` and
 * `&gt;`, so no mention (`<!here>`, `<@U1>`), link (`<https://…|label>`) or date token can be
 * formed from data ("Escaping text", https://docs.slack.dev/messaging/formatting-message-text).
 * Only these three: Slack asks that the rest be left as is.
 */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** `escapeMrkdwn` of any value, bounded (a field or a section has a length limit). */
const esc = (value: unknown, max = 500): string => escapeMrkdwn(String(value).slice(0, max))

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text })
const plain = (text: string, max = 75) => ({ type: 'plain_text', text: text.slice(0, max) })
const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text.slice(0, 3000)) })
const context = (text: string): Block => ({
  type: 'context',
  elements: [mrkdwn(text.slice(0, 3000))],
})

/** An ISO instant as `YYYY-MM-DD HH:MM UTC`. */
const minute = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`

/** The fallback `text` of a message: escaped, and within Slack's 40,000 characters. */
export function fallbackText(text: string): string {
  return escapeMrkdwn(text.slice(0, 3000))
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
      if (text.length) blocks.push(section(escapeMrkdwn(text.join('\n').slice(0, 2900))))
      text = []
    }
    const flushRows = () => {
      for (let i = 0; i < rows.length; i += 10)
        blocks.push({
          type: 'section',
          fields: rows.slice(i, i + 10).map((r) => mrkdwn(esc(r, 1900))),
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

/**
 * A person as Slack shows them: `<@U123>` for a Slack actor (`slack:U123`, a user id and
 * nothing else), any other actor (`mcp:alice`, `cli:bob`) as escaped text.
 */
export function personOf(actorId: string): string {
  const user = /^slack:([A-Z0-9]{1,20})$/.exec(actorId)?.[1]
  return user ? `<@${user}>` : esc(actorId, 100)
}

/**
 * What a manager needs to decide: action, card, balance, alert evidence, requester, the
 * requester's own reason (verbatim, escaped), expiry.
 */
function approvalFacts(approval: Approval): Block[] {
  const d = approval.details ?? {}
  const fields: string[] = [
    `*Action*\n${esc(approval.action.replaceAll('_', ' '), 100)}`,
    `*Requested by*\n${personOf(approval.requestedBy)} via ${esc(approval.requestedVia, 20)}`,
  ]
  if (typeof d.cardId === 'string')
    fields.push(`*Card*\n${esc(d.cardId, 100)}${d.last4 ? ` (…${esc(d.last4, 4)})` : ''}`)
  const balance = money(d.balance) ?? money(d.held)
  if (balance) fields.push(`*${d.held ? 'Held' : 'Balance'}*\n${esc(balance, 40)}`)
  if (typeof d.targetCount === 'number')
    fields.push(
      `*Audience*\n${d.targetCount.toLocaleString('en-US')} cards, ${esc(money(d.targetLiability) ?? '', 40)}`,
    )
  fields.push(
    `*Reason (the requester's words)*\n${approval.reason ? esc(approval.reason, 1800) : '_no reason given_'}`,
  )
  fields.push(`*Expires*\n${minute(approval.expiresAt)}`)
  const blocks: Block[] = [
    section(`*Approval #${approval.id}*: ${esc(approval.summary, 2800)}`),
    { type: 'section', fields: fields.slice(0, 10).map(mrkdwn) },
  ]
  const alerts = Array.isArray(d.alerts)
    ? (d.alerts as { alertId: number; rule: string; score: number; reason: string | null }[])
    : []
  if (alerts.length)
    blocks.push(
      context(
        `Alert evidence: ${alerts
          .slice(0, 5)
          .map(
            (a) =>
              `#${Number(a.alertId)} ${esc(a.rule, 60)} (score ${Number(a.score)})${a.reason ? `: ${esc(a.reason)}` : ''}`,
          )
          .join(' · ')}`,
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
  if (e.enforced === true) return `*At the POS*: enforced (${esc(e.connector)}): ${esc(e.how)}`
  // `effect` is "ledger only: <what it means for this hold or release> (<why>)".
  if (e.enforced === false && typeof e.effect === 'string')
    return `*At the POS*: :warning: *ledger only*: ${esc(e.effect.replace(/^ledger only: /, ''))}`
  return undefined
}

export const APPROVE_ACTION = 'approval_approve'
export const REJECT_ACTION = 'approval_reject'
export const ALERT_HOLD_ACTION = 'alert_request_hold'
export const ALERT_DISMISS_ACTION = 'alert_dismiss'
/** The modal a "Request hold" click opens for the requester's own reason. */
export const HOLD_REASON_VIEW = 'alert_hold_reason'
export const HOLD_REASON_BLOCK = 'reason'
export const HOLD_REASON_INPUT = 'reason_input'

/**
 * A Block Kit confirmation dialog for a button (the `confirm` composition object,
 * https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object):
 * Slack asks "are you sure?" before the click reaches the app. Plain text, so nothing in it is
 * parsed; bounded to Slack's limits (title 100, text 300, buttons 30).
 */
function confirmDialog(title: string, text: string, confirm: string, style: 'primary' | 'danger') {
  return {
    title: plain(title, 100),
    text: plain(text, 300),
    confirm: plain(confirm, 30),
    deny: plain('Cancel', 30),
    style,
  }
}

/** The fallback text of an approval card. */
export function approvalCardText(approval: Approval): string {
  return fallbackText(`Approval #${approval.id} requested: ${approval.summary}`)
}

/**
 * The card with Approve and Reject buttons (the value is the approval id); each opens a
 * confirmation dialog naming what will (or will not) happen.
 */
export function approvalCard(approval: Approval): KnownBlock[] {
  // Our words only: the dialog is plain text, and the facts it refers to are on the card above.
  const what = `${approval.action.replaceAll('_', ' ')}, as the card says`
  return known([
    ...approvalFacts(approval),
    {
      type: 'actions',
      block_id: `approval:${approval.id}`,
      elements: [
        {
          type: 'button',
          style: 'primary',
          text: plain('Approve'),
          action_id: APPROVE_ACTION,
          value: String(approval.id),
          confirm: confirmDialog(
            `Approve #${approval.id}?`,
            `${what}. It runs once, as soon as you confirm.`,
            'Approve',
            'primary',
          ),
        },
        {
          type: 'button',
          style: 'danger',
          text: plain('Reject'),
          action_id: REJECT_ACTION,
          value: String(approval.id),
          confirm: confirmDialog(
            `Reject #${approval.id}?`,
            `${what}. Nothing will change; the requester is told.`,
            'Reject',
            'danger',
          ),
        },
      ],
    },
    context('Only a manager other than the requester can decide.'),
  ])
}

/** The same card once decided: no buttons; the decision, who, when and the outcome. */
export function decidedCard(approval: Approval, outcome: string): KnownBlock[] {
  const who = approval.decidedBy ? ` by ${personOf(approval.decidedBy)}` : ''
  const when = approval.decidedAt ? ` at ${minute(approval.decidedAt)}` : ''
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
    section(`${icon} *${approval.status}*${who}${when}\n${esc(outcome, 2500)}`),
  ])
}

/** The fallback text of a decided card. */
export function decidedCardText(approval: Approval): string {
  return fallbackText(`Approval #${approval.id}: ${approval.status}`)
}

export type AlertForSlack = {
  id: number
  cardId: string
  rule: string
  score: number
  /** The alert's reason, pseudonymised. */
  reason: string | null
  balance?: string
}

const alertHeadline = (alert: AlertForSlack) =>
  `*Fraud alert #${alert.id}*: ${esc(alert.rule.replaceAll('_', ' '), 60)} on card ${esc(alert.cardId, 100)} (score ${alert.score})`

/** The fallback text of an alert post. */
export function alertText(alert: AlertForSlack): string {
  return fallbackText(`Fraud alert #${alert.id}: ${alert.rule} on ${alert.cardId}`)
}

/** A fraud alert for the alerts channel, with "Request hold" and "Dismiss". */
export function alertMessage(alert: AlertForSlack): KnownBlock[] {
  return known([
    section(`🚨 ${alertHeadline(alert)}`),
    ...(alert.reason ? [context(esc(alert.reason))] : []),
    ...(alert.balance ? [context(`Balance ${esc(alert.balance, 40)}`)] : []),
    {
      type: 'actions',
      block_id: `alert:${alert.id}`,
      elements: [
        {
          type: 'button',
          style: 'danger',
          text: plain('Request hold'),
          action_id: ALERT_HOLD_ACTION,
          value: String(alert.id),
        },
        {
          type: 'button',
          text: plain('Dismiss'),
          action_id: ALERT_DISMISS_ACTION,
          value: String(alert.id),
          confirm: confirmDialog(
            `Dismiss alert #${alert.id}?`,
            'The alert is closed as a false positive; it can be found again with list_fraud_alerts status dismissed.',
            'Dismiss',
            'danger',
          ),
        },
      ],
    },
  ])
}

/** The alert once handled: the buttons give way to what was done (`what` is ours, not data). */
export function handledAlertMessage(alert: AlertForSlack, what: string): KnownBlock[] {
  return known([
    section(alertHeadline(alert)),
    ...(alert.reason ? [context(esc(alert.reason))] : []),
    section(what),
  ])
}

/**
 * The modal a "Request hold" click opens: the requester's own reason (optional, kept verbatim),
 * so the approval card carries their words, not words made up for them.
 */
export function holdReasonModal(alert: AlertForSlack, metadata: string): ModalView {
  const view: Record<string, unknown> = {
    type: 'modal',
    callback_id: HOLD_REASON_VIEW,
    private_metadata: metadata,
    title: plain('Request a hold', 24),
    submit: plain('Request hold', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(alertHeadline(alert)),
      {
        type: 'input',
        block_id: HOLD_REASON_BLOCK,
        optional: true,
        label: plain('Your reason, for the manager who decides', 2000),
        element: {
          type: 'plain_text_input',
          action_id: HOLD_REASON_INPUT,
          multiline: true,
          max_length: 500,
        },
      },
    ],
  }
  return view as unknown as ModalView
}

/** App Home and other one-off views: a section of our text with data escaped by the caller. */
export function homeSection(text: string): KnownBlock {
  return section(text) as unknown as KnownBlock
}
export function homeContext(text: string): KnownBlock {
  return context(text) as unknown as KnownBlock
}
export function homeFields(fields: string[]): KnownBlock {
  return { type: 'section', fields: fields.slice(0, 10).map(mrkdwn) } as unknown as KnownBlock
}
export { esc as escapeValue, minute as minuteOf }
