import { html } from 'hono/html'
import type { z } from 'zod'
import { refusal, table } from '../html.ts'
import { type Data, type PageContext, type PageResult, statusOf } from '../page.ts'
import type { auditQuery } from '../query.ts'

/** Audit: the chain's verification (get_audit_log with verify) and the newest rows. */
export async function auditPage(
  ctx: PageContext,
  query: z.infer<typeof auditQuery>,
): Promise<PageResult> {
  const form = html`<form method="get" action="/dashboard/audit" class="filters">
<label>Actor <input name="actor" maxlength="120" value="${query.actor ?? ''}"></label>
<label>Tool or action <input name="tool" maxlength="60" value="${query.tool ?? ''}"></label>
<label>Last days <input name="days" type="number" min="1" max="3650" value="${query.days ?? ''}"></label>
<button type="submit">Filter</button>
</form>`
  const outcome = await ctx.run('get_audit_log', {
    ...(query.actor ? { actor: query.actor } : {}),
    ...(query.tool ? { tool: query.tool } : {}),
    ...(query.days ? { days: query.days } : {}),
    verify: true,
    limit: 100,
    offset: query.offset ?? 0,
  })
  if (!outcome.ok)
    return { body: html`${form}${refusal(outcome.error)}`, status: statusOf(outcome.error.code) }
  const d: Data = outcome.data
  const chain: Data = d.chain
  const problems: Data[] = chain?.problems ?? []
  return {
    body: html`${form}
<section><h2>Chain</h2>
<p class="notice ${chain?.ok ? 'done' : 'refused'}">${chain?.ok ? 'Verified' : 'NOT verified'}: ${chain?.summary ?? ''}</p>
${
  problems.length > 0
    ? table(
        ['Kind', 'Row', 'Problem'],
        problems.map((p) => [p.kind, p.id, p.problem]),
      )
    : ''
}
</section>
<section><h2>Log</h2>
${table(
  ['#', 'At', 'Actor', 'Role', 'Via', 'Action', 'Tool', 'Input', 'Result', 'Approval'],
  (d.rows as Data[]).map((r) => [
    r.id,
    r.at,
    r.actor,
    r.role,
    r.via,
    r.action,
    r.tool ?? '',
    JSON.stringify(r.input ?? null).slice(0, 160),
    String(r.result ?? '').slice(0, 120),
    r.approvalId ?? '',
  ]),
  'No audit row matches.',
)}</section>`,
  }
}
