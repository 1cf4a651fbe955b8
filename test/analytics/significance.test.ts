import { describe, expect, it } from 'vitest'
import {
  benjaminiHochberg,
  erfc,
  fisherExact,
  independenceTest,
} from '../../analytics/significance.ts'

describe('significance tests', () => {
  it('erfc matches reference values', () => {
    // Reference values of the complementary error function (Abramowitz and Stegun, table 7.1).
    expect(erfc(0)).toBeCloseTo(1, 7)
    expect(erfc(0.5)).toBeCloseTo(0.4795001222, 7)
    expect(erfc(1)).toBeCloseTo(0.1572992071, 7)
    expect(erfc(2)).toBeCloseTo(0.004677734981, 8)
    expect(erfc(-1)).toBeCloseTo(1.8427007929, 7)
  })

  it("Fisher's exact test gives the lady tasting tea its p of 0.486", () => {
    // Fisher's own example: 3 of 4 cups right each way; two-sided p = 34/70.
    expect(fisherExact({ a: 3, b: 1, c: 1, d: 3 })).toBeCloseTo(34 / 70, 10)
    expect(fisherExact({ a: 4, b: 0, c: 0, d: 4 })).toBeCloseTo(2 / 70, 10)
  })

  it('uses chi-square on large counts and Fisher on small ones', () => {
    // n = 100, margins 30/70 and 40/60: chi-square 0.7937, p = erfc(sqrt(0.3968)) = 0.3730.
    const large = independenceTest({ a: 10, b: 20, c: 30, d: 40 })
    expect(large.test).toBe('chi_square')
    expect(large.pValue).toBeCloseTo(0.373, 3)
    expect(independenceTest({ a: 3, b: 1, c: 1, d: 3 }).test).toBe('fisher')
    // No variation in one margin: nothing to test.
    expect(independenceTest({ a: 5, b: 0, c: 5, d: 0 }).pValue).toBe(1)
  })

  it('Benjamini–Hochberg adjusts by rank and keeps the order', () => {
    // Sorted 0.005, 0.01, 0.03, 0.04 over m = 4: 0.02, 0.02, 0.04, 0.04.
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005])
    expect(q.map((v) => Number(v.toFixed(6)))).toEqual([0.02, 0.04, 0.04, 0.02])
  })
})
