import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

/** A port the OS says is free on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => done(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

type Message = { type: string; content: unknown; tool_calls?: { name: string; args: unknown }[] }

/**
 * LangGraph Studio's own server, not a copy of its loader: `langgraphjs dev` (the
 * @langchain/langgraph-cli package) reads langgraph.json, loads `./app/studio.ts:graph` with its
 * own loader and preload hooks, makes the demo chain on the empty ledger it is given, and runs a
 * turn through its HTTP API (docs/agent.md#langgraph-studio). The first version of this test
 * found that the server's preload, inherited by the SQLite scan worker, failed every run that
 * scanned.
 */
describe('the LangGraph CLI dev server', () => {
  let server: ChildProcess | undefined
  let base = ''
  let log = ''
  const home = mkdtempSync(join(tmpdir(), 'giftcards-langgraph-cli-'))

  beforeAll(async () => {
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    const env: NodeJS.ProcessEnv = { ...process.env, GIFTCARDS_HOME: home, DEMO_CARDS: '300' }
    for (const k of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'DATABASE_URL', 'LANGSMITH_API_KEY'])
      delete env[k]
    server = spawn(
      join(ROOT, 'node_modules/.bin/langgraphjs'),
      ['dev', '--no-browser', '--no-reload', '--host', '127.0.0.1', '--port', String(port)],
      { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    server.stdout?.on('data', (d) => {
      log += String(d)
    })
    server.stderr?.on('data', (d) => {
      log += String(d)
    })
    // Up once its API answers.
    const deadline = Date.now() + 90_000
    for (;;) {
      const ok = await fetch(`${base}/ok`)
        .then((r) => r.ok)
        .catch(() => false)
      if (ok) break
      if (Date.now() > deadline || server.exitCode !== null)
        throw new Error(`langgraphjs dev did not start:\n${log.slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 500))
    }
  }, 120_000)

  afterAll(() => {
    // The dev server runs its API in a child of its own: stop the whole group.
    if (server?.pid) {
      try {
        process.kill(-server.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    rmSync(home, { recursive: true, force: true })
  })

  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(r.status, await r.clone().text()).toBe(200)
    return (await r.json()) as Record<string, unknown>
  }

  it('serves the graph langgraph.json names, and a turn on the demo chain calls the tool and answers', async () => {
    const assistants = (await post('/assistants/search', {})) as unknown as { graph_id: string }[]
    expect(assistants.map((a) => a.graph_id)).toContain('giftcards')
    const { thread_id } = (await post('/threads', {})) as { thread_id: string }
    const result = (await post(`/threads/${thread_id}/runs/wait`, {
      assistant_id: 'giftcards',
      input: { messages: [{ role: 'human', content: 'liability by state' }] },
    })) as { messages?: Message[]; __error__?: unknown }
    expect(result.__error__, log.slice(-2000)).toBeUndefined()
    const messages = result.messages ?? []
    expect(messages.flatMap((m) => m.tool_calls ?? [])).toContainEqual({
      name: 'get_liability',
      args: { groupBy: 'jurisdiction' },
      id: expect.any(String),
      type: 'tool_call',
    })
    expect(String(messages.at(-1)?.content)).toMatch(/^Outstanding liability now: \$[\d,.]+ on/)
  }, 120_000)
})
