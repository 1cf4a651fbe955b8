import { html } from 'hono/html'
import { chart, type Html, money, refusal, table, tile } from '../html.ts'
import type { Data, PageContext, PageResult } from '../page.ts'

/**
 * The overview: what is owed now and by state, pending approvals, open alerts and how fresh
 * each source is, rendered at once from index-backed reads; the series (liability over time,
 * the forecast with its 80% band, redemptions by month, alerts by rule) are charts the browser
 * draws from /dashboard/charts/NAME.json, and the breakage forecast's table (with the ASC 606
 * schedule) is a fragment fetched when it is opened, so the slow forecast (200 bootstrap fits)
 * never holds up the page's first byte and runs once per view, for its chart.
 */
export async function overviewPage(ctx: PageContext): Promise<PageResult> {
  const [liability, alerts, approvals] = await Promise.all([
    ctx.run('get_liability', { groupBy: 'jurisdiction', top: 10 }),
    ctx.run('list_fraud_alerts', { status: 'open', limit: 1 }),
    ctx.run('list_approvals', { status: 'pending', limit: 10 }),
  ])
  if (!liability.ok) return { body: refusal(liability.error), status: 403 }
  const l: Data = liability.data
  const openAlerts: Data = alerts.ok ? alerts.data : null
  const pending: Data[] = approvals.ok ? (approvals.data as Data).approvals : []
  const tiles = html`<div class="tiles">
${tile('Liability now', money(l.total), `${l.cards} cards with a balance`)}
${tile('Open alerts', openAlerts ? String(openAlerts.total) : '—')}
${tile('Pending approvals', approvals.ok ? String(pending.length) : '—')}
${tile('Ledger up to', l.ledgerUpTo ? `${String(l.ledgerUpTo).slice(0, 16).replace('T', ' ')} UTC` : 'no transactions', `days in ${l.timezone}`)}
</div>`
  const byState = table(
    ['State', 'Cards', 'Liability'],
    (l.rows as Data[]).map((r) => [r.key, r.cards, money(r.liability)]),
    'Nothing is owed.',
  )
  const freshness = table(
    ['Source', 'Newest event', 'Lag'],
    ((l.freshness?.sources ?? []) as Data[]).map((s) => [
      s.source,
      s.lastEventAt ?? '—',
      lag(s.lagSeconds),
    ]),
    'No source has sent an event yet.',
  )
  const approvalsTable = table(
    ['#', 'Action', 'Summary', 'Requested by', 'Expires'],
    pending.map((a) => [a.approvalId, a.action, a.summary, a.requestedBy, a.expiresAt]),
    'No request is waiting.',
  )
  const body = html`${tiles}
${l.freshness?.warning ? html`<p class="notice refused">${l.freshness.warning}</p>` : ''}
<div class="grid">
${chart('liability-trend', 'Liability at each month end')}
${chart('liability-by-state', 'Liability by state')}
${chart('forecast', 'Expected redemptions, with the 80% band')}
${chart('redemptions-by-month', 'Redemptions by month')}
${chart('alerts-by-rule', 'Alerts raised by rule, by month')}
</div>
<section><h2>Liability by state</h2>${byState}</section>
<section><h2>Breakage forecast and ASC 606 schedule</h2>
<p>The forecast chart above draws expected redemptions with the 80% band and the breakage
recognised each month; the same figures as a table:</p>
<details data-fragment="/dashboard/overview/forecast"><summary>Show the month-by-month schedule</summary>
<div class="fragment"><p><a href="/dashboard/overview/forecast">Open the schedule</a></p></div></details>
</section>
<section><h2>Pending approvals</h2>${approvalsTable}</section>
<section><h2>Data freshness</h2>${freshness}</section>`
  return { body, charts: true }
}

/**
 * The forecast fragment: the twelve months ahead, expected redemptions with the 80% band and
 * the breakage recognised each month in proportion to redemptions (ASC 606-10-55-48,
 * docs/domain.md).
 */
export async function forecastFragment(ctx: PageContext): Promise<PageResult> {
  const outcome = await ctx.run('forecast_breakage', { horizonMonths: 12, topCards: 0 })
  if (!outcome.ok) return { body: refusal(outcome.error), status: 403 }
  const f: Data = outcome.data
  const body: Html = html`<p>Outstanding ${money(f.outstanding)} on ${f.openCards} cards;
expected redemptions over ${f.horizonMonths} months ${money(f.expectedRedemptions)};
ultimate breakage ${money(f.ultimateBreakage)} (${pct(f.ultimateBreakageRate)} of value loaded).</p>
${table(
  ['Month', 'Expected redemptions', 'Low (10%)', 'High (90%)', 'Breakage recognised'],
  (f.monthly as Data[]).map((m) => [
    m.month,
    money(m.expected),
    money(m.low),
    money(m.high),
    money(m.breakageRecognised),
  ]),
  'No open card: nothing to forecast.',
)}`
  return { body }
}

function pct(rate: unknown): string {
  return typeof rate === 'number' ? `${(rate * 100).toFixed(1)}%` : '—'
}

/** Seconds of lag as the largest whole unit: 45 s, 12 min, 3 h, 31 days. */
export function lag(seconds: unknown): string {
  if (typeof seconds !== 'number') return '—'
  if (seconds < 120) return `${Math.round(seconds)} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`
  return `${Math.round(seconds / 86_400)} days`
}
