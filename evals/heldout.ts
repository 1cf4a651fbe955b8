import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { type Ledger, makeDemoChain, openAgent, openScratchLedger } from '../app/index.ts'
import { type Config, GiftCardError } from '../core/index.ts'
import { type Actor, grantRole } from '../governance/index.ts'

/**
 * The held-out conversation set (evals/heldout/): requests written by someone who never saw the
 * planner, run once through the real agent on the demo chain `npm start` makes (seed 42), and
 * scored turn by turn (docs/planner.md §Measuring). A turn is good when it calls the tools the
 * request needs with the arguments its words fix, applies every constraint or names it in the
 * reply, and files an approval exactly when the person ordered a write.
 */

const expectedTool = z.union([z.string(), z.array(z.string()).min(1)])
const heldoutTurn = z.object({
  id: z.string(),
  thread: z.string().nullable(),
  turn: z.number().int().min(1),
  role: z.enum(['loss_prevention', 'analyst', 'manager']),
  text: z.string().min(1).max(2000),
  expect: z.object({
    tools: z.array(expectedTool),
    args: z.array(z.record(z.string(), z.unknown())).default([]),
    constraints: z
      .array(
        z.object({ text: z.string(), tool: z.string().optional(), arg: z.string().optional() }),
      )
      .default([]),
    write: z.boolean().default(false),
    reply: z.string().optional(),
  }),
})
export type HeldoutTurn = z.infer<typeof heldoutTurn>

export const HELDOUT_FILE = join(import.meta.dirname, 'heldout', 'conversation-2026-12.jsonl')

export function loadHeldout(path: string = HELDOUT_FILE): HeldoutTurn[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      const parsed = heldoutTurn.safeParse(JSON.parse(line))
      if (!parsed.success)
        throw new GiftCardError('INVALID_INPUT', `${path}:${i + 1}: ${parsed.error.message}`)
      return parsed.data
    })
}

export type Call = { name: string; args: Record<string, unknown> }

/** What the scorer knows of the chain, to compare a store by name with one by id. */
export type ScoringChain = {
  stores: { id: string; name: string }[]
  last4: Map<string, string>
}

function sameStore(expected: unknown, actual: unknown, chain: ScoringChain): boolean {
  if (typeof expected !== 'string' || typeof actual !== 'string') return false
  if (expected === actual) return true
  const byName = chain.stores.find((s) => s.name.toLowerCase() === actual.toLowerCase())
  return byName?.id === expected
}

function sameCard(expected: unknown, actual: unknown, chain: ScoringChain): boolean {
  if (typeof expected !== 'string' || typeof actual !== 'string') return false
  if (expected.toLowerCase() === actual.toLowerCase()) return true
  // "3048" and gc_ccab0692 are the same card when its number ends in 3048.
  return (
    chain.last4.get(actual.toLowerCase()) === expected ||
    chain.last4.get(expected.toLowerCase()) === actual
  )
}

/** Whether an argument the words fix has the value expected ("<any>": it is there at all). */
export function argMatches(
  key: string,
  expected: unknown,
  actual: unknown,
  chain: ScoringChain,
): boolean {
  if (expected === '<any>') return actual !== undefined && actual !== null
  if (key === 'location') return sameStore(expected, actual, chain)
  if (key === 'card') return sameCard(expected, actual, chain)
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    if (!actual || typeof actual !== 'object') return false
    return Object.entries(expected as Record<string, unknown>).every(([k, v]) =>
      argMatches(k, v, (actual as Record<string, unknown>)[k], chain),
    )
  }
  return JSON.stringify(expected) === JSON.stringify(actual)
}

export type HeldoutScore = {
  id: string
  role: string
  good: boolean
  tool: boolean
  args: boolean
  constraints: boolean
  write: boolean
  problems: string[]
}

