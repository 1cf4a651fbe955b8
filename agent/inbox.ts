import type { HumanInterrupt, HumanResponse } from '@langchain/langgraph/prebuilt'
import { z } from 'zod'
import { describeError } from '../core/index.ts'
import type { ApprovalService } from '../governance/index.ts'
import type { PendingApproval } from '../tools/index.ts'
import { describeOutcome } from './outcome.ts'

/**
 * The approval interrupt as LangGraph Studio's Agent Inbox reads it (docs/agent.md#langgraph-
 * studio): `action_request`, `config` and `description` of `HumanInterrupt`
 * (@langchain/langgraph/prebuilt), beside the approval facts every face already uses
 * (`kind: 'approval'`, `approvals`). Accept approves, a response rejects with its text as the
 * reason, ignore stops the thread waiting; edit is never offered, since an approval runs exactly
 * the arguments that were requested. The decision goes through the approval service, so the
 * four-eyes rule holds (a manager other than the requester).
 */
export type ApprovalInterrupt = HumanInterrupt & {
  kind: 'approval'
  approvals: PendingApproval[]
}

/** What a manager's decision made on another face resumes the thread with. */
export type ApprovalResume = {
  decisions: {
    approvalId: number
    status: string
    decidedBy: string | null
    outcome: Record<string, unknown> | null
    message: string
  }[]
}

export function approvalInterrupt(pending: readonly PendingApproval[]): ApprovalInterrupt {
  const one = pending.length === 1 ? pending[0] : undefined
  return {
    kind: 'approval',
    approvals: [...pending],
    action_request: {
      action: one ? one.action : 'approve_requests',
      args: {
        approvalIds: pending.map((p) => p.approvalId),
        ...(one ? { details: one.details } : { summaries: pending.map((p) => p.summary) }),
      },
    },
    config: { allow_accept: true, allow_respond: true, allow_ignore: true, allow_edit: false },
    description: [
      `**${pending.length === 1 ? 'Approval' : 'Approvals'} waiting**: accept to approve, respond to reject with your reason, ignore to stop this thread waiting (the request stays pending). ${pending[0]?.approvers ?? ''}`,
      ...pending.map((p) => `- #${p.approvalId} ${p.summary} (expires ${p.expiresAt})`),
    ].join('\n'),
  }
}

const decisionsSchema = z.object({
  decisions: z
    .array(
      z.object({
        approvalId: z.number().int().positive(),
        status: z.string().max(40),
        decidedBy: z.string().max(200).nullable(),
        outcome: z.record(z.string(), z.unknown()).nullable(),
        message: z.string().max(20_000),
      }),
    )
    .max(50),
})

const inboxResponseSchema = z.object({
  type: z.enum(['accept', 'ignore', 'response', 'edit']),
  args: z.union([z.null(), z.string().max(1000), z.record(z.string(), z.unknown())]).optional(),
})

/** A resume value: today's decisions, or Agent Inbox's response (alone or in its list). */
export const resumeSchema = z.union([
  decisionsSchema,
  inboxResponseSchema,
  z.array(inboxResponseSchema).min(1).max(20),
])

export type Resume =
  | { kind: 'decisions'; value: ApprovalResume }
  | { kind: 'inbox'; value: HumanResponse }
  | { kind: 'invalid'; problem: string }

export function readResume(raw: unknown): Resume {
  const parsed = resumeSchema.safeParse(raw)
  if (!parsed.success)
    return {
      kind: 'invalid',
      problem: `${parsed.error.issues[0]?.path.join('.') || 'value'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    }
  const v = parsed.data
  if ('decisions' in v) return { kind: 'decisions', value: v }
  const response = (Array.isArray(v) ? v[0] : v) as z.infer<typeof inboxResponseSchema>
  return { kind: 'inbox', value: { type: response.type, args: (response.args ?? null) as never } }
}

/**
 * Carries out an Agent Inbox response as `actor` through the approval service, one line per
 * approval for the thread. A refusal (not a manager, the requester, already decided) is said,
 * never thrown: the thread ends its wait with the reason.
 */
export async function answerInbox(
  approvals: ApprovalService | undefined,
  context: { actor: { id: string; role: string }; via: string },
  pending: readonly PendingApproval[],
  response: HumanResponse,
): Promise<string[]> {
  const ids = pending.map((p) => `#${p.approvalId}`).join(', ')
  if (response.type === 'ignore')
    return [
      `This thread no longer waits on ${ids}; it stays pending for a manager to decide elsewhere.`,
    ]
  if (response.type === 'edit')
    return [
      `An approval runs exactly the arguments that were requested, so it cannot be edited; ${ids} stays pending. Ask again with the change to file a new request.`,
    ]
  if (!approvals) return [`Decisions cannot be made from here; ${ids} stays pending.`]
  const decision = response.type === 'accept' ? 'approve' : 'reject'
  const reason = typeof response.args === 'string' ? response.args.trim().slice(0, 500) : ''
  const lines: string[] = []
  for (const p of pending) {
    try {
      const result = await approvals.decide(p.approvalId, {
        actor: context.actor as Parameters<ApprovalService['decide']>[1]['actor'],
        via: context.via as Parameters<ApprovalService['decide']>[1]['via'],
        decision,
        reason: reason === '' ? null : reason,
      })
      lines.push(result.changed ? describeOutcome(result.approval) : result.message)
    } catch (err) {
      lines.push(`Approval #${p.approvalId} was not decided: ${describeError(err)}`)
    }
  }
  return lines
}
