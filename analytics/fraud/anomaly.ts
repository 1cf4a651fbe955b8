/**
 * How unusual an amount is against the history of each party to it: the card, the customer,
 * the terminal and the location. Each keeps a running mean and variance of log amounts
 * (Welford), so scoring an event costs O(1); an entity needs a few events before it counts.
 */
export class AnomalyScorer {
  private readonly stats = new Map<string, { n: number; mean: number; m2: number }>()

  constructor(private readonly minHistory = 5) {}

  /**
   * Scores a money movement against what each entity did before (0 = ordinary, approaching 1
   * as the largest z-score grows), then adds it to their history. Returns the score and which
   * entity found it most unusual.
   */
  observe(
    amountCents: number,
    entities: readonly (string | null)[],
  ): { score: number; z: number; entity: string | null } {
    const x = Math.log1p(Math.abs(amountCents))
    let worst = { z: 0, entity: null as string | null }
    for (const entity of entities) {
      if (entity === null) continue
      const s = this.stats.get(entity) ?? { n: 0, mean: 0, m2: 0 }
      if (s.n >= this.minHistory) {
        const sd = Math.sqrt(s.m2 / (s.n - 1))
        const z = sd > 1e-9 ? (x - s.mean) / sd : x > s.mean + 1e-9 ? 10 : 0
        if (z > worst.z) worst = { z, entity }
      }
      s.n++
      const delta = x - s.mean
      s.mean += delta / s.n
      s.m2 += delta * (x - s.mean)
      this.stats.set(entity, s)
    }
    // A logistic squash of z above 2 (roughly the top 2% of a normal history).
    const score = worst.z <= 2 ? 0 : 1 - 1 / (1 + (worst.z - 2))
    return { score: Number(score.toFixed(3)), z: Number(worst.z.toFixed(2)), entity: worst.entity }
  }
}
