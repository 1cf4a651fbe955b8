import { html, raw } from 'hono/html'
import type { Actor } from '../governance/index.ts'

/**
 * The page shell and the small pieces every page uses. Everything interpolated into `html```
 * is escaped by Hono (`&<>"'`), so a card id such as `<script>` arrives as text; `raw` is used
 * only for markup written here (docs/dashboard.md "Escaping").
 */

export type Html = ReturnType<typeof html>

/** The pages, in the order of the navigation bar. `tool`: the tool that answers it (its roles). */
export const PAGES = [
  { path: '/dashboard', title: 'Overview', tool: 'get_liability' },
  { path: '/dashboard/alerts', title: 'Alerts', tool: 'list_fraud_alerts' },
  { path: '/dashboard/approvals', title: 'Approvals', tool: 'list_approvals' },
  { path: '/dashboard/cards', title: 'Cards', tool: 'get_gift_card' },
  { path: '/dashboard/campaigns', title: 'Campaigns', tool: 'list_campaigns' },
  { path: '/dashboard/escheatment', title: 'Escheatment', tool: 'escheatment_report' },
  { path: '/dashboard/audit', title: 'Audit', tool: 'get_audit_log' },
] as const

export type PageView = {
  title: string
  path: string
  actor: Actor
  csrfToken: string
  /** The nonce of this response's Content-Security-Policy, for the page's script tags. */
  nonce: string
  /** Which pages the actor's role may open (the others are left out of the navigation). */
  visible: ReadonlySet<string>
  /** A message from the last form post (`?done=` / `?refused=`), shown once at the top. */
  notice?: { kind: 'done' | 'refused'; text: string }
  /** The page has charts: load the Vega bundles and the chart script. */
  charts?: boolean
}

/** The whole page: navigation, who is signed in, the sign-out form, the notice, the body. */
export function layout(view: PageView, body: Html): Html {
  const nav = PAGES.filter((p) => view.visible.has(p.path)).map(
    (p) =>
      html`<a href="${p.path}"${p.path === view.path ? raw(' aria-current="page"') : ''}>${p.title}</a>`,
  )
  const scripts = view.charts
    ? html`<script src="/dashboard/assets/vega.min.js" nonce="${view.nonce}"></script>
<script src="/dashboard/assets/vega-lite.min.js" nonce="${view.nonce}"></script>
<script src="/dashboard/assets/vega-embed.min.js" nonce="${view.nonce}"></script>
<script type="importmap" nonce="${view.nonce}">{"imports":{"vega-util":"/dashboard/assets/vega-util.js","vega-interpreter":"/dashboard/assets/vega-interpreter.js"}}</script>
<script type="module" src="/dashboard/assets/dashboard.js" nonce="${view.nonce}"></script>`
    : ''
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${view.title} · Gift cards</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
${scripts}
</head>
<body>
<header>
<strong>Gift cards</strong>
<nav>${nav}</nav>
<form method="post" action="/dashboard/sign-out" class="who">
<span>${view.actor.id} (${view.actor.role})</span>
${csrfField(view.csrfToken)}
<button type="submit">Sign out</button>
</form>
</header>
<main>
<h1>${view.title}</h1>
${view.notice ? html`<p class="notice ${view.notice.kind}" role="status">${view.notice.text}</p>` : ''}
${body}
</main>
</body>
</html>`
}

/** The hidden field every form post carries (checked against the session's token). */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="csrf" value="${token}">`
}

/** A tool's refusal or failure, as the page shows it: the code and the tool's own message. */
export function refusal(error: { code: string; message: string }): Html {
  return html`<p class="notice refused" role="alert"><b>${error.code}</b>: ${error.message}</p>`
}

/** A table from rows of cells; an empty list says so instead of drawing an empty table. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly unknown[])[],
  empty = 'Nothing to show.',
): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`
  return html`<table>
<thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((cell) => html`<td>${cell as string}</td>`)}</tr>`)}</tbody>
</table>`
}

/** Label and value pairs (a card's facts): a table with its labels as row headers. */
export function facts(rows: readonly (readonly [string, unknown])[]): Html {
  return html`<table class="facts"><tbody>${rows.map(
    ([label, value]) => html`<tr><th scope="row">${label}</th><td>${value as string}</td></tr>`,
  )}</tbody></table>`
}

/** A figure with its label, for the overview's tiles. */
export function tile(label: string, value: string, detail?: string): Html {
  return html`<div class="tile"><span>${label}</span><b>${value}</b>${detail ? html`<small>${detail}</small>` : ''}</div>`
}

/** `{ cents, formatted }` as the tools give money, shown as its formatted text. */
export function money(value: unknown): string {
  if (value && typeof value === 'object' && 'formatted' in value)
    return String((value as { formatted: unknown }).formatted)
  return ''
}

/** A chart drawn in the browser from `/dashboard/charts/NAME.json`, with its PNG as the fallback. */
export function chart(name: string, title: string): Html {
  // The spec draws its own title; the figure names it for screen readers.
  return html`<figure class="chart" aria-label="${title}">
<div class="vega" data-chart="${name}" aria-label="${title}"></div>
<noscript><img src="/dashboard/charts/${name}.png" alt="${title}"></noscript>
</figure>`
}

/** A store as the tools give it (`{ name, city, jurisdiction }`), or a dash. */
export function store(value: unknown): string {
  if (!value || typeof value !== 'object') return '—'
  const s = value as { name?: string; jurisdiction?: string }
  return [s.name, s.jurisdiction].filter(Boolean).join(', ')
}
