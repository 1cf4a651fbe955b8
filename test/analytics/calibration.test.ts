import { describe, expect, it } from 'vitest'
import {
  fitGroupedIsotonic,
  fitIsotonic,
  type Outcome,
  reliability,
} from '../../analytics/calibration.ts'

/** `count` predictions of `p`, `hits` of them true. */
function points(p: number, count: number, hits: number): Outcome[] {
  return Array.from({ length: count }, (_, i) => ({ p, outcome: i < hits }))
}

describe('reliability', () => {
  it('bins by equal counts and measures Brier and ECE by hand-checked figures', () => {
    // 10 at 0.1 (1 true), 10 at 0.5 (8 true): two bins of five-decile halves.
    const rel = reliability([...points(0.1, 10, 1), ...points(0.5, 10, 8)], 2)
    expect(rel.count).toBe(20)
    expect(rel.baseRate).toBeCloseTo(0.45)
    expect(rel.bins).toHaveLength(2)
    const [low, high] = rel.bins
    expect(low?.count).toBe(10)
    expect(low?.predicted).toBeCloseTo(0.1)
    expect(low?.observed).toBeCloseTo(0.1)
    expect(high?.count).toBe(10)
    expect(high?.predicted).toBeCloseTo(0.5)
    expect(high?.observed).toBeCloseTo(0.8)
    // ECE: half the points off by 0, half by 0.3.
    expect(rel.ece).toBeCloseTo(0.15)
    // Brier: (1·0.81 + 9·0.01 + 8·0.25 + 2·0.25) / 20.
    expect(rel.brier).toBeCloseTo((0.81 + 0.09 + 2 + 0.5) / 20)
    // Predicting the base rate 0.45 for all: 9 true at 0.55², 11 false at 0.45².
    expect(rel.baselineBrier).toBeCloseTo((9 * 0.3025 + 11 * 0.2025) / 20)
  })

  it('keeps tied predictions in one bin', () => {
    const rel = reliability([...points(0.2, 15, 3), ...points(0.9, 5, 4)], 10)
    expect(rel.bins.map((b) => b.count)).toEqual([15, 5])
  })

  it('is zero for a perfectly calibrated score', () => {
    const rel = reliability([...points(0.25, 40, 10), ...points(0.75, 40, 30)], 2)
    expect(rel.ece).toBeCloseTo(0)
  })
})

describe('isotonic calibration', () => {
  it('maps raw scores to the observed rate and never reverses their order', () => {
    // Raw scores overconfident at the top: 0.9 comes true only 30% of the time.
    const fit = fitIsotonic(
      [...points(0.1, 100, 5), ...points(0.5, 100, 20), ...points(0.9, 100, 30)],
      30,
    )
    expect(fit.apply(0.1)).toBeCloseTo(0.05)
    expect(fit.apply(0.5)).toBeCloseTo(0.2)
    expect(fit.apply(0.9)).toBeCloseTo(0.3)
    // Between steps: the lower one; above the last: the last.
    expect(fit.apply(0.7)).toBeCloseTo(0.2)
    expect(fit.apply(0.99)).toBeCloseTo(0.3)
  })

  it('pools adjacent scores whose rates would run backwards', () => {
    const fit = fitIsotonic([...points(0.2, 50, 20), ...points(0.4, 50, 10)], 30)
    // 0.2 → 40%, 0.4 → 20% violates the order: both get the pooled 30%.
    expect(fit.apply(0.2)).toBeCloseTo(0.3)
    expect(fit.apply(0.4)).toBeCloseTo(0.3)
  })

  it('does not let a handful of cards make a step of 0 or 1', () => {
    const fit = fitIsotonic([...points(0.2, 100, 20), ...points(0.95, 3, 3)], 30)
    expect(fit.apply(0.95)).toBeLessThan(0.5)
  })

  it('fits groups apart and falls back to the pooled map for a small group', () => {
    const data = [
      ...points(0.3, 300, 90).map((p) => ({ ...p, group: 'fresh' })),
      ...points(0.3, 300, 15).map((p) => ({ ...p, group: 'stale' })),
      ...points(0.3, 20, 20).map((p) => ({ ...p, group: 'rare' })),
    ]
    const fit = fitGroupedIsotonic(data, 200)
    expect(fit.groups).toEqual(['fresh', 'stale'])
    expect(fit.apply(0.3, 'fresh')).toBeCloseTo(0.3)
    expect(fit.apply(0.3, 'stale')).toBeCloseTo(0.05)
    // 'rare' has too few cards: the pooled rate over all 620.
    expect(fit.apply(0.3, 'rare')).toBeCloseTo(125 / 620)
  })
})
