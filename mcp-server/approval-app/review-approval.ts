import { z } from 'zod'
import { MAX_ROW_ID } from '../../core/index.ts'
import { APPROVAL_STATUSES, type Approval, whyCannotDecide } from '../../governance/index.ts'
import { defineTool } from '../../tools/index.ts'

/** The longest a fact's value is shown (a reason is bounded when it is filed). */
const MAX_FACT_CHARS = 600

/** review_approval's result: what the approval app shows a manager before they decide. */
export const reviewApprovalOutput = z.object({
  approvalId: z.number(),
  action: z.string(),
  /** What it will do, in words (the request's summary). */
  summary: z.string(),
  /** The requester's own words, verbatim; null when they gave none. */
  reason: z.string().nullable(),
  requestedBy: z.string(),
  requestedVia: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  expired: z.boolean(),
  /** For a hold or a release: whether it takes effect at the POS, and what that means. */
  atThePos: z
    .object({ enforced: z.boolean(), connector: z.string(), effect: z.string() })
    .nullable(),
  /** The card, balance, audience or alert evidence the request carries, as label and value. */
  facts: z.array(z.object({ label: z.string(), value: z.string() })),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decisionReason: z.string().nullable(),
  outcome: z.record(z.string(), z.unknown()).nullable(),
  /** Whether the caller may decide it now (a manager or admin, not the requester, still pending). */
  youMayDecide: z.boolean(),
  /** Why not, when they may not. */
  whyNot: z.string().nullable(),
})
export type ReviewApprovalResult = z.infer<typeof reviewApprovalOutput>

const bounded = (value: unknown) => String(value).slice(0, MAX_FACT_CHARS)
const formatted = (value: unknown) =>
  value &&
  typeof value === 'object' &&
  typeof (value as { formatted?: unknown }).formatted === 'string'
    ? (value as { formatted: string }).formatted
    : undefined

/** The enforcement a hold or release request carries (tools/place-card-hold.ts details). */
function atThePos(details: Record<string, unknown>): ReviewApprovalResult['atThePos'] {
  const e = details.enforcement as
    | { enforced?: unknown; connector?: unknown; effect?: unknown; how?: unknown; why?: unknown }
    | undefined
  if (!e || typeof e !== 'object' || typeof e.enforced !== 'boolean') return null
  const effect = typeof e.effect === 'string' ? e.effect : String(e.enforced ? e.how : e.why)
  return { enforced: e.enforced, connector: bounded(e.connector), effect: bounded(effect) }
}

/** The facts a request's details carry, in the order a manager reads them. */
function factsOf(details: Record<string, unknown>): ReviewApprovalResult['facts'] {
  const facts: ReviewApprovalResult['facts'] = []
  const add = (label: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '')
      facts.push({ label, value: bounded(value) })
  }
  if (typeof details.cardId === 'string')
    add('Card', `${details.cardId}${details.last4 ? ` (…${String(details.last4)})` : ''}`)
  add('Balance', formatted(details.balance))
  add('Held', formatted(details.held))
  add('Hold reason', details.holdReason)
  if (typeof details.targetCount === 'number')
    add('Audience', `${details.targetCount} cards, ${formatted(details.targetLiability) ?? ''}`)
  if (typeof details.contacted === 'number')
    add('Contacted / held out', `${details.contacted} / ${String(details.holdout ?? 0)}`)
  add('Through', details.provider)
  add('Month', details.month)
  const alerts = Array.isArray(details.alerts) ? details.alerts.slice(0, 5) : []
  for (const a of alerts as {
    alertId?: unknown
    rule?: unknown
    score?: unknown
    reason?: unknown
  }[])
    add(
      `Alert #${Number(a.alertId)}`,
      `${String(a.rule)} (score ${Number(a.score)})${a.reason ? `: ${String(a.reason)}` : ''}`,
    )
  return facts
}

/** One approval request as the app shows it, for `actor`. */
export function reviewOf(
  approval: Approval,
  actor: Parameters<typeof whyCannotDecide>[0],
): ReviewApprovalResult {
  const details = approval.details ?? {}
  const whyNot =
    approval.status === 'pending'
      ? whyCannotDecide(actor, approval)
      : `approval #${approval.id} is ${approval.status}${approval.decidedBy ? ` (decided by ${approval.decidedBy})` : ''}; there is nothing to decide`
  return {
    approvalId: approval.id,
    action: approval.action,
    summary: approval.summary,
    reason: approval.reason,
    requestedBy: approval.requestedBy,
    requestedVia: approval.requestedVia,
    createdAt: approval.createdAt,
    expiresAt: approval.expiresAt,
    status: approval.status,
    expired: approval.status === 'expired',
    atThePos: atThePos(details),
    facts: factsOf(details),
    decidedBy: approval.decidedBy,
    decidedAt: approval.decidedAt,
    decisionReason: approval.decisionReason,
    outcome: approval.outcome,
    youMayDecide: whyNot === null,
    whyNot,
  }
}

/**
 * `review_approval` (MCP approval app, docs/mcp.md#approvals-in-the-client): one approval
 * request with the facts a manager decides on. Its MCP definition carries the app's `ui://`
 * resource, so a host that runs MCP Apps shows it with Approve and Reject; any other client
 * reads the same facts as text. A read: it decides nothing.
 */
export const reviewApproval = defineTool({
  name: 'review_approval',
  title: 'Review an approval request',
  description:
    "Show one approval request (a card hold, a release, a campaign launch, a journal posting) so a manager can decide it: what it will do, who asked and their reason word for word, whether a hold takes effect at the POS, the card or audience, and when it expires. In a client that runs MCP Apps it opens the approval card with Approve and Reject buttons; the decision is the manager's click, never the model's. list_approvals gives the ids of pending requests.",
  input: z.object({
    approvalId: z.number().int().positive().max(MAX_ROW_ID).describe('the approval request id'),
  }),
  output: reviewApprovalOutput,
  access: 'read',
  roles: ['manager'],
  pilot: {
    unscoped:
      'the approval queue is governance: managers see every request to decide it; under a pilot only requests on its cards can be filed, and an approved action is checked against the pilot again when it runs',
  },
  run: async (ctx, input) => {
    // A request past its expiry is marked expired before it is shown, as list_approvals does.
    await ctx.approvals.expireDue()
    return reviewOf(await ctx.approvals.get(input.approvalId), ctx.actor)
  },
})
