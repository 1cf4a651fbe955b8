import { createHash, randomUUID } from 'node:crypto'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
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

/** Session bounds (docs/mcp.md "Sessions"): MCP_MAX_SESSIONS_PER_TOKEN, MCP_SESSION_IDLE_SECONDS. */
export type SessionLimits = { maxPerToken: number; idleSeconds: number }

export const DEFAULT_SESSION_LIMITS: SessionLimits = { maxPerToken: 8, idleSeconds: 1800 }

/** One open session: its transport and server, the token it belongs to, its actor as last seen. */
type Session = {
  transport: WebStandardStreamableHTTPServerTransport
  server: McpServer
  /** SHA-256 of the bearer token (never the token itself). */
  tokenKey: string
  actor: Actor
  lastUsed: number
}

const tokenKeyOf = (bearer: string) => createHash('sha256').update(bearer).digest('hex')

/**
 * `/mcp` over Streamable HTTP. Each request must carry `Authorization: Bearer <token>` (made
 * with `giftcards tokens create`); the token is the actor, authenticated again at every request,
 * so a role changed since applies at the session's next call and a revoked token is refused
 * with 401 and its sessions closed. The Host header, and the Origin when a browser sends one,
 * must name an allowed host (DNS-rebinding protection). Sessions are stateful, as the SDK
 * recommends: `initialize` opens one (its own McpServer and transport), later requests name it
 * in `Mcp-Session-Id`, DELETE ends it. They are bounded: a token holds at most
 * `limits.maxPerToken` (past it the least recently used is closed) and one unused for
 * `limits.idleSeconds` is closed, so initialize calls that are never followed up cannot grow
 * memory without end. The composition root (app/server.ts) says how a token becomes an actor.
 */
export function mcpRoutes(deps: {
  /** The actor a bearer token stands for, or undefined when it is unknown or revoked. */
  authenticate: (token: string) => Promise<Actor | undefined>
  executor: ToolExecutor
  allowedHosts: readonly string[]
  limits?: SessionLimits
  /** The clock (tests move it to expire sessions). */
  now?: () => number
}) {
  const allowed = new Set([...LOCAL_HOSTS, ...deps.allowedHosts].map((h) => h.toLowerCase()))
  const limits = deps.limits ?? DEFAULT_SESSION_LIMITS
  const now = deps.now ?? Date.now
  const sessions = new Map<string, Session>()

  const close = (id: string) => {
    const session = sessions.get(id)
    if (!session) return
    sessions.delete(id)
    void session.server.close().catch(() => {
      // Already closed by its client: nothing to free.
    })
  }
  /** Closes the sessions idle past the limit (each request sweeps; the map stays small). */
  const sweep = () => {
    const cutoff = now() - limits.idleSeconds * 1000
    for (const [id, s] of sessions) if (s.lastUsed < cutoff) close(id)
  }
  /** Past the limit, a token's least recently used sessions are closed. */
  const bound = (tokenKey: string) => {
    const own = [...sessions].filter(([, s]) => s.tokenKey === tokenKey)
    own.sort((a, b) => a[1].lastUsed - b[1].lastUsed)
    for (const [id] of own.slice(0, Math.max(0, own.length - limits.maxPerToken))) close(id)
  }

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
    sweep()
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    const actor = bearer ? await deps.authenticate(bearer) : undefined
    if (!actor) {
      // A revoked token's sessions end with it.
      if (bearer) {
        const key = tokenKeyOf(bearer)
        for (const [id, s] of sessions) if (s.tokenKey === key) close(id)
      }
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
    const tokenKey = tokenKeyOf(bearer as string)
    const sessionId = c.req.header('mcp-session-id')
    if (sessionId) {
      const session = sessions.get(sessionId)
      if (!session) return c.json(jsonRpcError(-32001, 'Session not found'), 404)
      if (session.tokenKey !== tokenKey)
        return c.json(jsonRpcError(-32001, 'this session belongs to another token'), 403)
      // The role as it is now: the session's server reads it at this request.
      session.actor = actor
      session.lastUsed = now()
      return session.transport.handleRequest(c.req.raw)
    }
    let session: Session | undefined
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        if (!session) return
        sessions.set(id, session)
        bound(tokenKey)
      },
      onsessionclosed: (id) => {
        close(id)
      },
    })
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId)
    }
    const server = createMcpServer({
      executor: deps.executor,
      actor,
      currentActor: async () => session?.actor ?? actor,
    })
    session = { transport, server, tokenKey, actor, lastUsed: now() }
    await server.connect(transport)
    return transport.handleRequest(c.req.raw)
  })
  return { app, sessions }
}
