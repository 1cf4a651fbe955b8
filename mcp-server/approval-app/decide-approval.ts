import { z } from 'zod'
import { GiftCardError, MAX_ROW_ID } from '../../core/index.ts'
import { APPROVAL_STATUSES, type ApprovalStatus } from '../../governance/index.ts'
import { defineTool } from '../../tools/index.ts'

/** decide_approval's result: what the decision did. */
export const decideApprovalOutput = z.object({
  approvalId: z.number(),
  decision: z.enum(['approve', 'reject']),
  /** False when it had been decided already (a second click): nothing changed. */
  changed: z.boolean(),
  status: z.enum(APPROVAL_STATUSES),
  message: z.string(),
  outcome: z.record(z.string(), z.unknown()).nullable(),
})
export type DecideApprovalResult = z.infer<typeof decideApprovalOutput>

/**
 * Where a decision has had its effect (as `giftcards approvals approve|reject`): an approval that
 * is still `approved` is running, or stays for `giftcards approvals resume`; it was not refused.
 */
const TOOK_EFFECT: Record<'approve' | 'reject', readonly ApprovalStatus[]> = {
  approve: ['executed', 'failed', 'approved'],
  reject: ['rejected'],
}

/**
 * `decide_approval`: the approval app's Approve and Reject buttons (mcp-server/approval-app/view.ts),
 * calling ApprovalService.decide as the MCP session's actor, via `mcp`. The service holds every
 * rule: a manager or admin other than the requester, exactly once, never after expiry. Refused:
 * an expired request, or one decided the other way (CONFLICT), and anyone else (FORBIDDEN).
 * Offered only to clients that run MCP Apps, and to the app only (`visibility: ["app"]`): a
 * host does not hand it to the model (docs/mcp.md#approvals-in-the-client).
 */
export const decideApproval = defineTool({
  name: 'decide_approval',
  title: 'Approve or reject an approval request',
  description:
    "The approval card's Approve and Reject buttons: decides one pending approval request as the manager who clicked. Only a manager or an admin other than the requester may decide; an approved request runs at once, exactly once; an expired one is refused.",
  input: z.object({
    approvalId: z.number().int().positive().max(MAX_ROW_ID).describe('the approval request id'),
    decision: z
      .enum(['approve', 'reject'])
      .describe('approve runs the action; reject changes nothing'),
    reason: z
      .string()
      .max(2000)
      .optional()
      .describe("the manager's own words on the decision, verbatim; omit when they gave none"),
  }),
  output: decideApprovalOutput,
  access: 'direct',
  roles: ['manager'],
  pilot: {
    unscoped:
      'a decision is governance: the approved action is checked against the pilot again when it runs',
  },
  run: async (ctx, input) => {
    const reason = input.reason?.trim() ? input.reason : null
    const decided = await ctx.approvals.decide(input.approvalId, {
      actor: ctx.actor,
      via: ctx.via,
      decision: input.decision,
      reason,
    })
    const { approval } = decided
    if (!decided.changed && !TOOK_EFFECT[input.decision].includes(approval.status))
      throw new GiftCardError('CONFLICT', decided.message)
    return {
      approvalId: approval.id,
      decision: input.decision,
      changed: decided.changed,
      status: approval.status,
      message: decided.message,
      outcome: approval.outcome,
    }
  },
})
