import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

/**
 * The approval app's view (docs/mcp.md#approvals-in-the-client): one self-contained HTML page the
 * host loads in a sandboxed iframe. Nothing is fetched at runtime (the spec's default CSP allows
 * inline scripts and no network): the ext-apps `App` class is inlined from the package's own
 * dependency-free bundle (`@modelcontextprotocol/ext-apps/app-with-deps`), then the view's code.
 *
 * The page holds no data. The host hands it review_approval's result (`ui/notifications/tool-result`,
 * its structuredContent), and every fact is HTML-escaped by `esc` before it is shown (a reason
 * may hold `<script>`). Approve and Reject ask for a confirmation, then call decide_approval
 * through the host (`app.callServerTool`) and show the review again, as it now stands.
 */

/**
 * The view's rendering: pure functions of a review (no DOM), run by the page and by the tests
 * (test/mcp/approval-app.test.ts evaluates this very text). Plain ES2017; no template literals,
 * since it is kept in one.
 */
export const VIEW_RENDER = `
var ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(value) {
  return String(value === null || value === undefined ? '' : value).replace(/[&<>"']/g, function (c) {
    return ESCAPES[c];
  });
}
function when(iso) {
  var t = Date.parse(iso);
  return isNaN(t) ? String(iso) : new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}
function row(label, value, kind) {
  return '<div class="row' + (kind ? ' ' + esc(kind) : '') + '"><dt>' + esc(label) + '</dt><dd>' + esc(value) + '</dd></div>';
}
function renderReview(r, ui) {
  ui = ui || {};
  var h = '<header><h1>Approval #' + esc(r.approvalId) + ' <span class="status">' + esc(r.status) + '</span></h1>';
  h += '<p class="summary">' + esc(r.summary) + '</p></header><dl>';
  h += row('Requested by', r.requestedBy + ' via ' + r.requestedVia + ', ' + when(r.createdAt));
  h += row("Reason (the requester's words)", r.reason === null ? 'no reason given' : r.reason, r.reason === null ? 'none' : 'verbatim');
  if (r.atThePos)
    h += row('At the POS', (r.atThePos.enforced ? 'enforced (' + r.atThePos.connector + ')' : 'ledger only') + ': ' + r.atThePos.effect, r.atThePos.enforced ? 'enforced' : 'warning');
  for (var i = 0; i < r.facts.length; i++) h += row(r.facts[i].label, r.facts[i].value);
  h += row(r.expired ? 'Expired' : 'Expires', when(r.expiresAt), r.expired ? 'warning' : '');
  if (r.decidedBy)
    h += row('Decided', r.status + ' by ' + r.decidedBy + ' at ' + when(r.decidedAt) + (r.decisionReason ? ': ' + r.decisionReason : ''));
  h += '</dl>';
  if (ui.message) h += '<p class="message" role="status">' + esc(ui.message) + '</p>';
  if (ui.error) h += '<p class="error" role="alert">' + esc(ui.error) + '</p>';
  var off = ui.busy ? ' disabled' : '';
  if (r.youMayDecide && ui.confirming) {
    var approving = ui.confirming === 'approve';
    h += '<p class="confirm">' + (approving ? 'Approve' : 'Reject') + ' approval #' + esc(r.approvalId) + '? ' +
      (approving ? 'It runs at once, exactly once.' : 'Nothing will change.') + '</p>';
    h += '<label for="decision-reason">Your reason (optional, kept word for word)</label>';
    h += '<textarea id="decision-reason" maxlength="2000" rows="2"></textarea>';
    h += '<div class="actions"><button type="button" class="' + (approving ? 'approve' : 'reject') + '" data-confirm="' + (approving ? 'approve' : 'reject') + '"' + off + '>Confirm</button>';
    h += '<button type="button" data-cancel' + off + '>Cancel</button></div>';
  } else if (r.youMayDecide) {
    h += '<div class="actions"><button type="button" class="approve" data-decision="approve"' + off + '>Approve</button>';
    h += '<button type="button" class="reject" data-decision="reject"' + off + '>Reject</button></div>';
  } else if (r.whyNot) {
    h += '<p class="note">' + esc(r.whyNot) + '</p>';
  }
  return h;
}
function textOf(result) {
  var parts = (result && result.content) || [];
  var text = '';
  for (var i = 0; i < parts.length; i++) if (parts[i].type === 'text') text += (text ? ' ' : '') + parts[i].text;
  return text.slice(0, 2000);
}
`

