import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export type FakeQuickBooksRequest = {
  method: string
  path: string
  query: URLSearchParams
  authorization?: string
  contentType?: string
  body: unknown
}

export type FakeQuickBooks = {
  url: string
  /** Entries created, in order (what QuickBooks would hold). */
  entries: Record<string, unknown>[]
  requests: FakeQuickBooksRequest[]
  /** Statuses to answer the next requests with first (a 503 before the real answer). */
  failNext: number[]
  close(): Promise<void>
}

const fault = (type: string, code: string, message: string, detail: string) => ({
  Fault: { Error: [{ Message: message, Detail: detail, code }], type },
  time: new Date().toISOString(),
})

/**
 * A loopback fake of QuickBooks Online's JournalEntry create, as the Accounting API documents it:
 * `POST /v3/company/{realmId}/journalentry` with a bearer token (401 `AuthenticationFailed`
 * otherwise), a JSON body whose `TxnDate` is YYYY-MM-DD, whose `Line[]` has at least two lines,
 * each `DetailType: "JournalEntryLineDetail"` with a positive `Amount`, `PostingType` Debit or
 * Credit and an `AccountRef.value` naming an account of the company, debits equal to credits and
 * `DocNumber` of at most 21 characters (400 `ValidationFault` otherwise). A `requestid` seen
 * before is answered with its first answer and creates nothing (the documented idempotency).
 */
export async function startFakeQuickBooks(options: {
  realmId: string
  token: string
  accounts: readonly string[]
}): Promise<FakeQuickBooks> {
  const state = {
    entries: [] as Record<string, unknown>[],
    requests: [] as FakeQuickBooksRequest[],
    failNext: [] as number[],
  }
  const answered = new Map<string, { status: number; payload: unknown }>()
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    let body: unknown
    try {
      body = raw ? JSON.parse(raw) : undefined
    } catch {
      body = raw
    }
    state.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
      body,
    })
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(payload))
    }
    const failure = state.failNext.shift()
    if (failure)
      return send(
        failure,
        fault('SystemFault', '10000', 'An application error has occurred', 'try again'),
      )
    if (req.method !== 'POST' || url.pathname !== `/v3/company/${options.realmId}/journalentry`)
      return send(404, fault('ValidationFault', '610', 'Object Not Found', url.pathname))
    if (req.headers.authorization !== `Bearer ${options.token}`)
      return send(401, fault('AUTHENTICATION', '3200', 'message=AuthenticationFailed', 'bad token'))
    const requestId = url.searchParams.get('requestid')
    const replay = requestId ? answered.get(requestId) : undefined
    if (replay) return send(replay.status, replay.payload)
    const problem = validate(body, options.accounts)
    const result = problem
      ? {
          status: 400,
          payload: fault(
            'ValidationFault',
            '6000',
            'A business validation error has occurred',
            problem,
          ),
        }
      : (() => {
          const entry = {
            ...(body as Record<string, unknown>),
            Id: String(100 + state.entries.length),
            SyncToken: '0',
            domain: 'QBO',
          }
          state.entries.push(entry)
          return { status: 200, payload: { JournalEntry: entry, time: new Date().toISOString() } }
        })()
    if (requestId) answered.set(requestId, result)
    send(result.status, result.payload)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    entries: state.entries,
    requests: state.requests,
    failNext: state.failNext,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The documented create rules; a problem as QuickBooks would word its Detail, or undefined. */
function validate(body: unknown, accounts: readonly string[]): string | undefined {
  if (typeof body !== 'object' || body === null)
    return 'Request has invalid or unsupported property'
  const b = body as Record<string, unknown>
  if (typeof b.TxnDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(b.TxnDate))
    return 'TxnDate is invalid'
  if (typeof b.DocNumber === 'string' && b.DocNumber.length > 21) return 'DocNumber is too long'
  if (!Array.isArray(b.Line) || b.Line.length < 2) return 'Journal entries need at least two lines'
  let debits = 0
  let credits = 0
  for (const line of b.Line as Record<string, unknown>[]) {
    const detail = line.JournalEntryLineDetail as Record<string, unknown> | undefined
    if (line.DetailType !== 'JournalEntryLineDetail' || !detail) return 'Line DetailType is invalid'
    if (typeof line.Amount !== 'number' || !(line.Amount > 0)) return 'Amount must be positive'
    const account = (detail.AccountRef as { value?: unknown } | undefined)?.value
    if (typeof account !== 'string' || !accounts.includes(account))
      return `Invalid Reference Id: account ${String(account)}`
    const cents = Math.round(line.Amount * 100)
    if (detail.PostingType === 'Debit') debits += cents
    else if (detail.PostingType === 'Credit') credits += cents
    else return 'PostingType is invalid'
  }
  if (debits !== credits) return 'Transactions must balance: debits and credits differ'
  return undefined
}
