import { z } from 'zod'
import { describeOutcome } from '../../agent/index.ts'
import { GiftCardError } from '../../core/index.ts'
import {
  APPROVAL_STATUSES,
  type ApprovalStatus,
  type Decision,
  type Resumed,
} from '../../governance/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { intOption, parseOptions } from '../options.ts'
import { actorFor, withToolkit } from '../session.ts'

const listOptions = z.object({
  status: z
    .enum(APPROVAL_STATUSES, { error: `must be one of ${APPROVAL_STATUSES.join(', ')}` })
    .optional(),
  json: z.boolean().default(false),
})
const decideOptions = z.object({
  id: intOption(1, Number.MAX_SAFE_INTEGER),
  as: z.string().optional(),
  reason: z.string().min(1).max(2000).optional(),
  json: z.boolean().default(false),
})
const resumeOptions = z.object({ json: z.boolean().default(false) })

/**
 * The states in which a decision has had its effect. Any other outcome (the request expired, or
 * was decided the other way) exits 1 with the reason; an approval that ran and failed exits 1 too.
 */
const AIMED_AT: Record<'approve' | 'reject', readonly ApprovalStatus[]> = {
  approve: ['executed'],
  reject: ['rejected'],
}

export async function runApprovalsList(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(listOptions, raw)
  const rows = await withToolkit(ctx(), (kit) =>
    kit.approvals.list(options.status ? { status: options.status, limit: 200 } : { limit: 200 }),
  )
  if (options.json) {
    console.log(JSON.stringify(rows, null, 2))
    return
  }
  if (rows.length === 0) console.log('No approval requests.')
  for (const a of rows)
    console.log(
      `#${a.id}  ${a.status.padEnd(8)}  ${a.summary}  (requested by ${a.requestedBy} via ${a.requestedVia}${a.decidedBy ? `; ${a.status} by ${a.decidedBy}` : `; expires ${a.expiresAt}`})`,
    )
}

export async function runApprovalsDecide(
  ctx: () => CliContext,
  decision: 'approve' | 'reject',
  id: string,
  raw: Flags,
): Promise<void> {
  const options = parseOptions(decideOptions, { ...raw, id })
  const approvalId = options.id
  const context = ctx()
  const result = await withToolkit(context, async (kit, database) =>
    kit.approvals.decide(approvalId, {
      actor: await actorFor(context, database, options.as),
      via: 'cli',
      decision,
      reason: options.reason ?? null,
    }),
  )
  reportDecision(decision, result, options.json)
}

export async function runApprovalsResume(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(resumeOptions, raw)
  const context = ctx()
  const resumed = await withToolkit(context, async (kit, database) => {
    const runner = await actorFor(context, database, undefined)
    return kit.approvals.resumeApproved({ id: runner.id, role: runner.role, via: 'cli' })
  })
  if (options.json) console.log(JSON.stringify(resumed, null, 2))
  else if (resumed.length === 0) console.log('No approved request was left unexecuted.')
  else for (const r of resumed) console.log(describeResumed(r))
  if (resumed.some((r) => r.error || r.approval.status === 'failed')) process.exitCode = 1
}

/**
 * Prints a decision. One that did not take effect (an expired request, one decided the other
 * way) is an error: one line on stderr and exit 1, like every refusal of the CLI.
 */
function reportDecision(decision: 'approve' | 'reject', result: Decision, json: boolean): void {
  const reached = AIMED_AT[decision].includes(result.approval.status)
  if (json) console.log(JSON.stringify(result, null, 2))
  else if (reached || result.approval.status === 'failed') {
    console.log(result.message)
    // What a hold did at the till: enforced at the POS and how, or ledger only (issue 23).
    if (
      result.changed &&
      result.approval.status === 'executed' &&
      HOLDS.includes(result.approval.action)
    )
      console.log(describeOutcome(result.approval))
  } else throw new GiftCardError('CONFLICT', result.message)
  if (!reached) process.exitCode = 1
}

const HOLDS = ['place_card_hold', 'release_card_hold']

function describeResumed({ approval, error }: Resumed): string {
  if (error) return `#${approval.id}  still approved: ${error}; run again to retry`
  const failure =
    approval.status === 'failed' ? `: ${String(approval.outcome?.error ?? 'unknown error')}` : ''
  return `#${approval.id}  ${approval.status}${failure}  ${approval.summary}  (approved by ${approval.decidedBy})`
}
