import { html } from 'hono/html'
import { facts, type Html, money, refusal, store, table } from '../html.ts'
import { type Data, type PageContext, type PageResult, statusOf } from '../page.ts'

/**
 * Cards: look one up by id or last four (get_gift_card; several cards sharing the digits are
 * listed by the tool as a CONFLICT), then its timeline (the newest 50 transactions) and its
 * holds, past and present (list_card_holds), reasons verbatim.
 */
export async function cardsPage(ctx: PageContext, card: string | undefined): Promise<PageResult> {
  const form = html`<form method="get" action="/dashboard/cards" class="filters">
<label>Card id or last four <input name="card" maxlength="40" value="${card ?? ''}" autofocus></label>
<button type="submit">Look up</button>
</form>`
  if (!card) return { body: form }
  const outcome = await ctx.run('get_gift_card', { card, transactions: 50 })
  if (!outcome.ok)
    return { body: html`${form}${refusal(outcome.error)}`, status: statusOf(outcome.error.code) }
  const d: Data = outcome.data
  const holds = await ctx.run('list_card_holds', { card: d.cardId })
  const cardFacts = facts([
    ['Card', d.cardId],
    ['Last four', d.last4],
    ['Balance', money(d.balance)],
    ['Status', d.status],
    ['Issued', `${d.issuedAt} at ${store(d.store)}`],
    ['Last activity', d.lastActivityAt ?? '—'],
    ['Channel, occasion', `${d.channel ?? '—'}, ${d.occasion ?? '—'}`],
    ['Holder', d.holder ?? '—'],
    [
      'Active hold',
      d.hold
        ? `#${d.hold.holdId}: ${d.hold.reason ?? 'no reason given'} (approved by ${d.hold.approvedBy})`
        : 'none',
    ],
  ])
  const timeline = table(
    ['When', 'Type', 'Result', 'Amount', 'Balance after', 'Store'],
    ((d.recentTransactions ?? []) as Data[]).map((t) => [
      t.at,
      t.type,
      t.result,
      money(t.amount),
      money(t.balanceAfter),
      store(t.store),
    ]),
    'No transaction on this card.',
  )
  const alerts = table(
    ['Alert', 'Rule', 'Score'],
    ((d.openAlerts ?? []) as Data[]).map((a) => [
      html`<a href="/dashboard/alerts?alert=${a.alertId}#evidence">#${a.alertId}</a>`,
      a.rule,
      a.score,
    ]),
    'No open alert.',
  )
  const holdTable: Html = holds.ok
    ? table(
        [
          'Hold',
          'Status',
          'Reason',
          'At the POS',
          'Requested by',
          'Approved by',
          'Placed',
          'Released',
        ],
        ((holds.data as Data).items as Data[]).map((h) => [
          `#${h.holdId}`,
          h.status,
          h.reason ?? 'no reason given',
          h.atThePos,
          h.requestedBy,
          h.approvedBy,
          h.placedAt,
          h.releasedAt ?? '—',
        ]),
        'No hold, past or present.',
      )
    : refusal(holds.error)
  return {
    body: html`${form}
<section><h2>${d.cardId}</h2>${cardFacts}</section>
<section><h2>Open alerts</h2>${alerts}</section>
<section><h2>Timeline</h2>${timeline}</section>
<section><h2>Holds</h2>${holdTable}</section>`,
  }
}
