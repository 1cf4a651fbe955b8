import { describeError, GiftCardError, type Logger } from '../core/index.ts'

/** How a POS API client retries and where it sends its requests (tests pass their own). */
export type RetryPolicy = {
  /** Tries per request before giving up on 429 / 5xx / network errors (default 6). */
  maxAttempts?: number
  /** First backoff delay; doubles each retry (a Retry-After header wins). Default 500 ms. */
  backoffMs?: number
  /** The longest a Retry-After is waited for (default 5 minutes); longer answers wait this long. */
  maxWaitMs?: number
  fetch?: typeof fetch
  sleep?: (ms: number) => Promise<void>
  logger?: Logger
  /** Called before each retry with the wait (reports count retries with it). */
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void
}

/** What one POS API request is: for the error messages and the log. */
export type ApiRequest = {
  /** The platform, as a person names it (`Lightspeed`, `Clover`). */
  service: string
  /** What the request does, as the platform's docs name it (`ListGiftCards`). */
  operation: string
  url: URL
  init: RequestInit
}

/** The answer to a request: its status and parsed JSON (`undefined` for an empty body). */
export type ApiResponse = { status: number; json: unknown }

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * How long a `Retry-After` header asks to wait, in ms: either delay-seconds (`"30"`, what
 * Clover and most APIs send) or an HTTP date (`"Wed, 21 Oct 2026 07:28:00 GMT"`, RFC 9110
 * §10.2.3, what Lightspeed X-Series sends, docs/pos-sources.md). Undefined when absent or
 * unreadable; never negative.
 */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}

/**
 * Sends one request to a POS API and returns its JSON, retrying 429 and 5xx answers and
 * network errors with exponential backoff (a `Retry-After` header, in seconds or as a date,
 * sets the wait). Other 4xx answers are returned to the caller, which decides (a 404 may mean
 * "deleted"). Gives up after `maxAttempts` with INTERNAL; a 2xx body that is not JSON is
 * INVALID_INPUT naming the operation, never quoting the body.
 */
export async function requestJson(request: ApiRequest, policy: RetryPolicy): Promise<ApiResponse> {
  const doFetch = policy.fetch ?? fetch
  const sleep = policy.sleep ?? defaultSleep
  const attempts = policy.maxAttempts ?? 6
  const maxWait = policy.maxWaitMs ?? 300_000
  let delay = policy.backoffMs ?? 500
  for (let attempt = 1; ; attempt++) {
    let reason: string
    let wait = delay
    try {
      const response = await doFetch(request.url, request.init)
      const text = await response.text()
      if (response.status !== 429 && response.status < 500) {
        return { status: response.status, json: parseBody(text, request, response.ok) }
      }
      reason = `HTTP ${response.status}`
      const asked = retryAfterMs(response.headers.get('retry-after'))
      if (asked !== undefined) wait = Math.min(asked, maxWait)
    } catch (err) {
      if (err instanceof GiftCardError) throw err
      reason = describeError(err)
    }
    if (attempt >= attempts)
      throw new GiftCardError(
        'INTERNAL',
        `${request.service}'s API kept failing ${request.operation} (${reason}) after ${attempts} tries`,
      )
    policy.onRetry?.({ attempt, waitMs: wait, reason })
    policy.logger?.warn(
      { service: request.service, operation: request.operation, attempt, reason, waitMs: wait },
      `retrying ${request.service}`,
    )
    await sleep(wait)
    delay *= 2
  }
}

function parseBody(text: string, request: ApiRequest, ok: boolean): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    if (!ok) return undefined
    throw new GiftCardError(
      'INVALID_INPUT',
      `${request.service} answered ${request.operation} with something that is not JSON`,
    )
  }
}

/** A short, bounded description of an error body for a message (never the whole body). */
export function errorDetail(json: unknown): string {
  if (json === undefined || json === null) return 'no details'
  const text = typeof json === 'string' ? json : JSON.stringify(json)
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}
