import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export type BrazeRequest = {
  method: string
  path: string
  authorization?: string
  contentType?: string
  body: Record<string, unknown>
}

export type FakeBraze = {
  url: string
  requests: BrazeRequest[]
  close(): Promise<void>
}

/**
 * A loopback fake of Braze's `POST /campaigns/trigger/send` (API-triggered delivery): a
 * `Bearer` REST API key, a `campaign_id`, `recipients` of at most 50 objects each naming one
 * `external_user_id`, and `broadcast` false when recipients are given. Answers
 * `201 { dispatch_id, message: "success" }`, or `400 { message }` as Braze does for a bad body.
 * https://www.braze.com/docs/api/endpoints/messaging/send_messages/post_send_triggered_campaigns/
 */
export async function startFakeBraze(apiKey: string, campaignId: string): Promise<FakeBraze> {
  const fake: FakeBraze = { url: '', requests: [], close: async () => {} }
  let dispatches = 0
  const server = createServer(async (req, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(raw)
    } catch {
      // Answered as a bad body below.
    }
    fake.requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body,
    })
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(json))
    }
    if (req.method !== 'POST' || req.url !== '/campaigns/trigger/send')
      return send(404, { message: 'Not found' })
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return send(401, { message: 'Invalid API key' })
    if (body.campaign_id !== campaignId) return send(400, { message: 'Invalid campaign_id' })
    const recipients = body.recipients
    if (!Array.isArray(recipients) || recipients.length === 0 || recipients.length > 50)
      return send(400, { message: 'recipients must hold 1 to 50 objects' })
    if (
      !recipients.every(
        (r) => typeof (r as { external_user_id?: unknown }).external_user_id === 'string',
      )
    )
      return send(400, { message: 'each recipient needs an external_user_id' })
    if (body.broadcast !== false && body.broadcast !== undefined)
      return send(400, { message: 'broadcast must be false when recipients are given' })
    dispatches++
    return send(201, { dispatch_id: `dispatch_${dispatches}`, message: 'success' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return fake
}
