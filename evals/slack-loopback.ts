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

/** A streamed message (chat.startStream … chat.stopStream) as the fake holds it. */
export type FakeStream = {
  channel: string
  threadTs: string
  ts: string
  state: 'streaming' | 'stopped' | 'expired'
  appends: number
  /** Every chunk appended, in order (task_update, markdown_text, …). */
  chunks: Record<string, unknown>[]
  /** The blocks chat.stopStream ended it with. */
  blocks?: unknown[]
}

/** A file sent through the external upload flow. */
export type FakeUpload = {
  fileId: string
  filename: string
  length: number
  /** The bytes posted to the upload URL, once they were. */
  bytes?: Buffer
  /** Set by files.completeUploadExternal: where it was shared. */
  shared?: { channel: string; threadTs?: string; title?: string }
}

export type FakeSlack = {
  /** The Web API base URL to give the app (SLACK_API_URL), ending in /api/. */
  url: string
  calls: SlackCall[]
  /** Members of each user group (usergroups.users.list). */
  groups: Record<string, string[]>
  /** Calls of one method, oldest first. */
  of(method: string): Record<string, unknown>[]
  /** Whether chat.startStream is offered (false: it answers unknown_method, as without it). */
  streaming: boolean
  /**
   * When set, a stream leaves the streaming state after this many appends, as Slack's do after
   * a while: the next append or stop answers message_not_in_streaming_state.
   */
  appendsBeforeExpiry: number | undefined
  /** Streamed messages by ts. */
  streams: Map<string, FakeStream>
  /** Files by id. */
  uploads: Map<string, FakeUpload>
  /**
   * The final answers in threads, however they were delivered: a stopped stream's blocks, a
   * chat.update, or a chat.postMessage with blocks; `text` is the blocks' texts joined.
   */
  answers(): { channel: string; threadTs?: string; ts: string; text: string; blocks: unknown[] }[]
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
/**
 * The file's bytes from a post to an upload URL: the body as is, or the file part of a
 * multipart/form-data body (what WebClient's files.uploadV2 sends; Slack takes either,
 * https://docs.slack.dev/reference/methods/files.getUploadURLExternal).
 */
function uploadedBytes(body: Buffer, contentType: string): Buffer {
  const boundary = /multipart\/form-data;.*boundary=("?)([^";]+)\1/i.exec(contentType)?.[2]
  if (!boundary) return body
  const delimiter = Buffer.from(`--${boundary}`)
  const start = body.indexOf(delimiter)
  const headersEnd = body.indexOf('\r\n\r\n', start)
  const end = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd)
  if (start < 0 || headersEnd < 0 || end < 0) return Buffer.alloc(0)
  return body.subarray(headersEnd + 4, end)
}

/** Form-encoded arguments the WebClient sends as JSON text. */
const JSON_ARGS = new Set(['blocks', 'view', 'chunks', 'files', 'prompts', 'metadata'])

