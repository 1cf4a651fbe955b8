/**
 * Tests of whether two things go together beyond chance, for the 2×2 tables of affinity
 * (docs/analytics.md §Product affinity): Pearson's chi-square where every expected count is at
 * least 5, Fisher's exact test where one is not, and the Benjamini–Hochberg correction when
 * many items are tested at once.
 */

/** A 2×2 table: a = both, b = first only, c = second only, d = neither. */
export type TwoByTwo = { a: number; b: number; c: number; d: number }

/** Two-sided p-value of independence in a 2×2 table, and which test gave it. */
export function independenceTest(t: TwoByTwo): { pValue: number; test: 'chi_square' | 'fisher' } {
  const n = t.a + t.b + t.c + t.d
  if (n === 0) return { pValue: 1, test: 'chi_square' }
  const rows = [t.a + t.b, t.c + t.d]
  const cols = [t.a + t.c, t.b + t.d]
  const expected = [
    ((rows[0] as number) * (cols[0] as number)) / n,
    ((rows[0] as number) * (cols[1] as number)) / n,
    ((rows[1] as number) * (cols[0] as number)) / n,
    ((rows[1] as number) * (cols[1] as number)) / n,
  ]
  if (expected.some((e) => e === 0)) return { pValue: 1, test: 'chi_square' }
  if (expected.some((e) => e < 5)) return { pValue: fisherExact(t), test: 'fisher' }
  const observed = [t.a, t.b, t.c, t.d]
  let x2 = 0
  for (let i = 0; i < 4; i++)
    x2 += ((observed[i] as number) - (expected[i] as number)) ** 2 / (expected[i] as number)
  // Chi-square with one degree of freedom: P(X > x2) = erfc(sqrt(x2 / 2)).
  return { pValue: Math.min(1, erfc(Math.sqrt(x2 / 2))), test: 'chi_square' }
}

/**
 * Fisher's exact test, two-sided: the probability, with the margins fixed, of every table as
 * likely as the observed one or less (hypergeometric, in logs).
 */
export function fisherExact(t: TwoByTwo): number {
  const r1 = t.a + t.b
  const r2 = t.c + t.d
  const c1 = t.a + t.c
  const n = r1 + r2
  const logP = (a: number) => logChoose(r1, a) + logChoose(r2, c1 - a) - logChoose(n, c1)
  const observed = logP(t.a)
  let p = 0
  for (let a = Math.max(0, c1 - r2); a <= Math.min(r1, c1); a++) {
    const lp = logP(a)
    // A relative tolerance, so tables as likely as the observed one are not lost to rounding.
    if (lp <= observed + 1e-7) p += Math.exp(lp)
  }
  return Math.min(1, p)
}

/**
 * Benjamini–Hochberg adjusted p-values (q-values): an item is a discovery at false discovery
 * rate q when its adjusted value is at most q. Same order as the input.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p)
  const adjusted = new Array<number>(m)
  let running = 1
  for (let k = m - 1; k >= 0; k--) {
    const { p, i } = order[k] as { p: number; i: number }
    running = Math.min(running, (p * m) / (k + 1))
    adjusted[i] = running
  }
  return adjusted
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k)
}

/** ln(n!) by summing logs up to 256, then Stirling's series (error below 1e-10 there). */
function logFactorial(n: number): number {
  if (n < 256) {
    let sum = 0
    for (let i = 2; i <= n; i++) sum += Math.log(i)
    return sum
  }
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3)
}

/**
 * The complementary error function, by the continued-fraction-free Chebyshev fit of Numerical
 * Recipes (erfcc): fractional error below 1.2e-7 everywhere, so p-values down to 1e-300 keep
 * their order of magnitude.
 */
export function erfc(x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  return x >= 0 ? r : 2 - r
}
