import { html, raw } from 'hono/html'
import { refusal, table } from '../html.ts'
import { type Data, type PageContext, type PageResult, statusOf } from '../page.ts'

/** Campaigns: the drafts and launches (list_campaigns), with counts by status. */
export async function campaignsPage(
  ctx: PageContext,
  status: string | undefined,
): Promise<PageResult> {
  const outcome = await ctx.run('list_campaigns', { ...(status ? { status } : {}), limit: 50 })
  const filter = html`<form method="get" action="/dashboard/campaigns" class="filters">
<label>Status <select name="status"><option value="">any</option>
${['draft', 'pending_approval', 'launched', 'rejected'].map(
  (s) => html`<option value="${s}"${s === status ? raw(' selected') : ''}>${s}</option>`,
)}
</select></label>
<button type="submit">Show</button>
</form>`
  if (!outcome.ok)
    return { body: html`${filter}${refusal(outcome.error)}`, status: statusOf(outcome.error.code) }
  const d: Data = outcome.data
  const counts = Object.entries(d.counts as Record<string, number>)
    .map(([k, v]) => `${v} ${k.replace('_', ' ')}`)
    .join(', ')
  return {
    body: html`${filter}<p>${counts}.</p>
${table(
  [
    '#',
    'Name',
    'Status',
    'Audience',
    'Cards',
    'Their balance',
    'Predicted uptake',
    'Created by',
    'Launched',
  ],
  (d.items as Data[]).map((c) => [
    `#${c.campaignId}`,
    c.name,
    c.status,
    c.audience,
    c.targetCount,
    c.targetLiability?.formatted ?? '',
    typeof c.predictedUptake === 'number' ? `${(c.predictedUptake * 100).toFixed(1)}%` : '—',
    c.createdBy,
    c.launchedAt ?? '—',
  ]),
  'No campaign yet (the agent drafts them: "draft a campaign for cards idle 90 days").',
)}`,
  }
}
