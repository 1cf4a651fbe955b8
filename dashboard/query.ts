import { z } from 'zod'

/**
 * The pages' query strings, validated before any tool sees them: every value bounded, numbers
 * parsed, blanks dropped (a filter form sends empty fields). A bad value is refused with the
 * field named; the tool then checks its own input again.
 */

const blankToUndefined = (v: unknown) => (v === '' ? undefined : v)
const text = (max: number) => z.preprocess(blankToUndefined, z.string().trim().max(max).optional())
const int = (min: number, max: number) =>
  z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).optional())

export const alertsQuery = z.object({
  status: z.preprocess(blankToUndefined, z.enum(['open', 'confirmed', 'dismissed']).optional()),
  rule: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(40)
      .regex(/^[a-z_]+$/, 'must be a rule name such as card_testing')
      .optional(),
  ),
  location: text(80),
  days: int(1, 3650),
  minScore: z.preprocess(blankToUndefined, z.coerce.number().min(0).max(1).optional()),
  alert: int(1, 2_147_483_647),
  offset: int(0, 1_000_000),
})

export const approvalsQuery = z.object({
  status: z.preprocess(
    blankToUndefined,
    z.enum(['pending', 'approved', 'rejected', 'expired', 'executed', 'failed']).optional(),
  ),
})

export const cardsQuery = z.object({ card: text(40) })

export const campaignsQuery = z.object({
  status: z.preprocess(
    blankToUndefined,
    z.enum(['draft', 'pending_approval', 'launched', 'rejected']).optional(),
  ),
})

export const escheatmentQuery = z.object({
  horizonMonths: int(0, 120),
  jurisdiction: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(5)
      .regex(/^US-[A-Z]{2}$/, 'must look like US-NY')
      .optional(),
  ),
})

export const auditQuery = z.object({
  actor: text(120),
  tool: text(60),
  days: int(1, 3650),
  offset: int(0, 1_000_000),
})

/** The forms' bodies. Notes and reasons are kept verbatim (only bounded and trimmed of nothing). */
export const alertStatusForm = z.object({
  status: z.enum(['confirmed', 'dismissed']),
  note: z.string().max(500, 'a note is at most 500 characters').optional(),
})

export const holdForm = z.object({
  reason: z.string().max(500, 'a reason is at most 500 characters').optional(),
})

export const decisionForm = z.object({
  decision: z.enum(['approve', 'reject']),
  reason: z.string().max(500, 'a reason is at most 500 characters').optional(),
})

export const rowId = z.coerce.number().int().positive().max(2_147_483_647)

/** zod's first issue as `field: problem`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  return issue ? `${issue.path.join('.') || 'input'}: ${issue.message}` : 'invalid input'
}
