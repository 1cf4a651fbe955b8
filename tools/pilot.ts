import { GiftCardError } from '../core/index.ts'
import type { ToolContext } from './define-tool.ts'
import { type ResolvedLocation, resolveLocation } from './locations.ts'

/**
 * How the tools keep to the pilot scope (docs/pilot.md): the helpers every scoped tool uses for
 * its `location`, `jurisdiction` and alert arguments. Cards go through `resolveCard`
 * (tools/format.ts), which refuses a card outside the pilot.
 */

/**
 * A `location` argument resolved (tools/locations.ts) and kept to the pilot: a city with pilot
 * stores and others is narrowed to its pilot stores; a store or city wholly outside the pilot
 * is refused with OUT_OF_SCOPE naming the pilot. Undefined when no location was given.
 */
export async function locationInScope(
  ctx: ToolContext,
  reference: string | undefined,
): Promise<ResolvedLocation | undefined> {
  if (reference === undefined) return undefined
  const location = await resolveLocation(ctx.database, reference)
  if (!ctx.scope.pilot) return location
  const kept = location.stores.filter((s) => ctx.scope.includesStore(s.id))
  if (kept.length === 0)
    throw ctx.scope.refusal(
      location.stores.map((s) => `${s.name} (${s.id}, ${s.jurisdiction})`).join(', '),
    )
  return { ...location, stores: kept, ids: kept.map((s) => s.id) }
}

/**
 * The issuing stores a card query keeps: the location asked for (already in scope) or, under a
 * pilot, its stores; undefined means every store (no pilot, no location): add no filter.
 */
export function storesToKeep(
  ctx: ToolContext,
  location: ResolvedLocation | undefined,
): string[] | undefined {
  return ctx.scope.restrict(location?.ids)
}

/** Refuses jurisdiction arguments where the pilot has no store (OUT_OF_SCOPE naming the pilot). */
export function requireJurisdictions(
  ctx: ToolContext,
  ...jurisdictions: (string | readonly string[] | undefined)[]
): void {
  ctx.scope.requireJurisdictions(jurisdictions.flat())
}

/**
 * A fraud alert by id, refused (OUT_OF_SCOPE) when its card was issued outside the pilot:
 * only that it is outside is said, nothing of the card. NOT_FOUND when there is no such alert.
 */
export async function alertInScope(
  ctx: ToolContext,
  alertId: number,
): Promise<{ id: number; cardId: string }> {
  const alert = await ctx.database.db
    .selectFrom('fraud_alerts as a')
    .leftJoin('gift_cards as c', 'c.id', 'a.card_id')
    .select(['a.id', 'a.card_id', 'c.issuing_location_id'])
    .where('a.id', '=', alertId)
    .executeTakeFirst()
  if (!alert) throw new GiftCardError('NOT_FOUND', `no fraud alert #${alertId}`)
  if (!ctx.scope.includesStore(alert.issuing_location_id))
    throw ctx.scope.refusal(`fraud alert #${alertId} (on a card issued outside the pilot)`)
  return { id: Number(alert.id), cardId: alert.card_id }
}

/**
 * The analytics option that limits a pass over the ledger to the pilot's cards (models fitted
 * on them too): `{ pilotStores }` under a pilot, nothing otherwise.
 */
export function pilotStores(ctx: Pick<ToolContext, 'scope'>): { pilotStores?: string[] } {
  return ctx.scope.pilot ? { pilotStores: ctx.scope.locationIds } : {}
}
