import { randomUUID } from 'node:crypto'
import { HumanMessage, isToolMessage } from '@langchain/core/messages'
import { MemorySaver } from '@langchain/langgraph'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { vi } from 'vitest'
import { buildAgentGraph, OfflinePlanner } from '../../agent/index.ts'
import { main } from '../../cli/program.ts'
import type { Database } from '../../db/index.ts'
import type { Actor } from '../../governance/index.ts'
import { createMcpServer } from '../../mcp-server/index.ts'
import type { Toolkit } from '../../tools/index.ts'
import { ScriptedModel } from '../helpers/scripted-model.ts'

/** What every face returns for one tool call: the executor's outcome, in the face's own transport. */
export type AdapterOutcome = {
  ok: boolean
  data?: unknown
  error?: { code: string; message: string }
}

export type ToolAdapter = {
  name: string
  via: string
  call(tool: string, args: unknown, actor: Actor): Promise<AdapterOutcome>
}

/** The LangGraph face: a model emits the tool call; the graph's tools node runs it into a ToolMessage. */
export function langGraphAdapter(toolkit: Toolkit): ToolAdapter & {
  model: ScriptedModel
  /** Sets what the person says with the next calls (default: "please run TOOL"). */
  say: (text: string | undefined) => void
} {
  let said: string | undefined
  const model = new ScriptedModel()
  const graph = buildAgentGraph({
    executor: toolkit.executor,
    models: {
      primary: { model, name: 'scripted', endpoint: 'test', streaming: false },
      planner: new OfflinePlanner(),
    },
    pii: toolkit.pii,
    checkpointer: new MemorySaver(),
  })
  return {
    name: 'langgraph',
    via: 'agent',
    model,
    say: (text) => {
      said = text
    },
    async call(tool, args, actor) {
      model.next = { name: tool, args: args as Record<string, unknown> }
      const state = await graph.invoke(
        { messages: [new HumanMessage(said ?? `please run ${tool}`)] },
        { configurable: { thread_id: randomUUID(), actor, via: 'agent' } },
      )
      const message = state.messages.findLast((m) => isToolMessage(m))
      if (!message) throw new Error('the graph ran no tool')
      return JSON.parse(String(message.content)) as AdapterOutcome
    },
  }
}

/** The CLI face: `giftcards tools call NAME JSON --as ACTOR`, run in-process. */
export function cliAdapter(database: Database): ToolAdapter {
  const { target } = database
  const url =
    target.engine === 'sqlite'
      ? `sqlite:${target.path}`
      : `${target.url}${target.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${database.searchPath ?? 'public'}`)}`
  return {
    name: 'cli',
    via: 'cli',
    async call(tool, args, actor) {
      const lines: string[] = []
      const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
        lines.push(parts.map(String).join(' '))
      })
      try {
        await main(
          ['node', 'giftcards', 'tools', 'call', tool, JSON.stringify(args), '--as', actor.id],
          {
            DATABASE_URL: url,
            PII_TOKEN_KEY: 'test-pii-key',
            LOG_LEVEL: 'silent',
            // The suite calls as each fixture actor with --as (docs/identity.md).
            GIFTCARDS_ALLOW_AS: '1',
            // Not about checkpoints, and PostgreSQL's default file would land in ./data.
            AUDIT_CHECKPOINT_FILE: 'off',
          },
        )
      } finally {
        log.mockRestore()
        process.exitCode = undefined
      }
      return JSON.parse(lines.join('\n')) as AdapterOutcome
    },
  }
}

/** The MCP face: a real MCP client over an in-memory transport pair, one connection per actor. */
export function mcpAdapter(toolkit: Toolkit): ToolAdapter & { close(): Promise<void> } {
  const clients = new Map<string, Promise<Client>>()
  const connect = async (actor: Actor) => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await createMcpServer({ executor: toolkit.executor, actor }).connect(serverSide)
    const client = new Client({ name: 'contract-test', version: '1.0.0' })
    await client.connect(clientSide)
    return client
  }
  return {
    name: 'mcp',
    via: 'mcp',
    async call(tool, args, actor) {
      let client = clients.get(actor.id)
      if (!client) {
        client = connect(actor)
        clients.set(actor.id, client)
      }
      const result = (await (
        await client
      ).callTool({ name: tool, arguments: args as Record<string, unknown> })) as {
        isError?: boolean
        content: { type: string; text?: string }[]
        structuredContent?: unknown
      }
      if (!result.isError) return { ok: true, data: result.structuredContent }
      const text = result.content.map((c) => c.text ?? '').join('\n')
      const [, code = 'INTERNAL', message = text] = /^([A-Z_]+): ([\s\S]*)$/.exec(text) ?? []
      return { ok: false, error: { code, message } }
    },
    async close() {
      for (const c of clients.values()) await (await c).close()
    },
  }
}
