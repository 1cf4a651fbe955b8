import { html, raw } from 'hono/html'
import { csrfField, type Html, refusal, table } from '../html.ts'
import { type Data, type PageContext, type PageResult, statusOf } from '../page.ts'

/**
 * Approvals: the requests for write actions, newest first. Managers and admins see approve and
 * reject on each pending one; the decision goes to the same approval service as Slack and the
 * CLI (a manager other than the requester; an approval executes exactly once), which refuses a
 * requester deciding their own request with its own words.
 */
export async function approvalsPage(
  ctx: PageContext,
  status: string | undefined,
): Promise<PageResult> {
  const outcome = await ctx.run('list_approvals', { ...(status ? { status } : {}), limit: 50 })
  const filter = html`<form method="get" action="/dashboard/approvals" class="filters">
<label>Status <select name="status">
<option value="">any</option>
${['pending', 'approved', 'rejected', 'expired', 'executed', 'failed'].map(
  (s) => html`<option value="${s}"${s === status ? raw(' selected') : ''}>${s}</option>`,
)}
</select></label>
<button type="submit">Show</button>
</form>`
  if (!outcome.ok)
    return { body: html`${filter}${refusal(outcome.error)}`, status: statusOf(outcome.error.code) }
  const approvals: Data[] = (outcome.data as Data).approvals
  const rows = approvals.map((a) => [
    `#${a.approvalId}`,
    a.action,
    html`${a.summary}${a.reason ? html`<br><small>Reason: <q>${a.reason}</q></small>` : ''}`,
    `${a.requestedBy} (${a.requestedVia})`,
    html`<span class="status ${a.status}">${a.status}</span>${a.decidedBy ? html`<br><small>by ${a.decidedBy}${a.decisionReason ? html`: <q>${a.decisionReason}</q>` : ''}</small>` : ''}`,
    a.status === 'pending' ? `expires ${a.expiresAt}` : (a.decidedAt ?? a.createdAt),
    decideCell(ctx, a),
  ])
  const note = ctx.canDecide
    ? html`<p>You may decide requests made by someone else.</p>`
    : html`<p>Only a manager other than the requester decides a request.</p>`
  return {
    body: html`${filter}${note}${table(
      ['#', 'Action', 'What it does', 'Requested by', 'Status', 'When', ''],
      rows,
      'No approval request matches.',
    )}`,
  }
}

function decideCell(ctx: PageContext, a: Data): Html | string {
  if (!ctx.canDecide || !ctx.csrfToken || a.status !== 'pending') return ''
  const id = Number(a.approvalId)
  return html`<form method="post" action="/dashboard/approvals/${id}/decide" class="decide">
${csrfField(ctx.csrfToken)}
<input name="reason" maxlength="500" placeholder="reason (optional)" aria-label="reason for #${id}">
<button type="submit" name="decision" value="approve">Approve #${id}</button>
<button type="submit" name="decision" value="reject">Reject #${id}</button>
</form>`
}
