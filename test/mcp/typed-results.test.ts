import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/index.ts'
import { type Actor, grantRole, resolveActor } from '../../governance/index.ts'
import { createMcpServer, mcpRoutes } from '../../mcp-server/index.ts'
import {
  createToolkit,
  getGiftCard,
  ledgerMetrics,
  mayUse,
  scanForFraud,
  TOOLS,
  type ToolExecutor,
} from '../../tools/index.ts'
import { ACTORS, type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

type Content = { type: string; text?: string; uri?: string; data?: string; mimeType?: string }
type Result = { isError?: boolean; content: Content[]; structuredContent?: Record<string, unknown> }

/**
 * The typed MCP face with the real SDK client (docs/mcp.md): tools offered by role, an output
 * schema per tool that the client itself checks every structuredContent against, CSV exports
 * as resource links it can read, progress notifications, a series answer's chart as a PNG, and
 * a role change applied at the next request.
 */
for (const dialect of DIALECTS) {
  describe(`typed MCP results on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let executor: ToolExecutor
    const clients: Client[] = []
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 120)
      executor = createToolkit(d, fixture.config).executor
    })
    afterAll(async () => {
      for (const c of clients) await c.close()
    })
    /** A client of a server that re-reads `actor`'s role at each request, as `giftcards mcp` does. */
    const connect = async (actor: Actor) => {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
      await createMcpServer({
        executor,
        actor,
        currentActor: () => resolveActor(database, actor.id),
      }).connect(serverSide)
      const client = new Client({ name: 'typed-test', version: '1.0.0' })
      await client.connect(clientSide)
      clients.push(client)
      return client
    }

    it('offers each role only the tools it may use, each with an object output schema', async () => {
      const analyst = await connect(ACTORS.analyst)
      const { tools } = await analyst.listTools()
      expect(tools.map((t) => t.name).sort()).toEqual(
        TOOLS.filter((t) => mayUse('analyst', t))
          .map((t) => t.name)
          .sort(),
      )
      expect(tools.map((t) => t.name)).not.toContain(scanForFraud.name)
      for (const t of tools) {
        expect(t.outputSchema?.type, t.name).toBe('object')
        expect(Object.keys(t.outputSchema?.properties ?? {}), t.name).toContain('scope')
      }
      const card = tools.find((t) => t.name === getGiftCard.name)
      expect(card?.outputSchema?.required).toEqual(expect.arrayContaining(['cardId', 'balance']))
      // The executor still decides: a tool not offered is refused when called anyway.
      const refused = (await analyst.callTool({
        name: scanForFraud.name,
        arguments: {},
      })) as Result
      expect(refused.isError).toBe(true)
      expect(refused.content[0]?.text).toContain('FORBIDDEN')
    })

    it('returns structuredContent the client validates against the output schema', async () => {
      const lp = await connect(ACTORS.lp)
      await lp.listTools() // the client keeps each tool's output schema and checks every result
      const card = (await lp.callTool({
        name: getGiftCard.name,
        arguments: { card: fixture.piiCard },
      })) as Result
      expect(card.structuredContent).toMatchObject({
        cardId: fixture.piiCard,
        balance: { cents: 6500 },
      })
      const hold = (await lp.callTool({
        name: 'place_card_hold',
        arguments: { card: fixture.activeCard, reason: 'typed results' },
      })) as Result
      expect(hold.structuredContent).toMatchObject({ status: 'pending_approval' })
    })

    it('links a CSV export as a resource the session serves', async () => {
      const client = await connect(ACTORS.analyst)
      await client.listTools()
      const result = (await client.callTool({
        name: ledgerMetrics.name,
        arguments: { metric: 'cards_sold', by: ['jurisdiction'], format: 'csv' },
      })) as Result
      const link = result.content.find((c) => c.type === 'resource_link')
      expect(link).toMatchObject({ mimeType: 'text/csv', name: 'ledger_metrics.csv' })
      expect(link?.uri).toMatch(/^giftcard:\/\/exports\/[0-9a-f-]{36}\.csv$/)
      const read = await client.readResource({ uri: String(link?.uri) })
      const text = (read.contents[0] as { text: string }).text
      expect(text).toBe(result.structuredContent?.csv)
      expect(text.split('\r\n')[0]).toBe('jurisdiction,count,amount_cents,amount')
      // Another session cannot read it.
      const other = await connect(ACTORS.analyst)
      await expect(other.readResource({ uri: String(link?.uri) })).rejects.toThrow(/NOT_FOUND/)
    })

    it('sends progress notifications for a long tool when the client asks for them', async () => {
      const lp = await connect(ACTORS.lp)
      const seen: { progress: number; message?: string }[] = []
      const result = (await lp.callTool(
        { name: scanForFraud.name, arguments: { days: 30, top: 1 } },
        undefined,
        {
          onprogress: (p) =>
            seen.push({ progress: p.progress, ...(p.message ? { message: p.message } : {}) }),
        },
      )) as Result
      expect(result.isError).toBeFalsy()
      expect(seen.length).toBeGreaterThanOrEqual(3)
      expect(seen[0]?.message).toBe('reading the ledger in time order')
      expect(seen.at(-1)?.message).toMatch(/^saving \d+ alerts$/)
      const progress = seen.map((p) => p.progress)
      expect(progress).toEqual([...progress].sort((a, b) => a - b))
    })

    it('adds a series answer’s chart as a PNG image', async () => {
      const client = await connect(ACTORS.analyst)
      const result = (await client.callTool({
        name: ledgerMetrics.name,
        arguments: { metric: 'redemptions', by: ['month'] },
      })) as Result
      const image = result.content.find((c) => c.type === 'image')
      expect(image?.mimeType).toBe('image/png')
      const png = Buffer.from(String(image?.data), 'base64')
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
      // Not a series: no image.
      const card = (await client.callTool({
        name: getGiftCard.name,
        arguments: { card: fixture.piiCard },
      })) as Result
      expect(card.content.some((c) => c.type === 'image')).toBe(false)
    })

    it('applies a role change to an open session at its next request', async () => {
      await grantRole(database, 'cli:dora', 'loss_prevention')
      const client = await connect({ id: 'cli:dora', role: 'loss_prevention' })
      expect((await client.listTools()).tools.map((t) => t.name)).toContain(scanForFraud.name)
      await grantRole(database, 'cli:dora', 'analyst')
      expect((await client.listTools()).tools.map((t) => t.name)).not.toContain(scanForFraud.name)
      const refused = (await client.callTool({ name: scanForFraud.name, arguments: {} })) as Result
      expect(refused.content[0]?.text).toContain('cli:dora (analyst) may not use scan_for_fraud')
    })
  })
}

describe('MCP sessions over HTTP are bounded', () => {
  const initialize = (id: number) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'flood', version: '1' },
      },
    })
  const post = (
    app: { request: (url: string, init: RequestInit) => Response | Promise<Response> },
    token: string,
    id: number,
  ) =>
    app.request('http://127.0.0.1/mcp', {
      method: 'POST',
      headers: {
        host: '127.0.0.1',
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: initialize(id),
    })

  it('keeps at most N sessions per token through 1,000 initialize calls, and expires idle ones', async () => {
    let clock = 1_000_000
    const actors = new Map<string, Actor>([
      ['tok-a', ACTORS.analyst],
      ['tok-b', ACTORS.lp],
    ])
    // No tool is called: the executor is never reached by initialize.
    const { app, sessions } = mcpRoutes({
      authenticate: async (token) => actors.get(token),
      executor: { tools: [], visibleTo: () => [] } as unknown as ToolExecutor,
      allowedHosts: [],
      limits: { maxPerToken: 3, idleSeconds: 60 },
      now: () => clock,
    })
    let first = ''
    // 1,000 (not the 3,000: each costs ~1.5 ms of CPU, and the count is what matters).
    for (let i = 0; i < 1000; i++) {
      clock += 1
      const res = await post(app, 'tok-a', i)
      expect(res.status).toBe(200)
      if (i === 0) first = res.headers.get('mcp-session-id') ?? ''
      await res.body?.cancel()
    }
    expect(sessions.size).toBe(3)
    // The oldest went first: the first session is gone, and says so.
    expect(sessions.has(first)).toBe(false)
    for (let i = 0; i < 5; i++) await (await post(app, 'tok-b', i)).body?.cancel()
    expect(sessions.size).toBe(6)
    // A revoked token's sessions close at its next request.
    actors.delete('tok-b')
    expect((await post(app, 'tok-b', 99)).status).toBe(401)
    expect(sessions.size).toBe(3)
    // Unused for longer than the idle limit: closed at the next request anyone makes.
    clock += 61_000
    await (await post(app, 'tok-a', 100)).body?.cancel()
    expect(sessions.size).toBe(1)
  }, 120_000)
})
