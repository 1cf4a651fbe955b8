import { join } from 'node:path'
import { defaultClassifier, IntentClassifier, loadCorpus, planRequest } from '../agent/index.ts'
import { openAgent } from '../app/index.ts'
import { loadConfig, parseDate } from '../core/index.ts'
import { getCard, openDatabase } from '../db/index.ts'
import type { Actor } from '../governance/index.ts'
import { seedChain } from '../synth/seed.ts'
import { createToolkit } from '../tools/index.ts'
import { peakRssMiB } from './child.ts'

/** One run of bench/agent.ts: `CARDS TURNS DIR`. Prints one JSON line. */
const [cardsArg, turnsArg, dir = ''] = process.argv.slice(2)
const cards = Number(cardsArg)
const turns = Number(turnsArg)
const database = await openDatabase({ engine: 'sqlite', path: join(dir, 'ledger.db') })
const seedStarted = performance.now()
await seedChain(database, { cards, seed: 42, startMs: parseDate('2024-11-01'), months: 24 })
const seedSeconds = (performance.now() - seedStarted) / 1000

const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'ledger.db')}`, LOG_LEVEL: 'silent' })
const ids = (
  await database.db
    .selectFrom('gift_cards')
    .select('id')
    .where('balance_cents', '>', 0)
    .limit(20_000)
    .execute()
).map((r) => r.id)
let seed = 7
const pick = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return ids[seed % ids.length] as string
}
const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}
const summary = (xs: number[]) => ({
  p50Ms: percentile(xs, 50),
  p99Ms: percentile(xs, 99),
  n: xs.length,
})

// 1. get_gift_card through the executor (validation, role, five queries, pseudonyms, audit write)
//    against the bare card query, on the same cards, interleaved so noise hits both alike.
const toolkit = createToolkit(database, config)
const actor: Actor = { id: 'bench:analyst', role: 'analyst' }
for (let i = 0; i < 300; i++) {
  await toolkit.executor.call('get_gift_card', { card: pick() }, { actor, via: 'cli' })
  await getCard(database.db, pick())
}
const executorMs: number[] = []
const bareMs: number[] = []
for (let i = 0; i < 3000; i++) {
  const card = pick()
  let t = performance.now()
  await getCard(database.db, card)
  bareMs.push(performance.now() - t)
  t = performance.now()
  const outcome = await toolkit.executor.call('get_gift_card', { card }, { actor, via: 'cli' })
  executorMs.push(performance.now() - t)
  if (!outcome.ok) throw new Error(outcome.error.message)
}

// 2. The offline planner alone: training its classifier on the corpus (once per process), the
//    heap that costs, and the time to plan each of the corpus's requests (no tools, no graph).
globalThis.gc?.()
const heapBefore = process.memoryUsage().heapUsed
let t0 = performance.now()
// Trained from the corpus (what a process does the first time), then restored from the cache
// that training leaves (what every later process does).
const classifier = new IntentClassifier(loadCorpus())
const classifierLoadMs = performance.now() - t0
globalThis.gc?.()
const classifierHeapMiB = Math.round((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20)
t0 = performance.now()
defaultClassifier()
const classifierRestoreMs = performance.now() - t0
const texts = loadCorpus().map((e) => e.text)
const vocabulary = {
  stores: await database.db
    .selectFrom('locations')
    .select(['id', 'name', 'jurisdiction'])
    .execute(),
  timezone: 'America/New_York',
  now: () => new Date(),
}
for (const text of texts) planRequest(text, {}, { classifier, vocabulary })
const planMs: number[] = []
for (const text of texts) {
  t0 = performance.now()
  planRequest(text, {}, { classifier, vocabulary })
  planMs.push(performance.now() - t0)
}

// 3. The graph's own cost per turn with the offline planner: turn time minus the time inside
//    the tools, over short conversations (a new thread every ten turns) checkpointed to SQLite.
const agent = await openAgent(database, config, { toolkit })
const call = toolkit.executor.call.bind(toolkit.executor)
let toolTime = 0
toolkit.executor.call = async (...args) => {
  const t = performance.now()
  try {
    return await call(...args)
  } finally {
    toolTime += performance.now() - t
  }
}
const overheadMs: number[] = []
const turnMs: number[] = []
const toolMs: number[] = []
const prompts = (card: string) => [
  `balance of ${card}`,
  'liability in Texas vs California',
  'what is its status?',
  `explain ${card}`,
  'open alerts over 0.9 since nov 1',
  `is there a hold on ${card}?`,
  'forecast next 3 months and which state has most liability',
  'thx',
]
for (let i = 0; i < turns + 20; i++) {
  const thread = `bench:${Math.floor(i / 10)}`
  const text = prompts(pick())[i % 8] as string
  toolTime = 0
  const t = performance.now()
  await agent.ask(text, { threadId: thread, actor, via: 'cli' })
  const total = performance.now() - t
  if (i < 20) continue // warm-up
  turnMs.push(total)
  toolMs.push(toolTime)
  overheadMs.push(total - toolTime)
}
await agent.close()
await database.close()
console.log(
  JSON.stringify({
    cards,
    seedSeconds,
    getGiftCard: { executor: summary(executorMs), bareQuery: summary(bareMs) },
    turns: { total: summary(turnMs), tools: summary(toolMs), overhead: summary(overheadMs) },
    planner: {
      classifierLoadMs,
      classifierRestoreMs,
      classifierHeapMiB,
      corpus: texts.length,
      plan: summary(planMs),
    },
    peakRssMiB: peakRssMiB(),
  }),
)
