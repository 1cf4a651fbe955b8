import { randomUUID } from 'node:crypto'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { Hono } from 'hono'
import type { Actor } from '../governance/index.ts'
import type { ToolExecutor } from '../tools/index.ts'
import { createMcpServer } from './server.ts'

/** Host names a local server answers to; anything else may be a DNS-rebinding page. */
export const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]']

const jsonRpcError = (code: number, message: string) => ({
  jsonrpc: '2.0',
  error: { code, message },
  id: null,
})

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1)
  return host.split(':')[0] ?? host
}

/**
 * `/mcp` over Streamable HTTP. Each request must carry `Authorization: Bearer <token>` (made
 * with `giftcards tokens create`); the token is the actor. The Host header, and the Origin when
 * a browser sends one, must name an allowed host (DNS-rebinding protection). Sessions are
 * stateful, as the SDK recommends: `initialize` opens one (its own McpServer and transport,
 * bound to the token's actor), later requests name it in `Mcp-Session-Id`, DELETE ends it.
 * The composition root (app/server.ts) says how a token becomes an actor.
 */
export function mcpRoutes(deps: {
  /** The actor a bearer token stands for, or undefined when it is unknown or revoked. */
  authenticate: (token: string) => Promise<Actor | undefined>
  executor: ToolExecutor
  allowedHosts: readonly string[]
}) {
  const allowed = new Set([...LOCAL_HOSTS, ...deps.allowedHosts].map((h) => h.toLowerCase()))
  const sessions = new Map<
    string,
    { transport: WebStandardStreamableHTTPServerTransport; actorId: string }
  >()
  const app = new Hono()
  app.all('/mcp', async (c) => {
    const host = c.req.header('host')
    if (!host || !allowed.has(hostnameOf(host).toLowerCase()))
      return c.json(
        jsonRpcError(-32000, `Host ${host ?? '(none)'} is not allowed (set MCP_ALLOWED_HOSTS)`),
        403,
      )
    const origin = c.req.header('origin')
    if (origin) {
      let originHost = ''
      try {
        originHost = new URL(origin).host
      } catch {
        // An unparsable Origin is refused below.
      }
      if (!allowed.has(hostnameOf(originHost).toLowerCase()))
        return c.json(jsonRpcError(-32000, `Origin ${origin} is not allowed`), 403)
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    const actor = bearer ? await deps.authenticate(bearer) : undefined
    if (!actor) {
      c.header('WWW-Authenticate', 'Bearer realm="giftcards", error="invalid_token"')
      return c.json(
        jsonRpcError(
          -32001,
          bearer
            ? 'the bearer token is unknown or revoked'
            : 'a bearer token is required (giftcards tokens create)',
        ),
        401,
      )
    }
    const sessionId = c.req.header('mcp-session-id')
    if (sessionId) {
      const session = sessions.get(sessionId)
      if (!session) return c.json(jsonRpcError(-32001, 'Session not found'), 404)
      if (session.actorId !== actor.id)
        return c.json(jsonRpcError(-32001, 'this session belongs to another token'), 403)
      return session.transport.handleRequest(c.req.raw)
    }
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, actorId: actor.id })
      },
      onsessionclosed: (id) => {
        sessions.delete(id)
      },
    })
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId)
    }
    await createMcpServer({ executor: deps.executor, actor }).connect(transport)
    return transport.handleRequest(c.req.raw)
  })
  return { app, sessions }
}
