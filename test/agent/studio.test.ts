import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages'
import { Command, MemorySaver } from '@langchain/langgraph'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { AgentGraph, ApprovalInterrupt } from '../../agent/index.ts'
import { openLedger, openStudioAgent, studioActorId } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { grantRole } from '../../governance/index.ts'

const ROOT = resolve(import.meta.dirname, '../..')

/**
 * langgraph.json as `@langchain/langgraph-cli` reads it (libs/langgraph-cli/src/utils/config.mts
 * `getConfig`): a Node version of 20 or 22 and graphs as `<file>:<export>`; no `dependencies`
 * for a Node-only config. `langgraphjs dev` (dev.node.mts) runs @langchain/langgraph-api under
 * `tsx watch` with these graphs and the project's directory, so a `.ts` graph file is loaded the
 * way bin/giftcards.js loads the CLI.
 */
const configSchema = z.object({
  node_version: z.enum(['20', '22']),
  graphs: z.record(
    z.string(),
    z.string().refine((s) => s.includes(':')),
  ),
})

/**
 * The CLI's loader (libs/langgraph-api/src/graph/load.utils.mts `resolveGraph`, load.mts
 * `getGraph`): the file must exist, the module is imported by file URL, the export is a compiled
 * graph (it has a `builder`) or a function called with the run's config that gives one, and the
 * server's own checkpointer is put on it.
 */
async function loadLikeTheCli(spec: string, checkpointer: MemorySaver): Promise<AgentGraph> {
  const [file, exportSymbol] = spec.split(':', 2) as [string, string]
  const sourceFile = resolve(ROOT, file)
  statSync(sourceFile)
  const module = (await import(pathToFileURL(sourceFile).toString())) as Record<string, unknown>
  const exported = module[exportSymbol || 'default']
  const compiled = (
    typeof exported === 'function'
      ? await (exported as (c: unknown) => Promise<unknown>)({ configurable: {} })
      : exported
  ) as AgentGraph & { builder?: unknown; graph?: { builder?: unknown } }
  // resolveGraph's `afterResolve`: a graph with `compile` would be compiled, and one carrying a
  // compiled graph under `.graph` (createAgent's wrapper) unwrapped. Ours is the compiled graph
  // itself, so the server runs the very object the test runs.
  expect(typeof compiled.builder).toBe('object')
  expect(typeof (compiled as { compile?: unknown }).compile).not.toBe('function')
  expect(typeof compiled.graph?.builder).not.toBe('object')
  // getGraph: the server's own checkpointer and store go on it.
  compiled.checkpointer = checkpointer
  return compiled
}

const lastText = (messages: BaseMessage[]) => String(messages.at(-1)?.content ?? '')

