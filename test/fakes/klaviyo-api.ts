import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request as the fake received it: method, path, query, the headers checked, the body. */
export type KlaviyoRequest = {
  method: string
  path: string
  query: Record<string, string>
  authorization?: string
  revision?: string
  contentType?: string
  accept?: string
  body: unknown
}

export type FakeKlaviyo = {
  url: string
  requests: KlaviyoRequest[]
  /** Lists and campaigns it holds, by name (a second launch with the same name finds them). */
  lists: Map<string, string>
  campaigns: Map<string, { id: string; messageId: string; status: string }>
  /** Answer the next call to this path with this status and Klaviyo's error document. */
  failNext?: { path: string; status: number; detail: string }
  close(): Promise<void>
}

/**
 * A loopback fake of Klaviyo's REST API (revision 2026-07-15) for the calls a launch makes:
 * Get/Create Lists, Bulk Import Profiles and Get Bulk Import Profiles Job, Create Template, Get/
 * Create Campaigns, Assign Template to Campaign Message and Create Campaign Send Job. It checks
 * what Klaviyo does (`Authorization: Klaviyo-API-Key KEY`, a `revision` header, a JSON:API body
 * with the right `type`) and answers with JSON:API documents shaped as the API reference shows:
 * 201 on creation, 202 for jobs, `{ errors: [{ status, code, title, detail }] }` on refusal.
 * https://developers.klaviyo.com/en/reference/api_overview
 */
export async function startFakeKlaviyo(apiKey: string): Promise<FakeKlaviyo> {
  let next = 1
  const id = (prefix: string) => `${prefix}${String(next++).padStart(4, '0')}`
  const fake: FakeKlaviyo = {
    url: '',
    requests: [],
    lists: new Map(),
    campaigns: new Map(),
    close: async () => {},
  }
  const server = createServer(async (req, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    let body: unknown = null
    try {
      body = raw ? JSON.parse(raw) : null
    } catch {
      body = raw
    }
    fake.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      revision: req.headers.revision as string | undefined,
      contentType: req.headers['content-type'],
      accept: req.headers.accept,
      body,
    })
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/vnd.api+json' })
      res.end(JSON.stringify(json))
    }
    const error = (status: number, code: string, detail: string) =>
      send(status, { errors: [{ id: 'e1', status, code, title: code, detail, source: {} }] })
    if (req.headers.authorization !== `Klaviyo-API-Key ${apiKey}`)
      return error(401, 'not_authenticated', 'Incorrect authentication credentials.')
    if (!/^\d{4}-\d{2}-\d{2}(\.\w+)?$/.test(String(req.headers.revision ?? '')))
      return error(400, 'invalid', 'A revision header is required.')
    if (fake.failNext && fake.failNext.path === url.pathname) {
      const { status, detail } = fake.failNext
      fake.failNext = undefined
      return error(status, 'invalid', detail)
    }
    const data = (body as { data?: Record<string, unknown> } | null)?.data
    const attributes = (data?.attributes ?? {}) as Record<string, unknown>
    const route = `${req.method} ${url.pathname}`
    if (route === 'GET /api/lists') {
      const filter = url.searchParams.get('filter') ?? ''
      const name = /^equals\(name,"(.*)"\)$/.exec(filter)?.[1]
      const listId = name === undefined ? undefined : fake.lists.get(name)
      return send(200, {
        data: listId ? [{ type: 'list', id: listId, attributes: { name } }] : [],
        links: { self: url.href },
      })
    }
    if (route === 'POST /api/lists') {
      if (data?.type !== 'list' || typeof attributes.name !== 'string')
        return error(400, 'invalid', "data.type must be 'list' with attributes.name")
      const listId = id('L')
      fake.lists.set(attributes.name, listId)
      return send(201, {
        data: { type: 'list', id: listId, attributes: { name: attributes.name } },
      })
    }
    if (route === 'POST /api/profile-bulk-import-jobs') {
      const profiles = (attributes.profiles as { data?: unknown[] } | undefined)?.data
      if (data?.type !== 'profile-bulk-import-job' || !Array.isArray(profiles))
        return error(400, 'invalid', "data.type must be 'profile-bulk-import-job' with profiles")
      if (profiles.length > 10_000) return error(400, 'invalid', 'at most 10,000 profiles a job')
      const jobId = id('J')
      return send(202, {
        data: {
          type: 'profile-bulk-import-job',
          id: jobId,
          attributes: { status: 'queued', total_count: profiles.length },
        },
      })
    }
    if (req.method === 'GET' && url.pathname.startsWith('/api/profile-bulk-import-jobs/'))
      return send(200, {
        data: {
          type: 'profile-bulk-import-job',
          id: url.pathname.split('/').at(-1),
          attributes: { status: 'complete' },
        },
      })
    if (route === 'POST /api/templates') {
      if (data?.type !== 'template' || attributes.editor_type !== 'CODE')
        return error(400, 'invalid', "data.type must be 'template' with editor_type CODE")
      return send(201, { data: { type: 'template', id: id('T'), attributes } })
    }
    if (route === 'GET /api/campaigns') {
      const filter = url.searchParams.get('filter') ?? ''
      if (!filter.includes("equals(messages.channel,'email')"))
        return error(400, 'invalid', 'A channel filter is required.')
      const name = /equals\(name,"(.*)"\)/.exec(filter)?.[1]
      const found = name === undefined ? undefined : fake.campaigns.get(name)
      return send(200, {
        data: found
          ? [
              {
                type: 'campaign',
                id: found.id,
                attributes: { name, status: found.status },
                relationships: {
                  'campaign-messages': {
                    data: [{ type: 'campaign-message', id: found.messageId }],
                  },
                },
              },
            ]
          : [],
      })
    }
    if (route === 'POST /api/campaigns') {
      if (data?.type !== 'campaign' || typeof attributes.name !== 'string')
        return error(400, 'invalid', "data.type must be 'campaign' with a name")
      const campaign = { id: id('C'), messageId: id('M'), status: 'Draft' }
      fake.campaigns.set(attributes.name, campaign)
      return send(201, {
        data: {
          type: 'campaign',
          id: campaign.id,
          attributes: { ...attributes, status: 'Draft' },
          relationships: {
            'campaign-messages': {
              data: [{ type: 'campaign-message', id: campaign.messageId }],
            },
          },
        },
      })
    }
    if (route === 'POST /api/campaign-message-assign-template') {
      if (data?.type !== 'campaign-message') return error(400, 'invalid', 'a campaign-message')
      return send(201, { data: { type: 'campaign-message', id: data.id, attributes: {} } })
    }
    if (route === 'POST /api/campaign-send-jobs') {
      const campaign = [...fake.campaigns.values()].find((c) => c.id === data?.id)
      if (data?.type !== 'campaign-send-job' || !campaign)
        return error(404, 'not_found', 'no such campaign')
      campaign.status = 'Sending'
      return send(202, {
        data: { type: 'campaign-send-job', id: campaign.id, attributes: { status: 'queued' } },
      })
    }
    return error(404, 'not_found', `no route ${route}`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return fake
}
