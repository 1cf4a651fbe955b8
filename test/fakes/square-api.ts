import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export type FakeSquare = {
  url: string
  /** Activities the fake serves; tests may push more between syncs. */
  activities: Record<string, unknown>[]
  /** Locations ListLocations serves (GET /v2/locations, every one in one answer). */
  locations: Record<string, unknown>[]
  /** Customers ListCustomers serves (GET /v2/customers, paged by `limit` and `cursor`). */
  customers: Record<string, unknown>[]
  /** Every request, as the fake saw it. */
  requests: { path: string; query: URLSearchParams; authorization?: string; version?: string }[]
  /** Activities created through CreateGiftCardActivity, once per idempotency key. */
  created: { idempotencyKey: string; activity: Record<string, unknown> }[]
  /** Statuses to answer the next requests with, before serving normally (429 carries Retry-After: 0). */
  failNext: number[]
  /**
   * Gift card balances in cents by card id, for RetrieveGiftCard (GET /v2/gift-cards/{id}); the
   * adjustments a hold makes move them, as Square does. A card not listed is NOT_FOUND.
   */
  balances: Record<string, number>
  /**
   * Milliseconds to hold back the answer to the next CreateGiftCardActivity requests, after the
   * activity is made: the caller times out although the move landed.
   */
  answerLate: number[]
  close(): Promise<void>
}

/**
 * A loopback fake of Square's gift card API: ListGiftCardActivities (GET
 * /v2/gift-cards/activities) with bearer auth, `begin_time` (inclusive), `sort_order`, `limit`
 * and an opaque `cursor`; CreateGiftCardActivity (POST) for the adjustments a hold makes, once
 * per `idempotency_key` (a key reused with another request is IDEMPOTENCY_KEY_REUSED; a
 * decrement past the balance INSUFFICIENT_FUNDS, **assumed** code); RetrieveGiftCard (GET
 * /v2/gift-cards/{id}) for the cards in `balances`. Also ListLocations (GET /v2/locations: `{ locations }`, no paging) and ListCustomers (GET
 * /v2/customers: `limit` 1–100, advisory, default 100, an opaque `cursor`, `{ customers,
 * cursor? }`), as Square documents them. Errors in Square's shape. Listens on 127.0.0.1 and
 * stops with `close`.
 */
