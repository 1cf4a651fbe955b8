import { z } from 'zod'
import { unknownJurisdictionNote } from '../analytics/index.ts'
import { GiftCardError } from '../core/index.ts'
import {
  LIABILITY_GROUPS,
  type LiabilityRow,
  liabilityAsOf,
  UNKNOWN_JURISDICTION,
  unknownJurisdictionLiability,
} from '../db/index.ts'
import { chainCalendar, ledgerUpTo } from './chain-calendar.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money } from './format.ts'
import { answerFreshness } from './freshness.ts'
import { locationArgument, storeDirectory, storeView } from './locations.ts'
import { locationInScope, requireJurisdictions } from './pilot.ts'
import {
  answerFreshnessSchema,
  locationEchoSchema,
  moneySchema,
  storeViewSchema,
} from './result-schemas.ts'

const jurisdiction = z
  .string()
  .max(5)
  .regex(/^US-[A-Z]{2}$/, 'must look like US-CA')

/** get_liability's result: the total, one row per group, and what the stores' master data lacks. */
export const getLiabilityOutput = z.object({
  asOf: z.string(),
  asOfDay: z.string(),
  ledgerUpTo: z.string().nullable(),
  freshness: answerFreshnessSchema,
  timezone: z.string(),
  groupBy: z.enum(LIABILITY_GROUPS),
  jurisdictions: z.array(z.string()).optional(),
  location: locationEchoSchema.optional(),
  total: moneySchema,
  cards: z.number(),
  rows: z.array(
    z.object({
      key: z.string(),
      store: storeViewSchema.nullable().optional(),
      cards: z.number(),
      liability: moneySchema,
    }),
  ),
  otherRows: z.object({ rows: z.number(), cards: z.number(), liability: moneySchema }).optional(),
  unknownJurisdiction: z
    .object({
      cards: z.number(),
      liability: moneySchema,
      stores: z.number(),
      withoutStore: z.object({ cards: z.number(), liability: moneySchema }),
      note: z.string(),
    })
    .optional(),
})
export type GetLiabilityResult = z.infer<typeof getLiabilityOutput>

