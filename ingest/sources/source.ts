import { createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { GiftCardError, isTooFarAhead, majorToCents } from '../../core/index.ts'
import type { Normalized } from '../apply.ts'

/** What a verified delivery is: its idempotency key, its type and what it means for the ledger. */
export type ParsedDelivery = {
  eventId: string
  eventType: string
  /** `ignored` for an event type the ledger has no use for. */
  normalized: Normalized | 'ignored'
}

/**
 * One POS webhook source. `verify` checks the signature over the raw bytes; `parse` turns the
 * raw body into a delivery (and is run again by a replay, from the stored body and type).
 */
export interface WebhookSource {
  readonly name: 'square' | 'shopify' | 'generic' | 'clover'
  verify(rawBody: string, headers: Headers): boolean
  parse(rawBody: string, headers: Headers | { eventType: string }): ParsedDelivery
}

/** HMAC-SHA256 of `message` under `key`, in the given encoding. */
export function hmac(key: string, message: string, encoding: 'base64' | 'hex'): string {
  return createHmac('sha256', key).update(message, 'utf8').digest(encoding)
}

/** Compares two signatures in constant time (different lengths are simply unequal). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** Parses JSON and a zod schema, or throws INVALID_INPUT naming the field that is wrong. */
export function parseBody<T extends z.ZodType>(rawBody: string, schema: T): z.infer<T> {
  return parseAs(parseJson(rawBody), schema)
}

/** A delivery's JSON, or INVALID_INPUT (a body read against several schemas is parsed once). */
export function parseJson(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody)
  } catch {
    throw new GiftCardError('INVALID_INPUT', 'body is not valid JSON')
  }
}

/**
 * Checks parsed JSON against a zod schema, or throws INVALID_INPUT naming the field that is
 * wrong. Schemas are built once, at module level: zod compiles each on its first parse, which
 * costs more than the parse.
 */
export function parseAs<T extends z.ZodType>(json: unknown, schema: T): z.infer<T> {
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue?.path.length ? issue.path.join('.') : 'body'
    throw new GiftCardError('INVALID_INPUT', `${path}: ${issue?.message ?? 'is invalid'}`)
  }
  return parsed.data
}

/** An amount in major units (`"12.50"` or `12.5`) as integer cents; more than two decimals is refused. */
export const majorAmount = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return majorToCents(value)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) })
    return z.NEVER
  }
})

/**
 * When an event happened, as a POS sends it: an ISO 8601 timestamp, at most a day ahead of
 * the clock (MAX_FUTURE_MS). One event dated 9999-12-31 froze its card's balance and moved the
 * ledger's watermark (issue 17); the 400 names the field.
 */
export const eventTimestamp = z.iso
  .datetime({ offset: true })
  .refine((at) => !isTooFarAhead(at), 'is more than a day in the future')
