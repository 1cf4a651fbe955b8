import { z } from 'zod'
import { type Config, describeError, GiftCardError } from '../core/index.ts'
import type { QuickBooksJournalEntry } from './formats.ts'

export type QuickBooksConfig = Config['finance']['quickbooks']

/** How the client sends (tests pass a fetch and a sleep that does not wait). */
export type QuickBooksOptions = {
  fetch?: typeof fetch
  sleep?: (ms: number) => Promise<void>
  /** Tries on a network error, 429 or 5xx before giving up (default 4). */
  maxAttempts?: number
  timeoutMs?: number
}

/** What QuickBooks answers a create with (the fields kept; the rest is stored as sent). */
const created = z.object({
  JournalEntry: z.object({
    Id: z.string().min(1).max(64),
    SyncToken: z.string().max(64).optional(),
    DocNumber: z.string().max(64).optional(),
  }),
})

/** QuickBooks' error body: `{Fault: {Error: [{Message, Detail, code}], type}}`. */
const fault = z.object({
  Fault: z.object({
    Error: z
      .array(
        z.object({
          Message: z.string().optional(),
          Detail: z.string().optional(),
          code: z.string().optional(),
        }),
      )
      .min(1),
    type: z.string().optional(),
  }),
})

/** Whether posting is configured: a realm and a token. */
export function quickbooksReady(qb: QuickBooksConfig): qb is QuickBooksConfig & {
  realmId: string
  accessToken: string
} {
  return Boolean(qb.realmId && qb.accessToken)
}

/**
 * Creates one journal entry: `POST {base}/v3/company/{realmId}/journalentry?requestid=…` with
 * the bearer token (QuickBooks Online Accounting API, JournalEntry create). The `requestid`
 * makes the call idempotent: QuickBooks answers a repeat of a request id with the first
 * request's result instead of creating a second entry (developer.intuit.com, "REST API
 * features", idempotency), so a retry after a timeout, or after a crash, is safe. Network
 * errors, 429 and 5xx are retried with the same id; a 4xx is reported with QuickBooks' own
 * short message (`Fault.Error[0]`), never the raw body.
 */
export async function createJournalEntry(
  qb: QuickBooksConfig,
  body: QuickBooksJournalEntry,
  requestId: string,
  options: QuickBooksOptions = {},
): Promise<{ id: string; response: unknown }> {
  if (!quickbooksReady(qb))
    throw new GiftCardError(
      'CONFIG_INVALID',
      'QuickBooks is not configured: set QUICKBOOKS_REALM_ID and QUICKBOOKS_ACCESS_TOKEN',
    )
  const url = new URL(`${qb.baseUrl}/v3/company/${encodeURIComponent(qb.realmId)}/journalentry`)
  url.searchParams.set('requestid', requestId)
  url.searchParams.set('minorversion', String(qb.minorVersion))
  const doFetch = options.fetch ?? fetch
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)))
  const attempts = options.maxAttempts ?? 4
  let reason = ''
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(500 * 2 ** (attempt - 2))
    let response: Response
    let text: string
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${qb.accessToken}`,
          accept: 'application/json',
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      })
      text = await response.text()
    } catch (err) {
      reason = describeError(err)
      continue
    }
    if (response.status === 429 || response.status >= 500) {
      reason = `HTTP ${response.status}`
      continue
    }
    const json = parseJson(text)
    if (response.ok) {
      const parsed = created.safeParse(json)
      if (!parsed.success)
        throw new GiftCardError(
          'INTERNAL',
          `QuickBooks answered journalentry ${body.DocNumber} without a JournalEntry Id`,
        )
      return { id: parsed.data.JournalEntry.Id, response: json }
    }
    if (response.status === 401)
      throw new GiftCardError(
        'CONFIG_INVALID',
        'QuickBooks refused the access token (401): refresh QUICKBOOKS_ACCESS_TOKEN',
      )
    const error = fault.safeParse(json)
    const first = error.success ? error.data.Fault.Error[0] : undefined
    const said = first
      ? [first.code, first.Message, first.Detail].filter(Boolean).join(': ').slice(0, 300)
      : 'no error detail'
    throw new GiftCardError(
      'CONFLICT',
      `QuickBooks refused journal entry ${body.DocNumber} (HTTP ${response.status}): ${said}`,
    )
  }
  throw new GiftCardError(
    'INTERNAL',
    `QuickBooks kept failing journalentry ${body.DocNumber} (${reason}) after ${attempts} tries; the same requestid makes a later retry safe`,
  )
}

function parseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
