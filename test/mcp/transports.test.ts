import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RunningServer } from '../../app/index.ts'
import { type Database, openDatabase } from '../../db/index.ts'
import { createToken, grantRole, revokeToken } from '../../governance/index.ts'
import { mayUse, TOOLS } from '../../tools/index.ts'
import { ACTORS, type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { startTestServer } from '../helpers/server.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'giftcards.js')

type Result = {
  isError?: boolean
  content: { type: string; text: string }[]
  structuredContent?: Record<string, unknown>
}

describe('MCP over stdio (giftcards mcp) and the MCP Inspector CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-mcp-stdio-'))
  const env = {
    DATABASE_URL: `sqlite:${join(dir, 'ledger.db')}`,
    LOG_LEVEL: 'info',
    PII_TOKEN_KEY: 'test-pii-key',
    // The test acts as its fixture's actors with --as (docs/identity.md).
    GIFTCARDS_ALLOW_AS: '1',
  }
  let fixture: AgentFixture
  beforeAll(async () => {
    const database = await openDatabase({ engine: 'sqlite', path: join(dir, 'ledger.db') })
    fixture = await setUpAgentFixture(database, 200)
    await database.close()
  }, 120_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('speaks only the protocol on stdout: lists tools, reads, files a write as a pending approval', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--as', ACTORS.lp.id],
      env: { PATH: process.env.PATH ?? '', ...env },
      stderr: 'pipe',
    })
    let stderr = ''
    transport.stderr?.on('data', (chunk) => {
      stderr += String(chunk)
    })
    const client = new Client({ name: 'stdio-test', version: '1.0.0' })
    await client.connect(transport)
    try {
      // Loss prevention is offered its tools only (docs/mcp.md "Tools by role").
      expect((await client.listTools()).tools).toHaveLength(
        TOOLS.filter((t) => mayUse('loss_prevention', t)).length,
      )
      const card = (await client.callTool({
        name: 'get_gift_card',
        arguments: { card: fixture.piiCard },
      })) as Result
      expect(card.structuredContent).toMatchObject({
        cardId: fixture.piiCard,
        balance: { cents: 6500 },
      })
      const hold = (await client.callTool({
        name: 'place_card_hold',
        arguments: { card: fixture.piiCard, reason: 'stdio test' },
      })) as Result
      expect(hold.structuredContent).toMatchObject({ status: 'pending_approval' })
      const approvalId = String((hold.structuredContent as { approvalId: number }).approvalId)
      const approve = spawnSync(
        process.execPath,
        [BIN, 'approvals', 'approve', approvalId, '--as', ACTORS.manager.id],
        {
          env: { PATH: process.env.PATH ?? '', ...env },
          encoding: 'utf8',
        },
      )
      expect(approve.stdout.trim().split('\n')[0]).toBe(
        `approval #${approvalId} approved by cli:mgr and executed`,
      )
      const after = (await client.callTool({
        name: 'get_gift_card',
        arguments: { card: fixture.piiCard },
      })) as Result
      expect(after.structuredContent).toMatchObject({ status: 'held' })
    } finally {
      await client.close()
    }
    expect(stderr).toContain('giftcards MCP server on stdio as cli:lp (loss_prevention)')
  })

  it('answers the MCP Inspector CLI: tools/list and tools/call', () => {
    const inspector = join(ROOT, 'node_modules', '.bin', 'mcp-inspector')
    const run = (args: string[]) =>
      spawnSync(
        inspector,
        [
          '--cli',
          ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
          process.execPath,
          BIN,
          'mcp',
          '--as',
          ACTORS.analyst.id,
          ...args,
        ],
        {
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir },
          encoding: 'utf8',
          timeout: 60_000,
        },
      )
    const list = run(['--method', 'tools/list'])
    expect(list.status, list.stderr).toBe(0)
    const names = (JSON.parse(list.stdout) as { tools: { name: string }[] }).tools.map(
      (t) => t.name,
    )
    expect(names).toContain('get_gift_card')
    expect(names).toHaveLength(TOOLS.filter((t) => mayUse('analyst', t)).length)
    const call = run([
      '--method',
      'tools/call',
      '--tool-name',
      'get_gift_card',
      '--tool-arg',
      `card=${fixture.piiCard}`,
    ])
    expect(call.status, call.stderr).toBe(0)
    expect(JSON.parse(call.stdout)).toMatchObject({
      structuredContent: { cardId: fixture.piiCard, last4: '9917' },
    })
  })
})

