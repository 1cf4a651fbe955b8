/**
 * A loopback stand-in for Slack (the Web API and Socket Mode) used by the tests and by
 * `giftcards eval --face slack`. It is not part of the product's runtime.
 */
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'

/**
 * The headers Slack signs a request to an app with: `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`
 * under the signing secret, and the timestamp in unix seconds (now, moved by `skewSeconds`).
 */
export function slackRequestHeaders(
  secret: string,
  body: string,
  skewSeconds = 0,
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const timestamp = String(Math.floor(Date.now() / 1000) + skewSeconds)
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp }
}

export type SlackCall = { method: string; args: Record<string, unknown> }

export type FakeSlack = {
  /** The Web API base URL to give the app (SLACK_API_URL), ending in /api/. */
  url: string
  calls: SlackCall[]
  /** Members of each user group (usergroups.users.list). */
  groups: Record<string, string[]>
  /** Calls of one method, oldest first. */
  of(method: string): Record<string, unknown>[]
  /** Socket Mode: sends an envelope to the connected app and resolves with its ack. */
  sendEnvelope(
    type: 'events_api' | 'interactive',
    payload: unknown,
  ): Promise<Record<string, unknown>>
  /** Resolves when a Socket Mode client is connected. */
  connected(): Promise<void>
  close(): Promise<void>
}

/**
 * A loopback fake of the Slack Web API as the WebClient speaks to it: POST /api/<method> with a
 * bearer token and form-encoded (or JSON) arguments, `{ok: true, …}` answers in Slack's shapes,
 * and every call recorded (blocks decoded) for the tests to read.
 */
export async function startFakeSlack(botToken: string, appToken = 'xapp-test'): Promise<FakeSlack> {
  const calls: SlackCall[] = []
  const groups: Record<string, string[]> = {}
  let ts = 1_800_000_000
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? ''
    // apps.connections.open takes the app-level token; everything else the bot token.
    const token = method === 'apps.connections.open' ? appToken : botToken
    if (req.headers.authorization !== `Bearer ${token}`)
      return send({ ok: false, error: 'invalid_auth' })
    const args: Record<string, unknown> = {}
    if ((req.headers['content-type'] ?? '').includes('application/json'))
      Object.assign(args, JSON.parse(raw || '{}'))
    else
      for (const [k, v] of new URLSearchParams(raw)) {
        try {
          args[k] = k === 'blocks' || k === 'view' ? JSON.parse(v) : v
        } catch {
          args[k] = v
        }
      }
    calls.push({ method, args })
    const channel = String(args.channel ?? 'C0')
    switch (method) {
      case 'apps.connections.open':
        return send({
          ok: true,
          url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link/?ticket=t1`,
        })
      case 'auth.test':
        return send({
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'giftcards',
          team_id: 'T1',
          user_id: 'UBOT',
          bot_id: 'B1',
        })
      case 'chat.postMessage': {
        const messageTs = `${++ts}.000100`
        return send({
          ok: true,
          channel,
          ts: messageTs,
          message: { text: args.text, ts: messageTs, thread_ts: args.thread_ts },
        })
      }
      case 'chat.update':
        return send({ ok: true, channel, ts: args.ts, text: args.text })
      case 'chat.postEphemeral':
        return send({ ok: true, message_ts: `${++ts}.000200` })
      case 'views.publish':
        return send({ ok: true, view: { id: 'V1', ...(args.view as object) } })
      case 'conversations.replies':
        return send({ ok: true, messages: [], has_more: false })
      case 'usergroups.users.list':
        return send({ ok: true, users: groups[String(args.usergroup)] ?? [] })
      default:
        return send({ ok: false, error: 'unknown_method' })
    }
  })
  // Socket Mode: Slack says hello, sends envelopes, and expects each acked by its envelope_id.
  const sockets = new WebSocketServer({ server, path: '/link/' })
  let socket: WebSocket | undefined
  let onConnect: (() => void) | undefined
  const acks = new Map<string, (ack: Record<string, unknown>) => void>()
  sockets.on('connection', (ws) => {
    socket = ws
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as { envelope_id?: string }
      if (ack.envelope_id) acks.get(ack.envelope_id)?.(ack)
    })
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        connection_info: { app_id: 'A1' },
        debug_info: { host: 'fake' },
      }),
    )
    onConnect?.()
  })
  let envelopes = 0

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    groups,
    of: (method) => calls.filter((c) => c.method === method).map((c) => c.args),
    connected: () =>
      new Promise<void>((resolve) => {
        if (socket) resolve()
        else onConnect = resolve
      }),
    sendEnvelope: (type, payload) =>
      new Promise((resolve, reject) => {
        if (!socket) return reject(new Error('no Socket Mode client is connected'))
        const envelopeId = `env-${++envelopes}`
        acks.set(envelopeId, resolve)
        socket.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            accepts_response_payload: false,
            payload,
          }),
        )
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate()
        sockets.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
