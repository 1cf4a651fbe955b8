import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export type FakeShopifyAdmin = {
  url: string
  /** Location nodes the `locations` query serves (as the Admin GraphQL API shapes them). */
  locations: Record<string, unknown>[]
  /** Every request: its path, access token and GraphQL variables. */
  requests: { path: string; token?: string; variables: Record<string, unknown> }[]
  close(): Promise<void>
}

/**
 * A loopback fake of Shopify's Admin GraphQL API, as far as the `locations` query goes:
 * `POST /admin/api/<version>/graphql.json` with `X-Shopify-Access-Token`, a body of
 * `{ query, variables: { first, after } }`, and the connection's `nodes` and
 * `pageInfo { hasNextPage endCursor }` (an opaque cursor). A wrong token gets Shopify's 401;
 * a query for anything else gets a GraphQL error. Listens on 127.0.0.1 and stops with `close`.
 */
export async function startFakeShopifyAdmin(token: string): Promise<FakeShopifyAdmin> {
  const locations: Record<string, unknown>[] = []
  const requests: FakeShopifyAdmin['requests'] = []
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(json))
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    let parsed: { query?: string; variables?: Record<string, unknown> } = {}
    try {
      parsed = JSON.parse(body)
    } catch {
      // Left empty: answered as a bad query below.
    }
    requests.push({
      path: url.pathname,
      token: req.headers['x-shopify-access-token'] as string | undefined,
      variables: parsed.variables ?? {},
    })
    if (req.method !== 'POST' || !/^\/admin\/api\/\d{4}-\d{2}\/graphql\.json$/.test(url.pathname))
      return send(404, { errors: 'Not Found' })
    if (req.headers['x-shopify-access-token'] !== token)
      return send(401, {
        errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
      })
    if (!parsed.query?.includes('locations('))
      return send(200, { errors: [{ message: 'this fake answers the locations query only' }] })
    const first = Number(parsed.variables?.first ?? 0)
    if (!Number.isInteger(first) || first < 1 || first > 250)
      return send(200, {
        errors: [{ message: 'The first argument must be between 1 and 250.' }],
      })
    const after = parsed.variables?.after
    const from = typeof after === 'string' ? Number(Buffer.from(after, 'base64').toString()) : 0
    const nodes = locations.slice(from, from + first)
    const next = from + nodes.length
    return send(200, {
      data: {
        locations: {
          nodes,
          pageInfo: {
            hasNextPage: next < locations.length,
            endCursor: nodes.length > 0 ? Buffer.from(String(next)).toString('base64') : null,
          },
        },
      },
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    locations,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
