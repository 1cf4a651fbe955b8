import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export type FakeSquare = {
  url: string
  /** Activities the fake serves; tests may push more between syncs. */
  activities: Record<string, unknown>[]
  /** Every request, as the fake saw it. */
  requests: { path: string; query: URLSearchParams; authorization?: string; version?: string }[]
  /** Statuses to answer the next requests with, before serving normally (429 carries Retry-After: 0). */
  failNext: number[]
  close(): Promise<void>
}

/**
 * A loopback fake of Square's ListGiftCardActivities (GET /v2/gift-cards/activities): bearer
 * auth, `begin_time` (inclusive), `sort_order`, `limit` and an opaque `cursor`, and errors in
 * Square's shape. Listens on 127.0.0.1 and stops with `close`.
 */
export async function startFakeSquare(
  token: string,
  activities: Record<string, unknown>[] = [],
): Promise<FakeSquare> {
  const fake: Omit<FakeSquare, 'url' | 'close'> = { activities, requests: [], failNext: [] }
  const server = createServer((req: IncomingMessage, res) => {
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
    if (req.method !== 'GET' || url.pathname !== '/v2/gift-cards/activities')
      return send(404, { errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND' }] })
    if (req.headers.authorization !== `Bearer ${token}`)
      return send(401, {
        errors: [
          {
            category: 'AUTHENTICATION_ERROR',
            code: 'UNAUTHORIZED',
            detail: 'This request could not be authorized.',
          },
        ],
      })
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    ...fake,
    get activities() {
      return fake.activities
    },
    get failNext() {
      return fake.failNext
    },
    set failNext(v) {
      fake.failNext = v
    },
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