export const getLiability = defineTool({
  name: 'get_liability',
  title: 'Outstanding gift card liability',
  description:
    'Outstanding gift card liability (unredeemed balances) now or at the end of a past chain calendar day, in total or grouped by jurisdiction (state), issuing location, issue cohort (month), occasion or channel. Filter to one state (jurisdiction), several to compare them (jurisdictions: ["US-NY","US-CA"]) or one store or city (location); top keeps the largest rows. Returns { asOf (the day, or now), asOfDay, ledgerUpTo (latest transaction), freshness (per source: newest event, lag; a warning when a feed is stale), groupBy, total, cards, rows: [{ key, store? { id, name, city, jurisdiction } for locations, cards, liability }], otherRows?, unknownJurisdiction? { cards, liability, stores, note } when cards sit at stores whose state is not known yet (say the note: store master data is missing) }.',
  input: z.object({
    groupBy: z.enum(LIABILITY_GROUPS).default('total').describe('how to group the liability'),
    asOf: z
      .string()
      .max(10)
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
      .optional()
      .describe('balances at the end of this chain calendar day; default now'),
    jurisdiction: jurisdiction.optional().describe('only this jurisdiction, e.g. US-CA'),
    jurisdictions: z
      .array(jurisdiction)
      .min(1)
      .max(60)
      .optional()
      .describe('only these jurisdictions, one row each (to compare them, e.g. NY vs CA)'),
    location: locationArgument('only cards issued at this store or city'),
    top: z.number().int().min(1).max(100).optional().describe('only the N largest rows'),
  }),
  output: getLiabilityOutput,
  access: 'read',
  roles: ALL_ROLES,
  // Only cards issued at pilot stores count; a state or store outside it is refused.
  pilot: 'scoped',
  run: async (ctx, input) => {
    requireJurisdictions(ctx, input.jurisdiction, input.jurisdictions)
    const calendar = await chainCalendar(ctx)
    const asOf = input.asOf ? calendar.end(input.asOf) : undefined
    const wantedStates =
      input.jurisdiction || input.jurisdictions
        ? new Set([
            ...(input.jurisdictions ?? []),
            ...(input.jurisdiction ? [input.jurisdiction] : []),
          ])
        : undefined
    const location = await locationInScope(ctx, input.location)
    const pilotStores = ctx.scope.pilot ? { locations: ctx.scope.locationIds } : {}
    const filtered = wantedStates !== undefined || location !== undefined
    if (filtered && !['total', 'location', 'jurisdiction'].includes(input.groupBy))
      throw new GiftCardError(
        'INVALID_INPUT',
        `groupBy ${input.groupBy} cannot be combined with a jurisdiction or location filter; group by total, location or jurisdiction`,
      )
    // With a filter, "total" shows one row per filtered state or store.
    const groupBy =
      filtered && input.groupBy === 'total'
        ? location
          ? 'location'
          : 'jurisdiction'
        : input.groupBy
    const directory = await storeDirectory(ctx.database)
    let rows: LiabilityRow[]
    if (filtered) {
      // Stores are the finest grain both filters share: filter them, then group as asked.
      const byStore = await liabilityAsOf(ctx.database.db, {
        groupBy: 'location',
        ...(asOf ? { asOf } : {}),
        ...pilotStores,
      })
      const kept = byStore.filter((r) => {
        const store = directory.get(r.key)
        if (!store) return false
        if (location && !location.ids.includes(r.key)) return false
        return !wantedStates || wantedStates.has(store.jurisdiction)
      })
      rows = groupBy === 'location' ? kept : regroupByJurisdiction(kept, directory)
      // A state asked for with nothing outstanding is a row of zero, not a missing one.
      if (groupBy === 'jurisdiction' && wantedStates)
        for (const state of wantedStates)
          if (!rows.some((r) => r.key === state))
            rows.push({ key: state, cards: 0, liabilityCents: 0 })
    } else
      rows = await liabilityAsOf(ctx.database.db, {
        groupBy,
        ...(asOf ? { asOf } : {}),
        ...pilotStores,
      })
    const total = rows.reduce((s, r) => s + r.liabilityCents, 0)
    const cards = rows.reduce((s, r) => s + r.cards, 0)
    // A row of stores no master data has described: say how much, where, and how to fix it.
    const unknownRow = rows.some((r) =>
      groupBy === 'jurisdiction'
        ? r.key === UNKNOWN_JURISDICTION
        : groupBy === 'location' &&
          (directory.get(r.key)?.jurisdiction ?? UNKNOWN_JURISDICTION) === UNKNOWN_JURISDICTION,
    )
    const unknown =
      unknownRow && !filtered
        ? await unknownJurisdictionLiability(ctx.database.db, {
            ...(asOf ? { asOf } : {}),
            ...pilotStores,
          })
        : undefined
    const unknownNote = unknown && unknownJurisdictionNote(unknown)
    const shown = input.top ? rows.slice(0, input.top) : rows
    const others = rows.slice(shown.length)
    return {
      // 'now' (current balances) or the day asked for; asOfDay is the chain day either way.
      asOf: input.asOf ?? 'now',
      asOfDay: input.asOf ?? calendar.today(),
      ledgerUpTo: await ledgerUpTo(ctx),
      // Per source: newest event and lag, and a warning when a configured feed is stale.
      freshness: await answerFreshness(ctx),
      timezone: calendar.timezone,
      groupBy,
      ...(wantedStates ? { jurisdictions: [...wantedStates] } : {}),
      ...(location ? { location: { query: location.query, stores: location.stores } } : {}),
      total: money(total),
      cards,
      rows: shown.map((r) => ({
        key: r.key,
        ...(groupBy === 'location'
          ? { store: storeView(directory, r.key === 'unknown' ? null : r.key) }
          : {}),
        cards: r.cards,
        liability: money(r.liabilityCents),
      })),
      ...(others.length > 0
        ? {
            otherRows: {
              rows: others.length,
              cards: others.reduce((s, r) => s + r.cards, 0),
              liability: money(others.reduce((s, r) => s + r.liabilityCents, 0)),
            },
          }
        : {}),
      ...(unknown && unknownNote
        ? {
            unknownJurisdiction: {
              cards: unknown.cards,
              liability: money(unknown.liabilityCents),
              stores: unknown.stores,
              withoutStore: {
                cards: unknown.withoutStore.cards,
                liability: money(unknown.withoutStore.liabilityCents),
              },
              note: unknownNote,
            },
          }
        : {}),
    }
  },
})

/** Store rows summed by their store's jurisdiction, largest first. */
function regroupByJurisdiction(
  rows: readonly LiabilityRow[],
  directory: ReadonlyMap<string, { jurisdiction: string }>,
): LiabilityRow[] {
  const sums = new Map<string, LiabilityRow>()
  for (const r of rows) {
    const key = directory.get(r.key)?.jurisdiction ?? 'unknown'
    const sum = sums.get(key) ?? { key, cards: 0, liabilityCents: 0 }
    sum.cards += r.cards
    sum.liabilityCents += r.liabilityCents
    sums.set(key, sum)
  }
  return [...sums.values()].sort(
    (a, b) => b.liabilityCents - a.liabilityCents || a.key.localeCompare(b.key),
  )
}
