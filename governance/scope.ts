import { type Config, GiftCardError } from '../core/index.ts'
import type { Database } from '../db/index.ts'

/** A pilot store as a scope names it. */
export type PilotStore = { id: string; name: string; jurisdiction: string }

/**
 * What every result answered under a pilot carries (docs/pilot.md): which stores it covers, as
 * configured and as resolved, and one line saying so. `unscoped` is there when the tool answers
 * for the whole chain anyway (the audit log, approvals), with the reason.
 */
export type ScopeSummary = {
  pilot: true
  /** The pilot's store ids, resolved from the locations table. */
  locations: string[]
  /** PILOT_JURISDICTIONS as configured. */
  jurisdictions: string[]
  /** Configured location ids and jurisdictions that match no store (ignored: docs/pilot.md). */
  unknown?: string[]
  /** Set when this answer is not limited to the pilot: why. */
  unscoped?: string
  /** One line a person reads: "US-NY (4 stores: loc_002, loc_005, loc_011, loc_017)". */
  summary: string
}

/** Stores a summary names one by one; more are counted. */
const NAMED_STORES = 8

/**
 * The pilot scope of one call (docs/pilot.md): the set of store ids PILOT_LOCATIONS and
 * PILOT_JURISDICTIONS stand for, resolved from the locations table, so a jurisdiction means
 * every store in it today. A card is in scope when its issuing store is; an event, when its
 * store is. Without a pilot (`Scope.CHAIN`) everything is in scope and nothing is filtered.
 *
 * The tool executor resolves it for every call and hands it to the tool (ToolContext.scope);
 * the streaming fraud listener, the Slack alert publisher and the checkout endpoint resolve it
 * too. A pilot whose names match no store has no store: it answers nothing (fails closed).
 */
export class Scope {
  /** No pilot: the whole chain. */
  static readonly CHAIN = new Scope(false, [], [], [], [])

  private readonly ids: ReadonlySet<string>

  private constructor(
    /** True when a pilot is configured (even one that matches no store). */
    readonly pilot: boolean,
    /** The pilot's stores, by id. */
    readonly stores: readonly PilotStore[],
    /** PILOT_LOCATIONS as configured. */
    readonly configuredLocations: readonly string[],
    /** PILOT_JURISDICTIONS as configured. */
    readonly configuredJurisdictions: readonly string[],
    /** Configured names no store matches. */
    readonly unknown: readonly string[],
  ) {
    this.ids = new Set(stores.map((s) => s.id))
  }

  /**
   * The scope `pilot` stands for in `database` now: the stores whose id PILOT_LOCATIONS names or
   * whose jurisdiction PILOT_JURISDICTIONS names. No pilot configured: `Scope.CHAIN`, with no
   * query. One read of the locations table (a chain has dozens of stores).
   */
  static async resolve(database: Database, pilot: Config['pilot'] | undefined): Promise<Scope> {
    if (!pilot || (pilot.locations.length === 0 && pilot.jurisdictions.length === 0))
      return Scope.CHAIN
    const rows = await database.db
      .selectFrom('locations')
      .select(['id', 'name', 'jurisdiction'])
      .orderBy('id')
      .execute()
    return Scope.of(rows, pilot)
  }

  /** The scope `pilot` stands for among `stores` (what `resolve` reads). */
  static of(stores: readonly PilotStore[], pilot: Config['pilot']): Scope {
    if (pilot.locations.length === 0 && pilot.jurisdictions.length === 0) return Scope.CHAIN
    const ids = new Set(pilot.locations)
    const states = new Set(pilot.jurisdictions)
    const kept = stores.filter((s) => ids.has(s.id) || states.has(s.jurisdiction))
    const unknown = [
      ...pilot.locations.filter((id) => !stores.some((s) => s.id === id)),
      ...pilot.jurisdictions.filter((j) => !stores.some((s) => s.jurisdiction === j)),
    ]
    return new Scope(
      true,
      kept.map((s) => ({ id: s.id, name: s.name, jurisdiction: s.jurisdiction })),
      pilot.locations,
      pilot.jurisdictions,
      unknown,
    )
  }

  /** The pilot's store ids (empty without a pilot: see `pilot`). */
  get locationIds(): string[] {
    return this.stores.map((s) => s.id)
  }

  /**
   * The pilot's store ids for an SQL `in` list: never empty, since `in ()` is not SQL (`['']`
   * when the pilot has no store; no store's id is empty).
   */
  get inList(): string[] {
    return this.stores.length > 0 ? this.locationIds : ['']
  }

  /** True when a store (an issuing store, or where an event happened) is in scope. */
  includesStore(id: string | null | undefined): boolean {
    if (!this.pilot) return true
    return id !== null && id !== undefined && this.ids.has(id)
  }

  /** True when some pilot store is in the jurisdiction (always, without a pilot). */
  includesJurisdiction(jurisdiction: string): boolean {
    return !this.pilot || this.stores.some((s) => s.jurisdiction === jurisdiction)
  }