describe('LangGraph Studio: the graph langgraph.json names, loaded as the CLI loads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-studio-'))
  const saved = { ...process.env }
  const checkpointer = new MemorySaver()
  let graph: AgentGraph
  let database: Database
  const studio = studioActorId()

  beforeAll(async () => {
    process.env.DATABASE_URL = `sqlite:${join(dir, 'studio.db')}`
    process.env.DEMO_CARDS = '100'
    for (const k of Object.keys(process.env)) if (k.startsWith('OPENAI_')) delete process.env[k]
    const json = configSchema.parse(JSON.parse(readFileSync(join(ROOT, 'langgraph.json'), 'utf8')))
    graph = await loadLikeTheCli(json.graphs.giftcards as string, checkpointer)
    database = await openLedger(loadConfig())
  }, 60_000)
  afterAll(async () => {
    await database?.close()
    process.env = saved
    rmSync(dir, { recursive: true, force: true })
  })

  const run = (thread: string, input: unknown, g: AgentGraph = graph) =>
    g.invoke(input as never, { configurable: { thread_id: thread }, recursionLimit: 20 })
  const interruptOf = async (thread: string, g: AgentGraph = graph) => {
    const state = await g.getState({ configurable: { thread_id: thread } })
    return state.tasks.flatMap((t) => t.interrupts)[0]?.value as ApprovalInterrupt | undefined
  }
  const card = async () =>
    (
      await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('status', '=', 'active')
        .where('balance_cents', '>', 0)
        .orderBy('id')
        .executeTakeFirstOrThrow()
    ).id

  it('answers on the demo chain it made, with the offline planner, as the studio actor', async () => {
    const result = await run('q', { messages: [new HumanMessage('liability by state')] })
    expect(lastText(result.messages)).toMatch(/liability/i)
    const audited = await database.db
      .selectFrom('audit_log')
      .select(['actor', 'via'])
      .where('tool', '=', 'get_liability')
      .execute()
    expect(audited).toContainEqual({ actor: studio, via: 'agent' })
    // The client cannot choose who runs the turn.
    await graph.invoke({ messages: [new HumanMessage('liability by state')] } as never, {
      configurable: { thread_id: 'q2', actor: { id: 'cli:root', role: 'admin' }, via: 'cli' },
      recursionLimit: 20,
    })
    const spoofed = await database.db
      .selectFrom('audit_log')
      .select('actor')
      .where('actor', '=', 'cli:root')
      .execute()
    expect(spoofed).toEqual([])
  })

  it('pauses a write on an Agent Inbox interrupt and decides an Inbox response through the approval service', async () => {
    const id = await card()
    await run('h1', { messages: [new HumanMessage(`hold card ${id} because of card testing`)] })
    const value = await interruptOf('h1')
    const approvalId = value?.approvals[0]?.approvalId as number
    expect(value).toMatchObject({
      kind: 'approval',
      action_request: { action: 'place_card_hold', args: { approvalIds: [approvalId] } },
      config: { allow_accept: true, allow_respond: true, allow_ignore: true, allow_edit: false },
    })
    expect(value?.description).toContain(`#${approvalId} Hold card ${id}`)

    // The requester accepting in the Inbox is refused (four eyes) and nothing runs.
    const own = await run('h1', new Command({ resume: [{ type: 'accept', args: null }] }))
    expect(lastText(own.messages)).toMatch(new RegExp(`Approval #${approvalId} was not decided`))
    const still = await database.db
      .selectFrom('approval_requests')
      .select('status')
      .where('id', '=', approvalId)
      .executeTakeFirstOrThrow()
    expect(still.status).toBe('pending')

    // A manager's graph over the same server checkpointer: accept approves, once.
    await grantRole(database, 'studio:manager', 'manager')
    const manager = (await openStudioAgent(database, loadConfig(), 'studio:manager')).compiledGraph
    manager.checkpointer = checkpointer
    const id2 = (
      await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('status', '=', 'active')
        .where('balance_cents', '>', 0)
        .where('id', '!=', id)
        .orderBy('id')
        .executeTakeFirstOrThrow()
    ).id
    await run('h2', { messages: [new HumanMessage(`hold card ${id2} because of card testing`)] })
    const second = (await interruptOf('h2'))?.approvals[0]?.approvalId as number
    const accepted = await run(
      'h2',
      new Command({ resume: [{ type: 'accept', args: null }] }),
      manager,
    )
    expect(lastText(accepted.messages)).toContain(
      `Approval #${second} was approved by studio:manager: card ${id2} is on hold`,
    )
    // A response rejects with its words as the reason; the first request, still pending.
    await run('h3', { messages: [new HumanMessage(`hold card ${id} because of card testing`)] })
    const third = (await interruptOf('h3'))?.approvals[0]?.approvalId as number
    const rejected = await run(
      'h3',
      new Command({ resume: [{ type: 'response', args: 'not enough evidence' }] }),
      manager,
    )
    expect(lastText(rejected.messages)).toBe(
      `Approval #${third} was rejected by studio:manager (not enough evidence). Nothing was changed.`,
    )
    expect(rejected.messages.at(-1)).toBeInstanceOf(AIMessage)

    // A value that is neither shape is refused and asked again; ignore ends the wait only.
    await run('h4', { messages: [new HumanMessage(`hold card ${id} because of card testing`)] })
    const fourth = (await interruptOf('h4'))?.approvals[0]?.approvalId as number
    await run('h4', new Command({ resume: { type: 'approve_everything' } }), manager)
    expect((await interruptOf('h4'))?.approvals[0]?.approvalId).toBe(fourth)
    const ignored = await run(
      'h4',
      new Command({ resume: { type: 'ignore', args: null } }),
      manager,
    )
    expect(lastText(ignored.messages)).toBe(
      `This thread no longer waits on #${fourth}; it stays pending for a manager to decide elsewhere.`,
    )
    expect(await interruptOf('h4')).toBeUndefined()
    const left = await database.db
      .selectFrom('approval_requests')
      .select('status')
      .where('id', '=', fourth)
      .executeTakeFirstOrThrow()
    expect(left.status).toBe('pending')
  })
})
