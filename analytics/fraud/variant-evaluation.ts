import type { FraudLabel } from '../../core/index.ts'
import { type Reliability, reliability } from '../calibration.ts'
import { type FraudAlert, type FraudContext, FraudEngine, type ScoredEvent } from './engine.ts'
import { evaluateAlerts, type FraudEvaluation } from './scan.ts'

/**
 * One world of ledger events with its ground truth, as the variant generator
 * (synth/fraud-variants.ts) draws them: the events in time order, the cards of each fraud
 * incident, the cards of each benign look-alike, and what the detectors may look up.
 */
export type FraudWorld = FraudContext & {
  seed: number
  events: readonly ScoredEvent[]
  labels: readonly FraudLabel[]
  lookalikes: readonly { cardId: string; kind: string }[]
  cards: number
}

/** Precision and recall across worlds, and how many cards of each look-alike were flagged. */
export type VariantEvaluation = FraudEvaluation & {
  worlds: number
  seeds: { first: number; last: number }
  /** Cards of each benign look-alike, and how many of them any rule flagged. */
  lookalikes: Record<string, { cards: number; flagged: number }>
  /** Per pattern: the worlds in which the detector missed every card of the incident. */
  missedWorlds: Record<string, number[]>
  /**
   * How far an alert's score can be read as the chance it is real: each alert's score against
   * whether its card carries that rule's label (docs/analytics.md §Calibration). Scores are
   * rankings the detectors set by rule, not fitted probabilities; this says how they read.
   */
  scoreReliability: Reliability
}

/**
 * Runs a fresh engine over each world (its own context, so no state crosses worlds) and
 * scores the alerts against the labels, pooled across worlds: card ids are unique per world,
 * so the pooled figures are card-level precision and recall across every variant.
 */
export function evaluateWorlds(worlds: Iterable<FraudWorld>): VariantEvaluation {
  const alerts: FraudAlert[] = []
  const labels: FraudLabel[] = []
  const lookalikes: VariantEvaluation['lookalikes'] = {}
  const missedWorlds: Record<string, number[]> = {}
  let cards = 0
  let count = 0
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  for (const world of worlds) {
    count++
    first = Math.min(first, world.seed)
    last = Math.max(last, world.seed)
    const engine = new FraudEngine({
      location: (id) => world.location(id),
      customerSince: (id) => world.customerSince(id),
    })
    const raised: FraudAlert[] = []
    for (const event of world.events) for (const alert of engine.observe(event)) raised.push(alert)
    const flagged = new Set(raised.map((a) => a.cardId))
    const byRule = new Map<string, Set<string>>()
    for (const a of raised) {
      const set = byRule.get(a.rule) ?? new Set<string>()
      byRule.set(a.rule, set)
      set.add(a.cardId)
    }
    for (const l of world.lookalikes) {
      const entry = lookalikes[l.kind] ?? { cards: 0, flagged: 0 }
      lookalikes[l.kind] = entry
      entry.cards++
      if (flagged.has(l.cardId)) entry.flagged++
    }
    const patterns = new Set(world.labels.map((l) => l.pattern))
    for (const pattern of patterns) {
      const found = byRule.get(pattern)
      if (!world.labels.some((l) => l.pattern === pattern && found?.has(l.card_id)))
        missedWorlds[pattern] = [...(missedWorlds[pattern] ?? []), world.seed]
    }
    alerts.push(...raised)
    labels.push(...world.labels)
    cards += world.cards
  }
  const labelled = new Set(labels.map((l) => `${l.pattern}|${l.card_id}`))
  return {
    ...evaluateAlerts(alerts, labels, cards),
    worlds: count,
    seeds: { first, last },
    lookalikes,
    missedWorlds,
    scoreReliability: reliability(
      alerts.map((a) => ({ p: a.score, outcome: labelled.has(`${a.rule}|${a.cardId}`) })),
    ),
  }
}
