/**
 * How far a predicted probability can be trusted (docs/analytics.md §Calibration): a score is
 * calibrated when, of the cards given 30%, about 30% do it. Every likelihood the product shows
 * (reactivation, breakage risk, fraud scores) is reported with the table, the Brier score and
 * the expected calibration error measured here, on outcomes the model never saw.
 */

/**
 * One prediction and what happened: `p` in 0–1; `outcome` true when the event occurred, or for a
 * predicted share (of a balance left unredeemed) the share observed, 0–1.
 */
export type Outcome = { p: number; outcome: boolean | number }

const value = (outcome: boolean | number): number =>
  typeof outcome === 'number' ? outcome : outcome ? 1 : 0

/** One bin of a reliability table: predicted against observed, over `count` predictions. */
export type ReliabilityBin = {
  /** Lowest and highest prediction in the bin. */
  from: number
  to: number
  count: number
  /** Mean prediction. */
  predicted: number
  /** Share of the bin's predictions whose event occurred. */
  observed: number
}

export type Reliability = {
  count: number
  /** Share of all predictions whose event occurred (mean observed share). */
  baseRate: number
  /** Mean squared error of the probabilities (0 perfect). */
  brier: number
  /** The Brier score of predicting the base rate for everyone: what a score has to beat. */
  baselineBrier: number
  /** Count-weighted mean |predicted − observed| over the bins (0 perfect). */
  ece: number
  bins: ReliabilityBin[]
}

/**
 * The reliability table by equal-count bins (deciles by default: with most cards scored near
 * zero, equal-width bins would leave nine of ten nearly empty), the Brier score and the ECE.
 * Ties in `p` are kept in one bin, so a bin never splits cards the model cannot tell apart.
 */
export function reliability(points: readonly Outcome[], bins = 10): Reliability {
  const sorted = [...points].sort((a, b) => a.p - b.p)
  const n = sorted.length
  const table: ReliabilityBin[] = []
  let brier = 0
  let positives = 0
  for (const point of sorted) {
    brier += (point.p - value(point.outcome)) ** 2
    positives += value(point.outcome)
  }
  const base = n === 0 ? 0 : positives / n
  let baselineBrier = 0
  for (const point of sorted) baselineBrier += (value(point.outcome) - base) ** 2
  let ece = 0
  for (let start = 0; start < n; ) {
    let end = Math.max(start + 1, Math.round(((table.length + 1) * n) / bins))
    // Keep equal predictions together.
    while (end < n && (sorted[end] as Outcome).p === (sorted[end - 1] as Outcome).p) end++
    let predicted = 0
    let observed = 0
    for (let i = start; i < end; i++) {
      const point = sorted[i] as Outcome
      predicted += point.p
      observed += value(point.outcome)
    }
    const count = end - start
    const bin: ReliabilityBin = {
      from: (sorted[start] as Outcome).p,
      to: (sorted[end - 1] as Outcome).p,
      count,
      predicted: predicted / count,
      observed: observed / count,
    }
    ece += (count / n) * Math.abs(bin.predicted - bin.observed)
    table.push(bin)
    start = end
  }
  return {
    count: n,
    baseRate: base,
    brier: n === 0 ? 0 : brier / n,
    baselineBrier: n === 0 ? 0 : baselineBrier / n,
    ece,
    bins: table,
  }
}

/**
 * A monotone map from a raw score to the observed rate: isotonic regression by pool adjacent
 * violators over (raw score, outcome) pairs, read as a step function (a raw score between two
 * fitted steps takes the lower step; below the first, the first), each step pooling at least
 * `minBlock` predictions. It keeps the model's ranking
 * and corrects only its scale, so it cannot buy calibration by reordering cards.
 */
export type Calibrator = {
  /** Raw score → calibrated probability. */
  apply(raw: number): number
  /** The fitted steps: from this raw score up, this probability. */
  steps: { from: number; p: number }[]
  samples: number
}

export function fitIsotonic(points: readonly Outcome[], minBlock = 30): Calibrator {
  const sorted = [...points].sort((a, b) => a.p - b.p)
  // Blocks of pooled points: lowest raw score, total weight, sum of outcomes.
  const blocks: { from: number; weight: number; sum: number }[] = []
  for (let i = 0; i < sorted.length; ) {
    // Equal raw scores enter as one block (the map cannot split what the model ties), and a
    // block takes at least `minBlock` points, so a handful of cards cannot make a step of 0 or 1.
    const from = (sorted[i] as Outcome).p
    let weight = 0
    let sum = 0
    while (
      i < sorted.length &&
      (weight < minBlock || (sorted[i] as Outcome).p === (sorted[i - 1] as Outcome).p)
    ) {
      weight++
      sum += value((sorted[i] as Outcome).outcome)
      i++
    }
    blocks.push({ from, weight, sum })
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1] as (typeof blocks)[number]
      const before = blocks[blocks.length - 2] as (typeof blocks)[number]
      if (before.sum / before.weight < last.sum / last.weight) break
      blocks.pop()
      before.weight += last.weight
      before.sum += last.sum
    }
  }
  // A short last block (the top scores) joins the one before it.
  const tail = blocks[blocks.length - 1]
  if (tail && blocks.length > 1 && tail.weight < minBlock) {
    blocks.pop()
    const before = blocks[blocks.length - 1] as (typeof blocks)[number]
    before.weight += tail.weight
    before.sum += tail.sum
  }
  const steps = blocks.map((b) => ({ from: b.from, p: b.sum / b.weight }))
  return {
    steps,
    samples: sorted.length,
    apply(raw: number): number {
      if (steps.length === 0) return raw
      // The last step starting at or below `raw` (binary search).
      let lo = 0
      let hi = steps.length - 1
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if ((steps[mid] as { from: number }).from <= raw) lo = mid
        else hi = mid - 1
      }
      return (steps[lo] as { p: number }).p
    },
  }
}

/** A prediction with the group it belongs to (cards in different states calibrated apart). */
export type GroupedOutcome = Outcome & { group: string }

/**
 * Isotonic maps per group, with the pooled map for a group too small to fit alone (fewer than
 * `minGroup` predictions). A raw model can rank two kinds of card on one scale where they do
 * not belong (never-used cards two years idle scored as high as never-used cards three months
 * idle): fitted per group, each kind gets the rate its own past showed.
 */
export type GroupedCalibrator = {
  apply(raw: number, group: string): number
  groups: string[]
  samples: number
}

export function fitGroupedIsotonic(
  points: readonly GroupedOutcome[],
  minGroup = 200,
): GroupedCalibrator {
  const pooled = fitIsotonic(points)
  const byGroup = new Map<string, GroupedOutcome[]>()
  for (const point of points) {
    const list = byGroup.get(point.group)
    if (list) list.push(point)
    else byGroup.set(point.group, [point])
  }
  const fitted = new Map<string, Calibrator>()
  for (const [group, list] of byGroup)
    if (list.length >= minGroup && list.some((p) => p.outcome)) fitted.set(group, fitIsotonic(list))
  return {
    groups: [...fitted.keys()].sort(),
    samples: points.length,
    apply: (raw, group) => (fitted.get(group) ?? pooled).apply(raw),
  }
}
