import { FloatColumn, IntColumn, Interner } from '../columns.ts'

/** The parties to a money movement whose history an amount is scored against. */
export const ANOMALY_PARTIES = ['card', 'customer', 'terminal', 'location'] as const
export type AnomalyParty = (typeof ANOMALY_PARTIES)[number]

export type AnomalyScore = { score: number; z: number; entity: string | null }

/** Running mean and variance (Welford) of log amounts per numbered entity, as columns. */
class StatTable {
  readonly names = new Interner()
  private readonly n = new IntColumn()
  private readonly mean = new FloatColumn()
  private readonly m2 = new FloatColumn()

  constructor(private readonly minHistory: number) {}

  /** The z-score of `x` against entity `i`'s history (0 without enough of it), then adds `x`. */
  update(i: number, x: number): number {
    const n = this.n.get(i)
    const mean = this.mean.get(i)
    const m2 = this.m2.get(i)
    let z = 0
    if (n >= this.minHistory) {
      const sd = Math.sqrt(m2 / (n - 1))
      z = sd > 1e-9 ? (x - mean) / sd : x > mean + 1e-9 ? 10 : 0
    }
    const count = n + 1
    const delta = x - mean
    const nextMean = mean + delta / count
    this.n.set(i, count)
    this.mean.set(i, nextMean)
    this.m2.set(i, m2 + delta * (x - nextMean))
    return z
  }
}

/**
 * How unusual an amount is against the history of each party to it: the card, the customer,
 * the terminal and the location. Each keeps a running mean and variance of log amounts
 * (Welford), so scoring an event costs O(1); an entity needs a few events before it counts.
 */
export class AnomalyScorer {
  /** One table per kind of party; entities are numbered within their kind. */
  private readonly tables = new Map<string, StatTable>()
  /** Cards numbered by the caller (the fraud engine numbers them once for all its state). */
  private readonly cards: StatTable

  constructor(private readonly minHistory = 5) {
    this.cards = new StatTable(minHistory)
  }

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

  /**
   * The same, for the four parties of a ledger event: the card by the caller's number for it
   * (null for none), the others by id. Cards scored here are kept apart from `card:` entities
   * given to `observe`: one scorer uses one of the two.
   */
  observeParties(
    amountCents: number,
    card: { number: number; id: string } | null,
    customer: string | null,
    terminal: string | null,
    location: string | null,
  ): AnomalyScore {
    const x = Math.log1p(Math.abs(amountCents))
    let worstZ = 0
    let worstKind: AnomalyParty | null = null
    let worstId = ''
    if (card) {
      const z = this.cards.update(card.number, x)
      if (z > worstZ) {
        worstZ = z
        worstKind = 'card'
        worstId = card.id
      }
    }
    const others = [customer, terminal, location]
    for (let i = 0; i < 3; i++) {
      const id = others[i]
      if (id === null || id === undefined) continue
      const kind = ANOMALY_PARTIES[i + 1] as AnomalyParty
      const z = this.#update(kind, id, x)
      if (z > worstZ) {
        worstZ = z
        worstKind = kind
        worstId = id
      }
    }
    return result(worstZ, worstKind ? `${worstKind}:${worstId}` : null)
  }

  #update(kind: string, id: string, x: number): number {
    let table = this.tables.get(kind)
    if (!table) {
      table = new StatTable(this.minHistory)
      this.tables.set(kind, table)
    }
    return table.update(table.names.number(id), x)
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
