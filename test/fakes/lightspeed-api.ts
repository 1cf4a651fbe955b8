import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request as the fake saw it. */
export type FakeLightspeedRequest = { path: string; query: URLSearchParams; authorization?: string }

export type FakeLightspeed = {
  url: string
  /** Gift cards the fake serves (API 2.0 shape); tests may change them between syncs. */
  giftCards: Record<string, unknown>[]
  /** Sales the fake serves; each carries a `version`. Use `saveSale` to bump it as Lightspeed does. */
  sales: Record<string, unknown>[]
  requests: FakeLightspeedRequest[]
  /**
   * Statuses to answer the next requests with before serving normally. A 429 carries
   * `Retry-After` as an HTTP date (what X-Series sends), `retryAfterSeconds` from now.
   */
  failNext: number[]
  retryAfterSeconds: number
  /** Milliseconds to hold back the answer to the next gift card transactions, after they land. */
  answerLate: number[]
  /** Stores a sale (new or changed) with the next global version number. */
  saveSale(sale: Record<string, unknown>): void
  close(): Promise<void>
}

/**
 * A loopback fake of Lightspeed Retail (X-Series) API 2.0 (docs/pos-sources.md):
 * `GET /api/2.0/sales` paged by the `version` cursor (`after` exclusive, `page_size`, the body
 * `{data, version: {min, max}}`, and `{data: []}` past the end); `GET /api/2.0/gift_cards`
 * newest first, paged by `before` (a gift card id, exclusive) with `page_size` at most 200;
 * `GET /api/2.0/gift_cards/{number}`, `GET /api/2.0/gift_cards/by_id/{id}` and `POST
 * /api/2.0/gift_cards/{number}/transactions` (a hold's REDEEMING and its release's RELOADING);
 * bearer auth; 429 with an HTTP-date Retry-After.
 */
