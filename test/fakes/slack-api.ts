import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export type SlackCall = { method: string; args: Record<string, unknown> }

export type FakeSlack = {
  /** The Web API base URL to give the app (SLACK_API_URL), ending in /api/. */
  url: string
  calls: SlackCall[]
  /** Members of each user group (usergroups.users.list). */
  groups: Record<string, string[]>
  /** Calls of one method, oldest first. */
  of(method: string): Record<string, unknown>[]
  close(): Promise<void>
}

/**
 * A loopback fake of the Slack Web API as the WebClient speaks to it: POST /api/<method> with a
 * bearer token and form-encoded (or JSON) arguments, `{ok: true, …}` answers in Slack's shapes,
 * and every call recorded (blocks decoded) for the tests to read.
 */
export async function startFakeSlack(botToken: string): Promise<FakeSlack> {
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
    if (req.headers.authorization !== `Bearer ${botToken}`)
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    groups,
    of: (method) => calls.filter((c) => c.method === method).map((c) => c.args),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
