import { html, raw } from 'hono/html'
import type { z } from 'zod'
import { csrfField, type Html, money, refusal, store, table } from '../html.ts'
import { type Data, type PageContext, type PageResult, statusOf } from '../page.ts'
import type { alertsQuery } from '../query.ts'

type AlertsQuery = z.infer<typeof alertsQuery>

/**
 * Alerts: the filters, the list (highest score first), and for the alert picked its evidence
 * (explain_fraud_alert) with loss prevention's forms: confirm or dismiss with a note kept
 * verbatim (update_fraud_alert), or request a hold (place_card_hold, which files an approval a
 * manager other than the requester decides). The forms are shown only to roles that may use
 * those tools; the executor refuses anyone else anyway.
 */
export async function alertsPage(ctx: PageContext, query: AlertsQuery): Promise<PageResult> {
  const listed = await ctx.run('list_fraud_alerts', {
    ...(query.status ? { status: query.status } : {}),
    ...(query.rule ? { rule: query.rule } : {}),
    ...(query.location ? { location: query.location } : {}),
    ...(query.days ? { days: query.days } : {}),
    ...(query.minScore !== undefined ? { minScore: query.minScore } : {}),
    limit: 50,
    offset: query.offset ?? 0,
  })
  const parts: Html[] = [filters(query, listed.ok ? Object.keys((listed.data as Data).byRule) : [])]
  let status: PageResult['status']
  if (!listed.ok) {
    parts.push(refusal(listed.error))
    status = statusOf(listed.error.code)
  } else {
    const d: Data = listed.data
    parts.push(html`<p>${d.total} ${d.status} alerts${d.since ? ` since ${d.since}` : ''}.</p>`)
    parts.push(
      table(
        ['Alert', 'Card', 'Rule', 'Score', 'Status', 'Detected', 'Store', 'Balance'],
        (d.items as Data[]).map((a) => [
          html`<a href="${alertLink(query, a.alertId)}">#${a.alertId}</a>`,
          html`<a href="/dashboard/cards?card=${encodeURIComponent(a.cardId)}">${a.cardId}</a>`,
          a.rule,
          a.score,
          a.status,
          a.detectedAt,
          store(a.store),
          money(a.balance),
        ]),
        'No alert matches these filters.',
      ),
    )
    if (d.nextOffset !== undefined)
      parts.push(
        html`<p><a href="${pageLink(query, d.nextOffset)}">Next ${Math.min(50, d.total - d.nextOffset)} alerts</a></p>`,
      )
  }
  if (query.alert !== undefined) {
    const evidence = await evidenceOf(ctx, query.alert)
    parts.push(evidence.body)
    status ??= evidence.status
  }
  return { body: html`${parts}`, ...(status ? { status } : {}) }
}

/** One alert's evidence and, for loss prevention, its forms. */
async function evidenceOf(ctx: PageContext, alertId: number): Promise<PageResult> {
  const outcome = await ctx.run('explain_fraud_alert', { alertId })
  if (!outcome.ok)
    return {
      body: html`<section id="evidence"><h2>Alert #${alertId}</h2>${refusal(outcome.error)}</section>`,
      status: statusOf(outcome.error.code),
    }
  const a: Data = outcome.data
  const figures = Object.entries((a.figures ?? {}) as Record<string, unknown>).map(([k, v]) => [
    k,
    typeof v === 'object' ? JSON.stringify(v) : String(v),
  ])
  const events = table(
    ['When', 'Type', 'Result', 'Amount', 'Store', 'Terminal', 'Employee', 'Order'],
    ((a.triggeringEvents ?? []) as Data[]).map((e) => [
      e.at,
      e.type,
      e.result,
      money(e.amount),
      store(e.store),
      e.terminal ?? '—',
      e.employee ?? '—',
      e.order ?? '—',
    ]),
    'No triggering event is recorded.',
  )
  const forms: Html[] = []
  if (ctx.csrfToken && ctx.may('update_fraud_alert'))
    forms.push(html`<form method="post" action="/dashboard/alerts/${alertId}/status" class="decide">
${csrfField(ctx.csrfToken)}
<label for="note-${alertId}">Note (kept verbatim)</label>
<textarea id="note-${alertId}" name="note" maxlength="500" rows="2"></textarea>
<button type="submit" name="status" value="confirmed">Confirm fraud</button>
<button type="submit" name="status" value="dismissed">Dismiss</button>
</form>`)
  if (ctx.csrfToken && ctx.may('place_card_hold'))
    forms.push(html`<form method="post" action="/dashboard/alerts/${alertId}/hold" class="decide">
${csrfField(ctx.csrfToken)}
<label for="reason-${alertId}">Reason for the hold (kept verbatim; a manager other than you decides)</label>
<input id="reason-${alertId}" name="reason" maxlength="500">
<button type="submit">Request a hold on ${a.cardId}</button>
</form>`)
  const body = html`<section id="evidence">
<h2>Alert #${a.alertId}: ${a.rule} on <a href="/dashboard/cards?card=${encodeURIComponent(a.cardId)}">${a.cardId}</a></h2>
<p>Score ${a.score}, ${a.status}, detected ${a.detectedAt}.</p>
<p class="reason">${a.reason}</p>
${a.note ? html`<p>Note: <q>${a.note}</q></p>` : ''}
${figures.length > 0 ? table(['Figure', 'Value'], figures) : ''}
<h3>Triggering events</h3>
${events}
${forms}
</section>`
  return { body }
}

function filters(query: AlertsQuery, rules: string[]): Html {
  const known = [...new Set([...rules, ...(query.rule ? [query.rule] : [])])].sort()
  const option = (value: string, current: string | undefined, label = value) =>
    html`<option value="${value}"${value === (current ?? '') ? raw(' selected') : ''}>${label}</option>`
  return html`<form method="get" action="/dashboard/alerts" class="filters">
<label>Status <select name="status">${['open', 'confirmed', 'dismissed'].map((s) => option(s, query.status ?? 'open'))}</select></label>
<label>Rule <select name="rule">${option('', query.rule, 'any')}${known.map((r) => option(r, query.rule))}</select></label>
<label>Store or city <input name="location" maxlength="80" value="${query.location ?? ''}"></label>
<label>Last days <input name="days" type="number" min="1" max="3650" value="${query.days ?? ''}"></label>
<label>Min score <input name="minScore" type="number" min="0" max="1" step="0.01" value="${query.minScore ?? ''}"></label>
<button type="submit">Filter</button>
</form>`
}

function search(query: AlertsQuery, changes: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries({ ...query, ...changes }))
    if (v !== undefined && v !== '') params.set(k, String(v))
  return `/dashboard/alerts?${params}`
}

const alertLink = (query: AlertsQuery, id: number) => `${search(query, { alert: id })}#evidence`
const pageLink = (query: AlertsQuery, offset: number) => search(query, { offset, alert: undefined })