/** One turn scored against what the agent did: its calls, its reply, the approvals it filed. */
export function scoreTurn(
  turn: HeldoutTurn,
  result: { calls: Call[]; reply: string; approvalsFiled: number },
  chain: ScoringChain,
): HeldoutScore {
  const problems: string[] = []
  const { expect } = turn
  const names = result.calls.map((c) => c.name)
  const toolOk =
    names.length === expect.tools.length &&
    expect.tools.every((t, i) => (Array.isArray(t) ? t : [t]).includes(names[i] ?? ''))
  if (!toolOk)
    problems.push(`tools ${JSON.stringify(names)}, expected ${JSON.stringify(expect.tools)}`)
  let argsOk = toolOk
  if (toolOk)
    expect.args.forEach((wanted, i) => {
      const got = result.calls[i]?.args ?? {}
      for (const [k, v] of Object.entries(wanted))
        if (!argMatches(k, v, got[k], chain)) {
          argsOk = false
          problems.push(
            `${names[i]}.${k} = ${JSON.stringify(got[k])}, expected ${JSON.stringify(v)}`,
          )
        }
    })
  // Named means said in a sentence about what was not applied, not merely echoed in the results.
  const naming = result.reply
    .toLowerCase()
    .split(/\n+/)
    .filter((line) =>
      /not applied|did not|cannot|can't|not understand|one state at a time/.test(line),
    )
    .join('\n')
  let constraintsOk = true
  for (const c of expect.constraints) {
    const at = expect.tools.findIndex((t) => (Array.isArray(t) ? t : [t]).includes(c.tool ?? ''))
    const wanted = at >= 0 && c.arg ? expect.args[at]?.[c.arg] : undefined
    // Applied means set on that tool's call, to the value the words fix where the set says one.
    const applied =
      c.arg !== undefined &&
      result.calls.some(
        (call) =>
          (!c.tool || call.name === c.tool) &&
          call.args[c.arg as string] !== undefined &&
          (wanted === undefined ||
            argMatches(c.arg as string, wanted, call.args[c.arg as string], chain)),
      )
    const named = naming.includes(c.text.toLowerCase())
    if (!applied && !named) {
      constraintsOk = false
      problems.push(`constraint "${c.text}" neither applied (${c.tool}.${c.arg}) nor named`)
    }
  }
  const wrote = result.approvalsFiled > 0
  const writeOk = wrote === expect.write
  if (!writeOk)
    problems.push(
      wrote
        ? 'filed an approval for a request that did not ask for a write'
        : 'filed no approval for a write request',
    )
  return {
    id: turn.id,
    role: turn.role,
    good: toolOk && argsOk && constraintsOk && writeOk,
    tool: toolOk,
    args: argsOk,
    constraints: constraintsOk,
    write: writeOk,
    problems,
  }
}

export type HeldoutReport = {
  turns: number
  good: number
  correctTool: number
  approvalsForReads: number
  byRole: Record<string, { turns: number; good: number }>
  misses: HeldoutScore[]
}

const ROLE_ACTORS: Record<HeldoutTurn['role'], Actor> = {
  loss_prevention: { id: 'cli:lp', role: 'loss_prevention' },
  analyst: { id: 'cli:analyst', role: 'analyst' },
  manager: { id: 'cli:manager', role: 'manager' },
}

async function demoChain(database: Ledger, config: Config): Promise<ScoringChain> {
  await makeDemoChain(database, config.demoCards)
  for (const actor of Object.values(ROLE_ACTORS)) await grantRole(database, actor.id, actor.role)
  const stores = await database.db.selectFrom('locations').select(['id', 'name']).execute()
  const cards = await database.db.selectFrom('gift_cards').select(['id', 'gan_last4']).execute()
  return { stores, last4: new Map(cards.map((c) => [c.id, c.gan_last4])) }
}

/** Runs the held-out set through the agent on a fresh demo chain and scores every turn. */
export async function runHeldout(
  config: Config,
  path: string = HELDOUT_FILE,
): Promise<HeldoutReport> {
  const turns = loadHeldout(path)
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-heldout-'))
  const database = await openScratchLedger(join(dir, 'ledger.db'))
  try {
    const chain = await demoChain(database, config)
    const agent = await openAgent(database, config)
    const scores: HeldoutScore[] = []
    let approvalsForReads = 0
    try {
      for (const turn of turns) {
        const threadId = `heldout:${turn.thread ?? turn.id}`
        const before = await countApprovals(database)
        // A turn that throws is a miss with its error, and the run goes on.
        const result = await agent
          .ask(turn.text, { threadId, actor: ROLE_ACTORS[turn.role], via: 'cli' })
          .catch((err: unknown) => ({ toolCalls: [], reply: `(error: ${String(err)})` }))
        const filed = (await countApprovals(database)) - before
        const score = scoreTurn(
          turn,
          {
            calls: result.toolCalls.map((c) => ({ name: c.name, args: c.args })),
            reply: result.reply,
            approvalsFiled: filed,
          },
          chain,
        )
        if (filed > 0 && !turn.expect.write) approvalsForReads++
        scores.push(score)
      }
    } finally {
      await agent.close()
    }
    const byRole: HeldoutReport['byRole'] = {}
    for (const s of scores) {
      const r = byRole[s.role] ?? { turns: 0, good: 0 }
      byRole[s.role] = r
      r.turns++
      if (s.good) r.good++
    }
    return {
      turns: scores.length,
      good: scores.filter((s) => s.good).length,
      correctTool: scores.filter((s) => s.tool).length,
      approvalsForReads,
      byRole,
      misses: scores.filter((s) => !s.good),
    }
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function countApprovals(database: Ledger): Promise<number> {
  const row = await database.db
    .selectFrom('approval_requests')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
