import { z } from 'zod'
import { MAX_ROW_ID } from '../core/index.ts'
import { APPROVAL_STATUSES } from '../governance/index.ts'
import { chainCalendar } from './chain-calendar.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'

/** list_approvals' result: the requests, newest first, with their decision and outcome. */
export const listApprovalsOutput = z.object({
  since: z.string().optional(),
  timezone: z.string().optional(),
  approvals: z.array(
    z.object({
      approvalId: z.number(),
      action: z.string(),
      summary: z.string(),
      reason: z.string().nullable(),
      status: z.enum(APPROVAL_STATUSES),
      requestedBy: z.string(),
      requestedVia: z.string(),
      createdAt: z.string(),
      expiresAt: z.string(),
      decidedBy: z.string().nullable(),
      decidedAt: z.string().nullable(),
      decisionReason: z.string().nullable(),
      outcome: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
})
export type ListApprovalsResult = z.infer<typeof listApprovalsOutput>

export const listApprovals = defineTool({
  name: 'list_approvals',
  title: 'List approval requests',
  description:
    'Approval requests for write actions (card holds, releases, campaign launches), newest first: what each will do, who asked, its status (pending, approved, rejected, expired, executed, failed), who decided and the outcome. Filter by status and since (a chain calendar day the request was filed on or after), or give one id.',
  input: z.object({
    status: z.enum(APPROVAL_STATUSES).optional().describe('only this status'),
    approvalId: z
      .number()
      .int()
      .positive()
      .max(MAX_ROW_ID)
      .optional()
      .describe('just this approval'),
    since: z
      .string()
      .max(10)
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
      .optional()
      .describe('only requests filed on or after this chain calendar day'),
    limit: z.number().int().min(1).max(100).default(20).describe('requests'),
  }),
  output: listApprovalsOutput,
  access: 'read',
  roles: ALL_ROLES,
  pilot: {
    unscoped:
      'the approval queue is governance: managers see every request to decide it; under a pilot only requests on its cards can be filed, and an approved hold is checked against the pilot again when it runs',
  },
  run: async (ctx, input) => {
    const calendar = await chainCalendar(ctx)
    const approvals =
      input.approvalId !== undefined
        ? [await ctx.approvals.get(input.approvalId)]
        : await ctx.approvals.list({
            ...(input.status ? { status: input.status } : {}),
            ...(input.since ? { since: calendar.start(input.since) } : {}),
            limit: input.limit,
          })
    return {
      ...(input.since ? { since: input.since, timezone: calendar.timezone } : {}),
      approvals: approvals.map((a) => ({
        approvalId: a.id,
        action: a.action,
        summary: a.summary,
        reason: a.reason,
        status: a.status,
        requestedBy: a.requestedBy,
        requestedVia: a.requestedVia,
        createdAt: a.createdAt,
        expiresAt: a.expiresAt,
        decidedBy: a.decidedBy,
        decidedAt: a.decidedAt,
        // The manager's own words when they gave a reason for the decision.
        decisionReason: a.decisionReason,
        outcome: a.outcome,
      })),
    }
  },
})