export async function startFakeSquare(
  token: string,
  activities: Record<string, unknown>[] = [],
): Promise<FakeSquare> {
  const fake: Omit<FakeSquare, 'url' | 'close'> = {
    activities,
    locations: [],
    customers: [],
    requests: [],
    created: [],
    failNext: [],
    balances: {},
    answerLate: [],
  }
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    fake.requests.push({
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      version: req.headers['square-version'] as string | undefined,
    })
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    const failure = fake.failNext.shift()
    if (failure)
      return send(
        failure,
        {
          errors: [
            {
              category: 'API_ERROR',
              code: failure === 429 ? 'RATE_LIMITED' : 'INTERNAL_SERVER_ERROR',
              detail: 'injected',
            },
          ],
        },
        failure === 429 ? { 'retry-after': '0' } : {},
      )
    const unauthorized = req.headers.authorization !== `Bearer ${token}`
    const retrieve = /^\/v2\/gift-cards\/([^/]+)$/.exec(url.pathname)
    if (retrieve && retrieve[1] !== 'activities' && req.method === 'GET' && !unauthorized) {
      const id = decodeURIComponent(retrieve[1] ?? '')
      const balance = fake.balances[id]
      if (balance === undefined)
        return send(404, {
          errors: [
            { category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND', detail: `no gift card ${id}` },
          ],
        })
      return send(200, {
        gift_card: {
          id,
          type: 'PHYSICAL',
          state: 'ACTIVE',
          balance_money: { amount: balance, currency: 'USD' },
        },
      })
    }
    const paths = ['/v2/gift-cards/activities', '/v2/locations', '/v2/customers']
    if (!paths.includes(url.pathname))
      return send(404, { errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND' }] })
    if (unauthorized)
      return send(401, {
        errors: [
          {
            category: 'AUTHENTICATION_ERROR',
            code: 'UNAUTHORIZED',
            detail: 'This request could not be authorized.',
          },
        ],
      })
    if (req.method === 'POST' && url.pathname === '/v2/gift-cards/activities') {
      const late = fake.answerLate.shift()
      if (!late) return createActivity(body, send)
      // Made now, answered after the caller has given up.
      return createActivity(body, (status, answer, headers) => {
        setTimeout(() => {
          if (!res.destroyed) send(status, answer, headers)
        }, late)
      })
    }
    if (req.method !== 'GET')
      return send(405, {
        errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'METHOD_NOT_ALLOWED' }],
      })
    if (url.pathname === '/v2/locations') return send(200, { locations: fake.locations })
    if (url.pathname === '/v2/customers') {
      const asked = Number(url.searchParams.get('limit') ?? 100)
      // "The limit is ignored if it is less than 1 or greater than 100."
      const size = Number.isInteger(asked) && asked >= 1 && asked <= 100 ? asked : 100
      const at = url.searchParams.get('cursor')
      const from = at ? Number(Buffer.from(at, 'base64url').toString()) : 0
      const more = from + size < fake.customers.length
      return send(200, {
        customers: fake.customers.slice(from, from + size),
        ...(more ? { cursor: Buffer.from(String(from + size)).toString('base64url') } : {}),
      })
    }
    const begin = url.searchParams.get('begin_time')
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 50))
    const descending = url.searchParams.get('sort_order') === 'DESC'
    const matching = fake.activities
      .filter((a) => !begin || Date.parse(a.created_at as string) >= Date.parse(begin))
      .sort(
        (a, b) =>
          (descending ? -1 : 1) *
          (Date.parse(a.created_at as string) - Date.parse(b.created_at as string)),
      )
    const cursor = url.searchParams.get('cursor')
    const offset = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0
    const page = matching.slice(offset, offset + limit)
    const next =
      offset + limit < matching.length
        ? Buffer.from(String(offset + limit)).toString('base64url')
        : undefined
    return send(200, { gift_card_activities: page, ...(next ? { cursor: next } : {}) })
  })
  /** CreateGiftCardActivity for the adjustments a hold makes, checked as Square checks them. */
  function createActivity(
    body: string,
    send: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ) {
    const invalid = (detail: string, field?: string) =>
      send(400, {
        errors: [
          {
            category: 'INVALID_REQUEST_ERROR',
            code: 'INVALID_VALUE',
            detail,
            ...(field ? { field } : {}),
          },
        ],
      })
    let request: {
      idempotency_key?: string
      gift_card_activity?: Record<string, unknown> & {
        type?: string
        location_id?: string
        gift_card_id?: string
      }
    }
    try {
      request = JSON.parse(body)
    } catch {
      return invalid('the body is not JSON')
    }
    const key = request.idempotency_key
    const activity = request.gift_card_activity
    if (!key) return invalid('idempotency_key is required', 'idempotency_key')
    const earlier = fake.created.find((c) => c.idempotencyKey === key)
    if (earlier) {
      // Square: a key reused with a different request is refused, not answered.
      const same = ['type', 'gift_card_id', 'location_id'].every(
        (f) => earlier.activity[f] === activity?.[f],
      )
      const detailsOf = (a: Record<string, unknown> | undefined) =>
        JSON.stringify(a?.[`${String(a?.type).toLowerCase()}_activity_details`])
      if (!same || detailsOf(earlier.activity) !== detailsOf(activity))
        return send(400, {
          errors: [
            {
              category: 'INVALID_REQUEST_ERROR',
              code: 'IDEMPOTENCY_KEY_REUSED',
              detail: 'the idempotency key was used with a different request',
            },
          ],
        })
      return send(200, { gift_card_activity: earlier.activity })
    }
    if (!activity?.location_id || !activity.gift_card_id)
      return invalid('location_id and gift_card_id are required', 'gift_card_activity')
    const reasons: Record<string, string[]> = {
      ADJUST_DECREMENT: [
        'SUSPICIOUS_ACTIVITY',
        'BALANCE_ACCIDENTALLY_INCREASED',
        'SUPPORT_ISSUE',
        'PURCHASE_WAS_REFUNDED',
      ],
      ADJUST_INCREMENT: ['COMPLIMENTARY', 'SUPPORT_ISSUE', 'TRANSACTION_VOIDED'],
    }
    const allowed = reasons[activity.type ?? '']
    if (!allowed) return invalid(`type ${String(activity.type)} cannot be created here`, 'type')
    const details = activity[`${String(activity.type).toLowerCase()}_activity_details`] as
      | { amount_money?: { amount?: number; currency?: string }; reason?: string }
      | undefined
    if (!details?.amount_money?.amount || details.amount_money.amount <= 0)
      return invalid('amount_money.amount must be positive', 'amount_money')
    if (!details.reason || !allowed.includes(details.reason))
      return invalid(
        `reason ${String(details.reason)} is not allowed for ${activity.type}`,
        'reason',
      )
    const balance = fake.balances[activity.gift_card_id]
    const amount = details.amount_money.amount
    if (balance !== undefined) {
      if (activity.type === 'ADJUST_DECREMENT' && amount > balance)
        return send(400, {
          errors: [
            {
              category: 'INVALID_REQUEST_ERROR',
              code: 'INSUFFICIENT_FUNDS',
              detail: `the gift card has ${balance} cents`,
            },
          ],
        })
      fake.balances[activity.gift_card_id] =
        activity.type === 'ADJUST_DECREMENT' ? balance - amount : balance + amount
    }
    const created = {
      ...activity,
      id: `gcact_${fake.created.length + 1}`,
      created_at: new Date().toISOString(),
      gift_card_balance_money: {
        amount: fake.balances[activity.gift_card_id] ?? 0,
        currency: details.amount_money.currency ?? 'USD',
      },
    }
    fake.created.push({ idempotencyKey: key, activity: created })
    return send(200, { gift_card_activity: created })
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    ...fake,
    get activities() {
      return fake.activities
    },
    get locations() {
      return fake.locations
    },
    get customers() {
      return fake.customers
    },
    get failNext() {
      return fake.failNext
    },
    set failNext(v) {
      fake.failNext = v
    },
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