/** The view's wiring to the host: the App, its tool-result handler and the buttons. */
const VIEW_WIRING = `
var root = document.getElementById('review');
var review = null;
var ui = {};
function show() {
  root.innerHTML = review ? renderReview(review, ui) : '<p class="' + (ui.error ? 'error' : 'note') + '">' + esc(ui.error || 'Waiting for the approval request…') + '</p>';
}
var app = new ExtApps.App({ name: 'giftcards-approval-review', version: '1.0.0' }, {}, { autoResize: true });
app.ontoolresult = function (result) {
  if (result.isError || !result.structuredContent) ui = { error: textOf(result) || 'The request could not be read.' };
  else { review = result.structuredContent; ui = {}; }
  show();
};
app.onhostcontextchanged = function (context) {
  if (context.styles && context.styles.variables) ExtApps.applyHostStyleVariables(context.styles.variables);
};
async function decide(decision, reason) {
  ui = { busy: true, confirming: decision };
  show();
  var args = { approvalId: review.approvalId, decision: decision };
  if (reason) args.reason = reason;
  try {
    var result = await app.callServerTool({ name: 'decide_approval', arguments: args });
    var said = result.isError ? { error: textOf(result) } : { message: result.structuredContent.message };
    var fresh = await app.callServerTool({ name: 'review_approval', arguments: { approvalId: review.approvalId } });
    if (!fresh.isError && fresh.structuredContent) review = fresh.structuredContent;
    ui = said;
  } catch (err) {
    ui = { error: 'The decision did not reach the server: ' + String((err && err.message) || err).slice(0, 300) };
  }
  show();
}
root.addEventListener('click', function (event) {
  var button = event.target.closest('button');
  if (!button || button.disabled || !review) return;
  if (button.dataset.decision) { ui = { confirming: button.dataset.decision }; show(); }
  else if (button.hasAttribute('data-cancel')) { ui = {}; show(); }
  else if (button.dataset.confirm) {
    var typed = document.getElementById('decision-reason');
    decide(button.dataset.confirm, typed && typed.value.trim() ? typed.value.slice(0, 2000) : undefined);
  }
});
show();
app.connect().then(function () {
  var context = app.getHostContext();
  if (context && context.styles && context.styles.variables) ExtApps.applyHostStyleVariables(context.styles.variables);
}, function (err) {
  ui = { error: 'Could not connect to the host: ' + String((err && err.message) || err).slice(0, 300) };
  show();
});
`

const STYLE = `
:root { color-scheme: light dark; }
body { margin: 0; padding: 12px 16px; font: 14px/1.45 var(--font-sans, system-ui, sans-serif);
  color: var(--color-text-primary, CanvasText); background: var(--color-background-primary, Canvas); }
h1 { font-size: 16px; margin: 0 0 4px; }
.status { font-size: 12px; font-weight: normal; padding: 1px 6px; border-radius: 8px;
  border: 1px solid var(--color-border-secondary, GrayText); }
.summary { margin: 0 0 8px; }
dl { margin: 0; }
.row { display: grid; grid-template-columns: 12em 1fr; gap: 8px; padding: 3px 0;
  border-top: 1px solid var(--color-border-tertiary, rgba(128,128,128,.25)); }
dt { color: var(--color-text-secondary, GrayText); }
dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.warning dd { color: var(--color-text-warning, #a15c00); }
.actions { display: flex; gap: 8px; margin-top: 10px; }
button { font: inherit; padding: 5px 14px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--color-border-primary, GrayText); background: transparent; color: inherit; }
button.approve { background: var(--color-background-success, #1f7a3a); color: #fff; border-color: transparent; }
button.reject { background: var(--color-background-danger, #b3261e); color: #fff; border-color: transparent; }
button[disabled] { opacity: .5; cursor: default; }
textarea { display: block; width: 100%; box-sizing: border-box; font: inherit; margin-top: 4px; }
.error { color: var(--color-text-danger, #b3261e); }
.note, .message { color: var(--color-text-secondary, GrayText); }
`

/**
 * The ext-apps bundle made inline-able: its closing `export{a as App,…}` becomes a local object
 * of the two names the view uses, so bundle and view share one module script.
 */
export function inlineExtApps(bundle: string): string {
  const tail = /export\s*\{([^}]*)\};?\s*$/.exec(bundle)
  if (!tail?.[1]) throw new Error('ext-apps: app-with-deps.js no longer ends with an export list')
  const names = new Map(
    tail[1].split(',').map((pair) => {
      const [local, exported] = pair.trim().split(/\s+as\s+/)
      return [exported ?? local, local] as const
    }),
  )
  const picked = ['App', 'applyHostStyleVariables'].map((name) => {
    const local = names.get(name)
    if (!local) throw new Error(`ext-apps: app-with-deps.js does not export ${name}`)
    return `${name}: ${local}`
  })
  // An inline script ends at the first `</script`; the bundle must not hold one.
  if (/<\/script|<!--/i.test(bundle)) throw new Error('ext-apps: the bundle cannot be inlined')
  return `${bundle.slice(0, tail.index)}\nconst ExtApps = { ${picked.join(', ')} };\n`
}

let cached: string | undefined

/** The view's HTML, built once per process from the installed ext-apps bundle. */
export function approvalViewHtml(): string {
  if (cached) return cached
  const require = createRequire(import.meta.url)
  const bundle = readFileSync(
    require.resolve('@modelcontextprotocol/ext-apps/app-with-deps'),
    'utf8',
  )
  cached = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Approval request</title>
<style>${STYLE}</style>
</head>
<body>
<main id="review" aria-live="polite"><p class="note">Waiting for the approval request…</p></main>
<script type="module">
// @modelcontextprotocol/ext-apps (MIT), app-with-deps bundle, inlined: the view fetches nothing.
${inlineExtApps(bundle)}
${VIEW_RENDER}
${VIEW_WIRING}
</script>
</body>
</html>
`
  return cached
}