export async function startFakeSlack(botToken: string, appToken = 'xapp-test'): Promise<FakeSlack> {
  const calls: SlackCall[] = []
  const groups: Record<string, string[]> = {}
  const streams = new Map<string, FakeStream>()
  const uploads = new Map<string, FakeUpload>()
  const state: { streaming: boolean; appendsBeforeExpiry: number | undefined } = {
    streaming: true,
    appendsBeforeExpiry: undefined,
  }
  let ts = 1_800_000_000
  let files = 0
  const server = createServer(async (req: IncomingMessage, res) => {
    const parts: Buffer[] = []
    for await (const chunk of req) parts.push(Buffer.from(chunk))
    const raw = Buffer.concat(parts).toString('utf8')
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    // The upload URL files.getUploadURLExternal hands out: the file's bytes, posted as is.
    const upload = /^\/upload\/(F\d+)$/.exec(req.url ?? '')
    if (upload) {
      const file = uploads.get(upload[1] ?? '')
      if (!file || req.method !== 'POST') {
        res.writeHead(404)
        return res.end('not found')
      }
      file.bytes = uploadedBytes(Buffer.concat(parts), String(req.headers['content-type'] ?? ''))
      res.writeHead(200, { 'content-type': 'text/plain' })
      return res.end(`OK - ${file.bytes.length}`)
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
          args[k] = JSON_ARGS.has(k) ? JSON.parse(v) : v
        } catch {
          args[k] = v
        }
      }
    calls.push({ method, args })
    const channel = String(args.channel ?? 'C0')
    const stream = typeof args.ts === 'string' ? streams.get(args.ts) : undefined
    const chunksOf = (a: Record<string, unknown>) =>
      Array.isArray(a.chunks) ? (a.chunks as Record<string, unknown>[]) : []
    switch (method) {
      // https://docs.slack.dev/reference/methods/chat.startStream: a reply in a thread; in a
      // channel (not a DM) it names the user and team it streams to.
      case 'chat.startStream': {
        if (!state.streaming) return send({ ok: false, error: 'unknown_method' })
        if (!args.channel || !args.thread_ts) return send({ ok: false, error: 'invalid_arguments' })
        if (!channel.startsWith('D') && (!args.recipient_user_id || !args.recipient_team_id))
          return send({ ok: false, error: 'missing_recipient_user_id' })
        if (!args.markdown_text && chunksOf(args).length === 0)
          return send({ ok: false, error: 'invalid_arguments' })
        const streamTs = `${++ts}.000300`
        streams.set(streamTs, {
          channel,
          threadTs: String(args.thread_ts),
          ts: streamTs,
          state: 'streaming',
          appends: 0,
          chunks: [...chunksOf(args)],
        })
        return send({ ok: true, channel, ts: streamTs })
      }
      case 'chat.appendStream':
      case 'chat.stopStream': {
        if (
          stream?.state === 'streaming' &&
          state.appendsBeforeExpiry !== undefined &&
          stream.appends >= state.appendsBeforeExpiry
        )
          stream.state = 'expired'
        if (!stream || stream.channel !== channel || stream.state !== 'streaming')
          return send({ ok: false, error: 'message_not_in_streaming_state' })
        if (method === 'chat.appendStream') stream.appends++
        stream.chunks.push(...chunksOf(args))
        if (typeof args.markdown_text === 'string')
          stream.chunks.push({ type: 'markdown_text', text: args.markdown_text })
        if (method === 'chat.stopStream') {
          stream.state = 'stopped'
          if (Array.isArray(args.blocks)) stream.blocks = args.blocks
          return send({ ok: true, channel, ts: stream.ts, message: { ts: stream.ts } })
        }
        return send({ ok: true, channel, ts: stream.ts })
      }
      case 'assistant.threads.setStatus':
      case 'assistant.threads.setTitle':
      case 'assistant.threads.setSuggestedPrompts':
        if (!args.channel_id || !args.thread_ts)
          return send({ ok: false, error: 'invalid_arguments' })
        if (method === 'assistant.threads.setSuggestedPrompts' && !Array.isArray(args.prompts))
          return send({ ok: false, error: 'invalid_arguments' })
        return send({ ok: true })
      case 'views.open':
        if (!args.trigger_id) return send({ ok: false, error: 'invalid_trigger_id' })
        return send({ ok: true, view: { id: 'VMODAL', ...(args.view as object) } })
      // https://docs.slack.dev/reference/methods/files.getUploadURLExternal
      case 'files.getUploadURLExternal': {
        const length = Number(args.length)
        if (!args.filename || !Number.isInteger(length) || length <= 0)
          return send({ ok: false, error: 'invalid_arguments' })
        const fileId = `F${++files}`
        uploads.set(fileId, { fileId, filename: String(args.filename), length })
        return send({
          ok: true,
          upload_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload/${fileId}`,
          file_id: fileId,
        })
      }
      // https://docs.slack.dev/reference/methods/files.completeUploadExternal
      case 'files.completeUploadExternal': {
        const list = Array.isArray(args.files)
          ? (args.files as { id?: string; title?: string }[])
          : []
        if (list.length === 0) return send({ ok: false, error: 'invalid_arguments' })
        for (const f of list) {
          const file = uploads.get(String(f.id))
          if (!file?.bytes || file.bytes.length !== file.length)
            return send({ ok: false, error: 'file_not_found' })
        }
        for (const f of list) {
          const file = uploads.get(String(f.id)) as FakeUpload
          file.shared = {
            channel: String(args.channel_id ?? ''),
            ...(args.thread_ts ? { threadTs: String(args.thread_ts) } : {}),
            ...(f.title ? { title: f.title } : {}),
          }
        }
        return send({ ok: true, files: list.map((f) => ({ id: f.id, title: f.title })) })
      }
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
  const textOf = (blocks: unknown[]) =>
    blocks
      .map((b) => {
        const block = b as { text?: { text?: string }; fields?: { text: string }[] }
        return [block.text?.text, ...(block.fields ?? []).map((f) => f.text)]
          .filter(Boolean)
          .join('\n')
      })
      .join('\n')
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    groups,
    streams,
    uploads,
    get streaming() {
      return state.streaming
    },
    set streaming(on: boolean) {
      state.streaming = on
    },
    get appendsBeforeExpiry() {
      return state.appendsBeforeExpiry
    },
    set appendsBeforeExpiry(n: number | undefined) {
      state.appendsBeforeExpiry = n
    },
    of: (method) => calls.filter((c) => c.method === method).map((c) => c.args),
    answers: () => {
      const out: ReturnType<FakeSlack['answers']> = []
      for (const c of calls) {
        const blocks = Array.isArray(c.args.blocks) ? (c.args.blocks as unknown[]) : undefined
        if (c.method === 'chat.update' && blocks)
          out.push({
            channel: String(c.args.channel),
            ts: String(c.args.ts),
            text: textOf(blocks),
            blocks,
          })
        if (c.method === 'chat.postMessage' && blocks && c.args.thread_ts)
          out.push({
            channel: String(c.args.channel),
            threadTs: String(c.args.thread_ts),
            ts: '',
            text: textOf(blocks),
            blocks,
          })
      }
      for (const s of streams.values())
        if (s.state === 'stopped' && s.blocks)
          out.push({
            channel: s.channel,
            threadTs: s.threadTs,
            ts: s.ts,
            text: textOf(s.blocks),
            blocks: s.blocks,
          })
      return out
    },
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