/** A raw request with any Host and Origin (fetch may not set Host). */
function rawPost(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(url)
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  })
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        let text = ''
        res.on('data', (c) => {
          text += String(c)
        })
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

for (const dialect of DIALECTS) {
  describe(`MCP over Streamable HTTP at /mcp on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let server: RunningServer
    let token: string
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 200)
      server = await startTestServer(d)
      const made = await createToken(d, {
        actorId: 'mcp:alice',
        role: 'loss_prevention',
        label: 'test',
      })
      token = made.token
    })
    afterAll(async () => {
      await server?.close()
    })

    const connect = async (bearer: string) => {
      const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${bearer}` } },
      })
      const client = new Client({ name: 'http-test', version: '1.0.0' })
      await client.connect(transport)
      return { client, transport }
    }

    it('serves a client with a token, as the token’s actor, in a session', async () => {
      const { client, transport } = await connect(token)
      try {
        expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/)
        expect((await client.listTools()).tools).toHaveLength(
          TOOLS.filter((t) => mayUse('loss_prevention', t)).length,
        )
        const hold = (await client.callTool({
          name: 'place_card_hold',
          arguments: { card: fixture.activeCard, reason: 'http test' },
        })) as Result
        expect(hold.structuredContent).toMatchObject({ status: 'pending_approval' })
        const request = await database.db
          .selectFrom('approval_requests')
          .select(['requested_by', 'requested_via'])
          .orderBy('id', 'desc')
          .executeTakeFirstOrThrow()
        expect(request).toEqual({ requested_by: 'mcp:alice', requested_via: 'mcp' })
      } finally {
        await transport.terminateSession()
        await client.close()
      }
    })

    it('applies a role change and a revoked token to an open session at its next call', async () => {
      const made = await createToken(database, { actorId: 'mcp:carol', role: 'loss_prevention' })
      const { client } = await connect(made.token)
      const changed: string[] = []
      client.setNotificationHandler(ToolListChangedNotificationSchema, async (n) => {
        changed.push(n.method)
      })
      try {
        const names = async () => (await client.listTools()).tools.map((t) => t.name)
        expect(await names()).toContain('scan_for_fraud')
        await grantRole(database, 'mcp:carol', 'analyst')
        expect(await names()).not.toContain('scan_for_fraud')
        // Sent on the session's standalone stream, so it may land just after the answer.
        await vi.waitFor(() => expect(changed).toEqual(['notifications/tools/list_changed']), {
          timeout: 3000,
        })
        const refused = (await client.callTool({
          name: 'scan_for_fraud',
          arguments: { days: 1 },
        })) as Result
        expect(refused.content[0]?.text).toContain('FORBIDDEN: mcp:carol (analyst) may not use')
        await revokeToken(database, made.id)
        await expect(client.listTools()).rejects.toThrow(/401|unknown or revoked/)
      } finally {
        await client.close()
      }
    })

    it('refuses no token, a bad token and a revoked one with 401', async () => {
      const none = await rawPost(`${server.url}/mcp`, {})
      expect(none.status).toBe(401)
      expect(none.headers['www-authenticate']).toContain('Bearer')
      expect(JSON.parse(none.body).error.message).toContain('bearer token is required')
      expect(
        (await rawPost(`${server.url}/mcp`, { authorization: 'Bearer gct_not-a-token' })).status,
      ).toBe(401)
      const spare = await createToken(database, { actorId: 'mcp:bob' })
      expect(
        (await rawPost(`${server.url}/mcp`, { authorization: `Bearer ${spare.token}` })).status,
      ).toBe(200)
      await revokeToken(database, spare.id)
      expect(
        (await rawPost(`${server.url}/mcp`, { authorization: `Bearer ${spare.token}` })).status,
      ).toBe(401)
      await expect(connect('gct_wrong')).rejects.toThrow()
    })

    it('refuses a foreign Host or Origin (DNS rebinding) before anything else', async () => {
      const port = new URL(server.url).port
      const evilHost = await rawPost(`${server.url}/mcp`, {
        host: `attacker.example:${port}`,
        authorization: `Bearer ${token}`,
      })
      expect(evilHost.status).toBe(403)
      expect(evilHost.body).toContain('Host attacker.example')
      const evilOrigin = await rawPost(`${server.url}/mcp`, {
        origin: 'http://attacker.example',
        authorization: `Bearer ${token}`,
      })
      expect(evilOrigin.status).toBe(403)
      const localOrigin = await rawPost(`${server.url}/mcp`, {
        origin: `http://localhost:${port}`,
        authorization: `Bearer ${token}`,
      })
      expect(localOrigin.status).toBe(200)
    })
  })
}
