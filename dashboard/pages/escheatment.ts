import { html } from 'hono/html'
import type { z } from 'zod'
import { money, refusal, table } from '../html.ts'
import { type Data, type PageContext, type PageResult, statusOf } from '../page.ts'
import type { escheatmentQuery } from '../query.ts'

type Query = z.infer<typeof escheatmentQuery>

/** The tool call behind the page and its CSV: the first 100 cards (the tool's limit). */
export function escheatmentInput(query: Query) {
  return {
    horizonMonths: query.horizonMonths ?? 6,
    ...(query.jurisdiction ? { jurisdiction: query.jurisdiction } : {}),
    cards: 100,
  }
}

/** Escheatment: deadlines by state within the horizon (exempt states shown as exempt), the cards. */
export async function escheatmentPage(ctx: PageContext, query: Query): Promise<PageResult> {
  const input = escheatmentInput(query)
  const form = html`<form method="get" action="/dashboard/escheatment" class="filters">
<label>Months ahead <input name="horizonMonths" type="number" min="0" max="120" value="${input.horizonMonths}"></label>
<label>State <input name="jurisdiction" maxlength="5" placeholder="US-NY" value="${query.jurisdiction ?? ''}"></label>
<button type="submit">Show</button>
</form>`
  const outcome = await ctx.run('escheatment_report', input)
  if (!outcome.ok)
    return { body: html`${form}${refusal(outcome.error)}`, status: statusOf(outcome.error.code) }
  const d: Data = outcome.data
  const params = new URLSearchParams({ horizonMonths: String(input.horizonMonths) })
  if (query.jurisdiction) params.set('jurisdiction', query.jurisdiction)
  const notes = [d.unknownJurisdiction?.note, d.ownerAddressUnknown?.note].filter(Boolean)
  return {
    body: html`${form}
<p>Reportable within ${d.horizonMonths} months: <b>${money(d.reportable)}</b> on ${d.totalCards} cards.
<a href="/dashboard/escheatment.csv?${params}" download>Download the cards as CSV</a></p>
${notes.map((n) => html`<p class="notice">${n}</p>`)}
<section><h2>By state</h2>
${table(
  ['State', 'Status', 'Rule', 'Cards', 'Amount', 'Overdue'],
  (d.jurisdictions as Data[]).map((j) => [
    j.jurisdiction,
    j.status,
    j.rule,
    j.cards,
    money(j.amount),
    j.overdueCards,
  ]),
  'No card reaches a deadline within the horizon.',
)}</section>
<section><h2>Cards${d.totalCards > d.cards.length ? ` (the first ${d.cards.length} of ${d.totalCards})` : ''}</h2>
${table(
  ['Card', 'State', 'Basis', 'Balance', 'Last activity', 'Deadline', 'Overdue'],
  (d.cards as Data[]).map((c) => [
    c.cardId,
    c.jurisdiction,
    c.basis,
    money(c.balance),
    c.lastActivityAt,
    c.deadline,
    c.overdue ? 'yes' : 'no',
  ]),
  'No card to report.',
)}</section>`,
  }
}

/** A CSV field: quoted when it holds a comma, quote or line break; a leading =+-@ is defused. */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value)
  // A spreadsheet would run a cell starting with these as a formula (CSV injection).
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** The report's cards as CSV (RFC 4180), with the amounts in cents and as text. */
export function escheatmentCsv(data: Data): string {
  const header = [
    'card_id',
    'jurisdiction',
    'basis',
    'balance_cents',
    'balance',
    'last_activity_at',
    'deadline',
    'overdue',
  ]
  const rows = (data.cards as Data[]).map((c) =>
    [
      c.cardId,
      c.jurisdiction,
      c.basis,
      c.balance?.cents,
      c.balance?.formatted,
      c.lastActivityAt,
      c.deadline,
      c.overdue ? 'true' : 'false',
    ]
      .map(csvField)
      .join(','),
  )
  return `${[header.join(','), ...rows].join('\r\n')}\r\n`
}