  /**
   * The store ids a query keeps: `ids` (a resolved location argument) narrowed to the pilot, or
   * the pilot's stores when no location was asked for. `undefined` means every store (no pilot
   * and no location): add no filter.
   */
  restrict(ids?: readonly string[]): string[] | undefined {
    if (!this.pilot) return ids ? [...ids] : undefined
    return ids ? ids.filter((id) => this.ids.has(id)) : this.locationIds
  }

  /** The pilot in a few words: "US-NY and loc_020 (5 stores: …)". */
  describe(): string {
    if (!this.pilot) return 'the whole chain'
    const named = [...this.configuredJurisdictions, ...this.configuredLocations].join(', ')
    const ids = this.locationIds
    const stores =
      ids.length === 0
        ? 'no store of the ledger matches it'
        : `${ids.length} store${ids.length === 1 ? '' : 's'}: ${ids.slice(0, NAMED_STORES).join(', ')}${
            ids.length > NAMED_STORES ? `, and ${ids.length - NAMED_STORES} more` : ''
          }`
    return `${named} (${stores})`
  }

  /** What a result says of its scope; `unscoped` when the tool answers for the whole chain. */
  summary(unscoped?: string): ScopeSummary {
    const unknownWords =
      this.unknown.length > 0 ? `; ${this.unknown.join(', ')} match no store and are ignored` : ''
    return {
      pilot: true,
      locations: this.locationIds,
      jurisdictions: [...this.configuredJurisdictions],
      ...(this.unknown.length > 0 ? { unknown: [...this.unknown] } : {}),
      ...(unscoped ? { unscoped } : {}),
      summary: `${this.describe()}${unknownWords}${
        unscoped ? ` — this answer covers the whole chain: ${unscoped}` : ''
      }`,
    }
  }

  /**
   * The refusal for something outside the pilot (OUT_OF_SCOPE), naming the pilot, e.g.
   * `card gc_1 is outside the pilot scope (pilot: US-NY (2 stores: …))`. It never carries what
   * the thing holds (a balance, a hold), only that it is outside.
   */
  refusal(what: string, hint = 'ask about the pilot stores only'): GiftCardError {
    return new GiftCardError(
      'OUT_OF_SCOPE',
      `${what} is outside the pilot scope (pilot: ${this.describe()}); ${hint}`,
      { details: { pilot: this.locationIds } },
    )
  }

  /** Refuses a jurisdiction argument where the pilot has no store. */
  requireJurisdictions(jurisdictions: readonly (string | undefined)[]): void {
    for (const j of jurisdictions)
      if (j !== undefined && !this.includesJurisdiction(j)) throw this.refusal(j)
  }

  /** Refuses a store outside the pilot (`what` names it for the person). */
  requireStore(id: string | null | undefined, what: string): void {
    if (!this.includesStore(id)) throw this.refusal(what)
  }
}

/**
 * The issuing store of each of `cardIds` that is in scope: the cards of the pilot among them
 * (all of them without a pilot). For the jobs that raise alerts one card at a time.
 */
export async function cardsInScope(
  database: Database,
  scope: Scope,
  cardIds: readonly string[],
): Promise<Set<string>> {
  if (!scope.pilot) return new Set(cardIds)
  const inScope = new Set<string>()
  const unique = [...new Set(cardIds)]
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await database.db
      .selectFrom('gift_cards')
      .select('id')
      .where('id', 'in', unique.slice(i, i + 500))
      .where('issuing_location_id', 'in', scope.inList)
      .execute()
    for (const r of rows) inScope.add(r.id)
  }
  return inScope
}

/**
 * For an approved write as it runs (ApprovalExecutor.prepare): refuses, with OUT_OF_SCOPE, a
 * card outside the pilot, so a request filed before the pilot began (or under another one)
 * fails with the reason instead of acting outside it. No pilot: nothing to check.
 */
export async function requireCardInPilot(
  database: Database,
  pilot: Config['pilot'] | undefined,
  cardId: string,
): Promise<void> {
  const scope = await Scope.resolve(database, pilot)
  if (!scope.pilot) return
  const inScope = await cardsInScope(database, scope, [cardId])
  if (!inScope.has(cardId))
    throw scope.refusal(`card ${cardId}`, 'the request was filed outside the pilot and is not run')
}

/**
 * For the jobs that raise alerts as events arrive (the streaming fraud listener): which of some
 * cards are the pilot's, resolved on each call. Undefined without a pilot: keep every card.
 */
export function pilotCardFilter(
  database: Database,
  pilot: Config['pilot'] | undefined,
): ((cardIds: readonly string[]) => Promise<ReadonlySet<string>>) | undefined {
  if (!pilot || (pilot.locations.length === 0 && pilot.jurisdictions.length === 0)) return undefined
  return async (cardIds) => cardsInScope(database, await Scope.resolve(database, pilot), cardIds)
}