export async function startFakeLightspeed(token: string): Promise<FakeLightspeed> {
  let version = 1_000_000
  const state = {
    giftCards: [] as Record<string, unknown>[],
    sales: [] as Record<string, unknown>[],
    requests: [] as FakeLightspeedRequest[],
    failNext: [] as number[],
    retryAfterSeconds: 0,
    answerLate: [] as number[],
  }
  let transactionSeq = 0
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    state.requests.push({
      path: url.pathname,
      query: url.searchParams,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    })
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    const failure = state.failNext.shift()
    if (failure) {
      const headers: Record<string, string> =
        failure === 429
          ? {
              'retry-after': new Date(Date.now() + state.retryAfterSeconds * 1000).toUTCString(),
            }
          : {}
      return send(
        failure,
        failure === 429
          ? { error: 'Too Many Requests', message: 'Rate limiting enforced' }
          : { error: 'Internal Server Error' },
        headers,
      )
    }
    if (req.headers.authorization !== `Bearer ${token}`)
      return send(401, { error: 'Unauthorized', error_description: 'invalid access token' })
    const transactions = /^\/api\/2\.0\/gift_cards\/([^/]+)\/transactions$/.exec(url.pathname)
    if (transactions && req.method === 'POST')
      return createTransaction(decodeURIComponent(transactions[1] ?? ''), body, send)
    if (req.method !== 'GET') return send(405, { error: 'Method Not Allowed' })
    const byId = /^\/api\/2\.0\/gift_cards\/by_id\/([^/]+)$/.exec(url.pathname)
    if (byId) {
      const card = state.giftCards.find((c) => c.id === decodeURIComponent(byId[1] ?? ''))
      return card ? send(200, { data: card }) : send(404, { error: 'Not Found' })
    }
    const pageSize = Math.min(200, Number(url.searchParams.get('page_size') ?? 200))
    if (url.pathname === '/api/2.0/sales') {
      const after = Number(url.searchParams.get('after') ?? 0)
      const page = state.sales
        .filter((s) => (s.version as number) > after)
        .sort((a, b) => (a.version as number) - (b.version as number))
        .slice(0, pageSize)
      if (page.length === 0) return send(200, { data: [] })
      return send(200, {
        data: page,
        version: {
          min: page[0]?.version,
          max: page[page.length - 1]?.version,
        },
      })
    }
    if (url.pathname === '/api/2.0/gift_cards') {
      const before = url.searchParams.get('before')
      const page = [...state.giftCards]
        .sort((a, b) => (String(a.id) < String(b.id) ? 1 : -1))
        .filter((c) => !before || String(c.id) < before)
        .slice(0, pageSize)
      return send(200, { data: page })
    }
    const byNumber = /^\/api\/2\.0\/gift_cards\/([^/]+)$/.exec(url.pathname)
    if (byNumber) {
      const card = state.giftCards.find((c) => c.number === decodeURIComponent(byNumber[1] ?? ''))
      return card ? send(200, { data: card }) : send(404, { error: 'Not Found' })
    }
    return send(404, { error: 'Not Found' })
  })
  /**
   * CreateGiftCardTransaction (`POST /api/2.0/gift_cards/{number}/transactions`): REDEEMING
   * with a negative amount or RELOADING with a positive one, `client_id` required; a short
   * balance is 422. A `client_id` the card already has answers that transaction and moves
   * nothing (**assumed**: X-Series documents `client_id` as the idempotency key, not the answer).
   */
  function createTransaction(
    number: string,
    body: string,
    send: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ) {
    const card = state.giftCards.find((c) => c.number === number)
    if (!card) return send(404, { error: 'Not Found', details: `no gift card ${number}` })
    let request: { type?: unknown; amount?: unknown; client_id?: unknown }
    try {
      request = JSON.parse(body)
    } catch {
      return send(400, { error: 'Bad Request', details: 'the body is not JSON' })
    }
    const { type, amount, client_id: clientId } = request
    if (typeof clientId !== 'string' || clientId === '')
      return send(400, { error: 'Bad Request', details: 'client_id is required' })
    if (typeof amount !== 'number' || !Number.isFinite(amount))
      return send(400, { error: 'Bad Request', details: 'amount must be a number' })
    if (type !== 'REDEEMING' && type !== 'RELOADING')
      return send(400, { error: 'Bad Request', details: 'type must be REDEEMING or RELOADING' })
    if ((type === 'REDEEMING') !== amount < 0 || amount === 0)
      return send(400, {
        error: 'Bad Request',
        details: 'a REDEEMING amount must be negative, a RELOADING one positive',
      })
    const list = (card.gift_card_transactions ?? []) as Record<string, unknown>[]
    card.gift_card_transactions = list
    const earlier = list.find((t) => t.client_id === clientId)
    if (earlier) return send(200, { data: earlier })
    const balance = Number(card.balance)
    if (balance + amount < -1e-9)
      return send(422, { error: 'Unprocessable Entity', details: 'insufficient balance' })
    card.balance = Math.round((balance + amount) * 100) / 100
    const tx = {
      id: `ls-tx-${++transactionSeq}`,
      amount,
      type,
      user_id: null,
      client_id: clientId,
      source: 'API',
      source_id: null,
      created_at: new Date().toISOString(),
    }
    list.push(tx)
    const late = state.answerLate.shift()
    if (late) setTimeout(() => send(201, { data: tx }), late)
    else send(201, { data: tx })
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    get answerLate() {
      return state.answerLate
    },
    get giftCards() {
      return state.giftCards
    },
    set giftCards(v) {
      state.giftCards = v
    },
    get sales() {
      return state.sales
    },
    get requests() {
      return state.requests
    },
    get failNext() {
      return state.failNext
    },
    set failNext(v) {
      state.failNext = v
    },
    get retryAfterSeconds() {
      return state.retryAfterSeconds
    },
    set retryAfterSeconds(v) {
      state.retryAfterSeconds = v
    },
    saveSale(sale) {
      version += 7
      const stored = { ...sale, version }
      const at = state.sales.findIndex((s) => s.id === sale.id)
      if (at >= 0) state.sales[at] = stored
      else state.sales.push(stored)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

export type FakeLightspeedR = {
  url: string
  /** SalePayments as R-Series stores them (strings), each with a `timeStamp`. */
  payments: Record<string, unknown>[]
  requests: FakeLightspeedRequest[]
  /** Statuses to answer the next requests with first; a 429 carries `Retry-After: 1` (seconds). */
  failNext: number[]
  close(): Promise<void>
}

/**
 * A loopback fake of Lightspeed Retail (R-Series) API V3 `GET
 * /API/V3/Account/{accountID}/SalePayment.json` (docs/pos-sources.md): bearer auth, `sort`,
 * `limit` (at most 100), the `timeStamp=>=,<time>` filter, `load_relations=["PaymentType"]`,
 * `@attributes.next` / `previous` as full URLs with an opaque `after`, and a list of one sent
 * as a bare object, as R-Series does.
 */
export async function startFakeLightspeedR(
  accountId: string,
  token: string,
): Promise<FakeLightspeedR> {
  const state = {
    payments: [] as Record<string, unknown>[],
    requests: [] as FakeLightspeedRequest[],
    failNext: [] as number[],
  }
  const PAYMENT_TYPES: Record<string, { type: string; name: string }> = {
    '1': { type: 'cash', name: 'Cash' },
    '3': { type: 'credit card', name: 'Credit Card' },
    '5': { type: 'gift card', name: 'Gift Card' },
  }
  let base = ''
  const server = createServer(async (req, res) => {
    for await (const _ of req) {
      // drain
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    state.requests.push({
      path: url.pathname,
      query: url.searchParams,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    })
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    const failure = state.failNext.shift()
    if (failure)
      return send(
        failure,
        { httpCode: String(failure), message: 'injected' },
        failure === 429 ? { 'retry-after': '1' } : {},
      )
    if (req.headers.authorization !== `Bearer ${token}`)
      return send(401, {
        httpCode: '401',
        httpMessage: 'Unauthorized',
        message: 'Invalid access token.',
      })
    if (url.pathname !== `/API/V3/Account/${accountId}/SalePayment.json`)
      return send(404, { httpCode: '404', message: 'Not Found' })
    const filter = url.searchParams.get('timeStamp')
    const since = filter?.startsWith('>=,') ? Date.parse(filter.slice(3)) : undefined
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 100))
    const withType = (url.searchParams.get('load_relations') ?? '').includes('PaymentType')
    const matching = state.payments
      .filter((p) => since === undefined || Date.parse(p.timeStamp as string) >= since)
      .sort((a, b) => Date.parse(a.timeStamp as string) - Date.parse(b.timeStamp as string))
    const after = url.searchParams.get('after')
    const offset = after ? Number(Buffer.from(after, 'base64url').toString()) : 0
    const page = matching
      .slice(offset, offset + limit)
      .map((p) => (withType ? { ...p, PaymentType: PAYMENT_TYPES[p.paymentTypeID as string] } : p))
    const next = new URL(url.pathname, base)
    for (const [k, v] of url.searchParams) if (k !== 'after') next.searchParams.set(k, v)
    next.searchParams.set('after', Buffer.from(String(offset + limit)).toString('base64url'))
    const attributes = {
      next: offset + limit < matching.length ? next.toString() : '',
      previous: '',
    }
    if (page.length === 0) return send(200, { '@attributes': attributes })
    return send(200, { '@attributes': attributes, SalePayment: page.length === 1 ? page[0] : page })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  base = `http://127.0.0.1:${port}`
  return {
    url: base,
    payments: state.payments,
    requests: state.requests,
    get failNext() {
      return state.failNext
    },
    set failNext(v) {
      state.failNext = v
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
