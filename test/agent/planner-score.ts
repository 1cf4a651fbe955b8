import {
  type CorpusEntry,
  IntentClassifier,
  isTestEntry,
  loadCorpus,
  type PlannerContext,
  planRequest,
  type Recall,
  TRAINING_STORES,
  type Vocabulary,
  WRITE_TOOLS,
} from '../../agent/index.ts'
import { argsMatch } from '../../evals/index.ts'

/** The demo chain's stores, and the reference day the corpus's dates are written against. */
export const DEMO_VOCABULARY: Vocabulary = {
  // The stores the corpus names: the demo chain's.
  stores: TRAINING_STORES,
  timezone: 'America/New_York',
  // Tuesday 2026-12-01, 10:00 in New York.
  now: () => new Date('2026-12-01T15:00:00Z'),
}

export type PlannerScore = {
  total: number
  intentAccuracy: number
  argAccuracy: number
  misses: string[]
}

const WRITES = WRITE_TOOLS

/** The corpus split by its fixed rule, and a classifier trained on the training part only. */
export function splitCorpus(): {
  train: CorpusEntry[]
  test: CorpusEntry[]
  context: PlannerContext
} {
  const all = loadCorpus()
  const train = all.filter((e) => !isTestEntry(e.text))
  const test = all.filter((e) => isTestEntry(e.text))
  return {
    train,
    test,
    context: { classifier: new IntentClassifier(train), vocabulary: DEMO_VOCABULARY },
  }
}

/**
 * How often the planner's intent is the labelled one, and its arguments include the labelled
 * arguments. A write labelled without the id it needs counts as right when the planner asks
 * which one, since that is what it should do.
 */
export function scorePlanner(
  entries: readonly CorpusEntry[],
  context: PlannerContext,
): PlannerScore {
  const misses: string[] = []
  let intents = 0
  let args = 0
  for (const e of entries) {
    const plan = planRequest(e.text, (e.recall ?? {}) as Recall, context)
    const asked = plan.kind === 'reply' && plan.intent === 'clarify' && !e.args
    const intent = plan.kind === 'call' ? plan.intent : plan.intent
    if (intent !== e.intent && !asked) {
      misses.push(`intent "${e.text}": expected ${e.intent}, got ${intent}`)
      continue
    }
    intents++
    if (
      plan.kind === 'reply' ||
      argsMatch(
        e.args,
        plan.intent === plan.tool ? plan.args : plan.followUp ? plan.args : plan.args,
      )
    )
      args++
    else
      misses.push(
        `args "${e.text}": expected ${JSON.stringify(e.args)}, got ${JSON.stringify(plan.args)}`,
      )
  }
  return {
    total: entries.length,
    intentAccuracy: intents / entries.length,
    argAccuracy: args / entries.length,
    misses,
  }
}

/** Whether the planner would file a write for this request. */
export function plansWrite(text: string, context: PlannerContext, recall: Recall = {}): boolean {
  const plan = planRequest(text, recall, context)
  if (plan.kind !== 'call') return false
  return [plan.tool, ...plan.also.map((c) => c.tool), ...(plan.followUp?.tools ?? [])].some((t) =>
    WRITES.has(t),
  )
}

/** One line (and the misses) on stderr, so the figure shows in every test run. */
export function reportScore(name: string, score: PlannerScore): void {
  process.stderr.write(
    `${name}: ${score.total} requests, intent ${(score.intentAccuracy * 100).toFixed(1)}%, arguments ${(score.argAccuracy * 100).toFixed(1)}%\n${score.misses.map((m) => `  ${m}\n`).join('')}`,
  )
}
