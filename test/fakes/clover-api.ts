import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export type FakeCloverRequest = {
  method: string
  path: string
  query: URLSearchParams
  authorization?: string
  body?: string
}

export type FakeClover = {
  url: string
  /** Payments by `merchantId/paymentId` (REST v3 shape). */
  payments: Map<string, Record<string, unknown>>
  /** Orders by `merchantId/orderId`. */
  orders: Map<string, Record<string, unknown>>
  /** Gift card token → balance in cents (the Ecommerce gift card API). */
  balances: Map<string, number>
  requests: FakeCloverRequest[]
  /** Statuses to answer the next requests with first; a 429 carries `retry-after: <retryAfter>`. */
  failNext: number[]
  retryAfter: string
  close(): Promise<void>
}

/**
 * A loopback fake of the Clover calls the ledger makes (docs/pos-sources.md): REST API v3
 * `GET /v3/merchants/{mId}/payments/{id}` and `GET /v3/merchants/{mId}/orders/{id}` (bearer
 * token of that merchant, 401 otherwise, 404 `{message}` for an unknown object) and the
 * Ecommerce gift card API `POST /v1/balance_inquiry` with `{source: token}` answering
 * `{status, gift_card: {new_balance, …}}` in cents. 429 carries Clover's `retry-after` (seconds).
 */
export async function startFakeClover(merchants: Record<string, string>): Promise<FakeClover> {
  const state = {
    payments: new Map<string, Record<string, unknown>>(),
    orders: new Map<string, Record<string, unknown>>(),
    balances: new Map<string, number>(),
    requests: [] as FakeCloverRequest[],
    failNext: [] as number[],
    retryAfter: '0',
  }
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    state.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(body ? { body } : {}),
    })
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(payload))
    }
    const failure = state.failNext.shift()
    if (failure)
      return send(
        failure,
        { message: failure === 429 ? 'Too Many Requests' : 'Internal Server Error' },
        failure === 429 ? { 'retry-after': state.retryAfter } : {},
      )
    const token = req.headers.authorization?.replace(/^Bearer /, '')
    const rest = /^\/v3\/merchants\/([^/]+)\/(payments|orders)\/([^/]+)$/.exec(url.pathname)
    if (rest && req.method === 'GET') {
      const [, merchantId, kind, id] = rest
      if (!token || merchants[merchantId as string] !== token)
        return send(401, { message: '401 Unauthorized' })
      const store = kind === 'payments' ? state.payments : state.orders
      const found = store.get(`${merchantId}/${id}`)
      return found ? send(200, found) : send(404, { message: 'Not Found' })
    }
    if (url.pathname === '/v1/balance_inquiry' && req.method === 'POST') {
      if (!token || !Object.values(merchants).includes(token))
        return send(401, { message: '401 Unauthorized' })
      let source: unknown
      try {
        source = (JSON.parse(body) as { source?: unknown }).source
      } catch {
        return send(400, { error: { type: 'invalid_request_error', message: 'body is not JSON' } })
      }
      const balance = typeof source === 'string' ? state.balances.get(source) : undefined
      if (balance === undefined)
        return send(400, {
          error: {
            type: 'invalid_request_error',
            code: 'invalid_card',
            message: 'Invalid gift card token',
          },
        })
      return send(200, {
        status: 'succeeded',
        gift_card: { previous_balance: balance, new_balance: balance, lock_amount: 0 },
      })
    }
    return send(404, { message: 'Not Found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    payments: state.payments,
    orders: state.orders,
    balances: state.balances,
    requests: state.requests,
    get failNext() {
      return state.failNext
    },
    set failNext(v) {
      state.failNext = v
    },
    get retryAfter() {
      return state.retryAfter
    },
    set retryAfter(v) {
      state.retryAfter = v
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
