type Stat = { n: number; mean: number; m2: number }

/** The parties to a money movement whose history an amount is scored against. */
export const ANOMALY_PARTIES = ['card', 'customer', 'terminal', 'location'] as const
export type AnomalyParty = (typeof ANOMALY_PARTIES)[number]

export type AnomalyScore = { score: number; z: number; entity: string | null }

/**
 * How unusual an amount is against the history of each party to it: the card, the customer,
 * the terminal and the location. Each keeps a running mean and variance of log amounts
 * (Welford), so scoring an event costs O(1); an entity needs a few events before it counts.
 */
export class AnomalyScorer {
  /** One map per kind of party, keyed by its id (no key is built per event). */
  private readonly byParty = new Map<string, Map<string, Stat>>()

  constructor(private readonly minHistory = 5) {}

  /**
   * Scores a money movement against what each entity (`kind:id`) did before (0 = ordinary,
   * approaching 1 as the largest z-score grows), then adds it to their history. Returns the
   * score and which entity found it most unusual.
   */
  observe(amountCents: number, entities: readonly (string | null)[]): AnomalyScore {
    const x = Math.log1p(Math.abs(amountCents))
    let worstZ = 0
    let worst: string | null = null
    for (const entity of entities) {
      if (entity === null) continue
      const at = entity.indexOf(':')
      const z = this.#update(entity.slice(0, at), entity.slice(at + 1), x)
      if (z > worstZ) {
        worstZ = z
        worst = entity
      }
    }
    return result(worstZ, worst)
  }

  /** The same, for the four parties of a ledger event, without building a key per event. */
  observeParties(
    amountCents: number,
    card: string | null,
    customer: string | null,
    terminal: string | null,
    location: string | null,
  ): AnomalyScore {
    const x = Math.log1p(Math.abs(amountCents))
    let worstZ = 0
    let worstKind: AnomalyParty | null = null
    let worstId = ''
    const ids = [card, customer, terminal, location]
    for (let i = 0; i < 4; i++) {
      const id = ids[i]
      if (id === null || id === undefined) continue
      const kind = ANOMALY_PARTIES[i] as AnomalyParty
      const z = this.#update(kind, id, x)
      if (z > worstZ) {
        worstZ = z
        worstKind = kind
        worstId = id
      }
    }
    return result(worstZ, worstKind ? `${worstKind}:${worstId}` : null)
  }

  /** The z-score of `x` against the entity's history (0 without enough of it), then adds `x`. */
  #update(kind: string, id: string, x: number): number {
    let stats = this.byParty.get(kind)
    if (!stats) {
      stats = new Map()
      this.byParty.set(kind, stats)
    }
    let s = stats.get(id)
    if (!s) {
      s = { n: 0, mean: 0, m2: 0 }
      stats.set(id, s)
    }
    let z = 0
    if (s.n >= this.minHistory) {
      const sd = Math.sqrt(s.m2 / (s.n - 1))
      z = sd > 1e-9 ? (x - s.mean) / sd : x > s.mean + 1e-9 ? 10 : 0
    }
    s.n++
    const delta = x - s.mean
    s.mean += delta / s.n
    s.m2 += delta * (x - s.mean)
    return z
  }
}

/** A logistic squash of z above 2 (roughly the top 2% of a normal history). */
function result(z: number, entity: string | null): AnomalyScore {
  const score = z <= 2 ? 0 : 1 - 1 / (1 + (z - 2))
  return {
    score: Math.round(score * 1000) / 1000,
    z: Math.round(z * 100) / 100,
    entity: z > 0 ? entity : null,
  }
}
