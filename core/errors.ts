/**
 * The one typed error of the product. Every failure a person or a model may see carries a
 * stable string `code`; each boundary (CLI, HTTP, MCP, Slack, agent) converts it once into
 * its own form and never shows a stack trace.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'INVALID_INPUT',
  'CARD_NOT_FOUND',
  'LOCATION_NOT_FOUND',
  'NOT_FOUND',
  'FORBIDDEN',
  'CONFLICT',
  /** Outside the pilot's stores (PILOT_LOCATIONS / PILOT_JURISDICTIONS, docs/pilot.md). */
  'OUT_OF_SCOPE',
  'DB_UNSUPPORTED',
  'DB_ERROR',
  'INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export class GiftCardError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'GiftCardError'
    this.code = code
    this.details = options.details
  }
}

/** True when `err` is a GiftCardError, optionally of one code. */
export function isGiftCardError(err: unknown, code?: ErrorCode): err is GiftCardError {
  return err instanceof GiftCardError && (code === undefined || err.code === code)
}

/** One line a person can read, for any thrown value: `CODE: message` for our own errors. */
export function describeError(err: unknown): string {
  if (err instanceof GiftCardError) return `${err.code}: ${err.message}`
  if (err instanceof Error) return err.message
  return String(err)
}
