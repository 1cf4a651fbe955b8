import { z } from 'zod'
import { GiftCardError, parseDate } from '../core/index.ts'

/**
 * Parses a command's options with zod, so a bad flag gets the same one-line error as a bad
 * environment variable: `INVALID_INPUT: --cards must be …`.
 */
export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const flag = issue?.path.length
    ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} `
    : ''
  throw new GiftCardError('INVALID_INPUT', `${flag}${issue?.message ?? 'is invalid'}`)
}

/** A whole number within bounds, given as text on the command line. */
export function intOption(min: number, max: number) {
  return z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
}

/** A `YYYY-MM-DD` date, as milliseconds at midnight UTC. */
export const dateOption = z.string().transform((text, ctx) => {
  try {
    return parseDate(text)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) })
    return z.NEVER
  }
})

/**
 * A `YYYY-MM-DD` date (or an ISO 8601 timestamp) kept as the text typed: what a report's input
 * is recorded with in the audit. Reports turn it into time with parseDate.
 */
export const dayOption = z
  .string()
  .max(40, { error: 'must be YYYY-MM-DD' })
  .superRefine((text, ctx) => {
    try {
      parseDate(text)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) })
    }
  })
