import { z } from 'zod'
import { DORMANT_SORTS, findDormantCards as runDormancy } from '../analytics/index.ts'
import { MAX_CENTS, MAX_OFFSET } from '../core/index.ts'
import { chainCalendar, ledgerUpTo } from './chain-calendar.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money, page } from './format.ts'
import { locationArgument, storeDirectory, storeView } from './locations.ts'
import { locationInScope, pilotStores, requireJurisdictions } from './pilot.ts'
import { locationEchoSchema, moneySchema, pageShape, storeViewSchema } from './result-schemas.ts'

/** find_dormant_cards' result: how many cards are dormant, what they hold, and a page of them. */
export const findDormantCardsOutput = z.object({
  asOf: z.string(),
  ledgerUpTo: z.string().nullable(),
  idleSince: z.string(),
  timezone: z.string(),
  minDays: z.number(),
  sort: z.enum(DORMANT_SORTS),
  location: locationEchoSchema.optional(),
  dormantCards: z.number(),
  dormantBalance: moneySchema,
  calibration: z.object({
    method: z.enum(['isotonic', 'none']),
    cutoffs: z.array(z.string()),
    samples: z.number(),
    note: z.string().optional(),
  }),
  ...pageShape(
    z.object({
      cardId: z.string(),
      store: storeViewSchema.nullable(),
      balance: moneySchema,
      daysInactive: z.number(),
      lastActivityAt: z.string(),
      reactivation: z.number(),
      features: z.object({
        ageMonths: z.number(),
        monthsIdle: z.number(),
        reloaded: z.boolean(),
        used: z.boolean(),
      }),
    }),
  ),
})
export type FindDormantCardsResult = z.infer<typeof findDormantCardsOutput>

export const findDormantCards = defineTool({
  name: 'find_dormant_cards',
  title: 'Find dormant cards',
  description:
    'Cards with a balance and no load or redemption for at least N days (default 90) or since a chain calendar day (idleSince), with a 0–1 likelihood of use within 90 days (the run-off model chance, calibrated on what dormant cards did at earlier cut-offs; `calibration` says how). Narrow by balance range, jurisdiction or issuing store / city; sort by reactivation (default), balance or idle time. Returns { asOf, ledgerUpTo, idleSince, minDays, dormantCards (count of all that match), dormantBalance, calibration, total, items: [{ cardId, store: { id, name, city, jurisdiction }, balance, daysInactive, lastActivityAt, reactivation, features }], nextOffset? }.',
  input: z.object({
    minDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe('days without a load or redemption (ignored with idleSince)'),
    idleSince: z
      .string()
      .max(10)
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
      .optional()
      .describe('no load or redemption since this chain calendar day, YYYY-MM-DD'),
    minBalanceCents: z
      .number()
      .int()
      .min(1)
      .max(MAX_CENTS)
      .default(1)
      .describe('smallest balance, in cents'),
    maxBalanceCents: z
      .number()
      .int()
      .min(1)
      .max(MAX_CENTS)
      .optional()
      .describe('largest balance, in cents'),
    jurisdiction: z
      .string()
      .max(5)
      .regex(/^US-[A-Z]{2}$/, 'must look like US-CA')
      .optional()
      .describe('only cards issued in this jurisdiction, e.g. US-NY'),
    location: locationArgument('only cards issued at this store or city'),
    sort: z
      .enum(DORMANT_SORTS)
      .default('reactivation_desc')
      .describe(
        'reactivation_desc (most likely back first), balance_desc or idle_desc (longest idle first)',
      ),
    limit: z.number().int().min(1).max(100).default(20).describe('cards per page'),
    offset: z.number().int().min(0).max(MAX_OFFSET).default(0).describe('where the page starts'),
  }),
  output: findDormantCardsOutput,
  access: 'read',
  roles: ALL_ROLES,
  // Only the pilot's cards, with a reactivation model fitted on them.
  pilot: 'scoped',
  run: async (ctx, input) => {
    requireJurisdictions(ctx, input.jurisdiction)
    const calendar = await chainCalendar(ctx)
    const location = await locationInScope(ctx, input.location)
    const [report, directory, upTo] = await Promise.all([
      runDormancy(ctx.database, {
        ...(input.idleSince
          ? { idleBefore: calendar.start(input.idleSince) }
          : { minDays: input.minDays }),
        minBalanceCents: input.minBalanceCents,
        ...(input.maxBalanceCents !== undefined ? { maxBalanceCents: input.maxBalanceCents } : {}),
        ...(input.jurisdiction ? { jurisdiction: input.jurisdiction } : {}),
        ...(location ? { locationIds: location.ids } : {}),
        sort: input.sort,
        limit: input.limit,
        offset: input.offset,
        ...pilotStores(ctx),
      }),
      storeDirectory(ctx.database),
      ledgerUpTo(ctx),
    ])
    return {
      asOf: calendar.dayOf(report.asOf),
      ledgerUpTo: upTo,
      idleSince: input.idleSince ?? calendar.dayOf(report.idleBefore),
      timezone: calendar.timezone,
      minDays: report.minDays,
      sort: input.sort,
      ...(location ? { location: { query: location.query, stores: location.stores } } : {}),
      dormantCards: report.cards,
      dormantBalance: money(report.balanceCents),
      calibration: report.calibration,
      ...page(
        report.dormant.map((d) => ({
          cardId: d.cardId,
          store: storeView(directory, d.locationId),
          balance: money(d.balanceCents),
          daysInactive: d.daysInactive,
          lastActivityAt: d.lastActivityAt,
          reactivation: d.reactivation,
          features: d.features,
        })),
        report.cards,
        input.offset,
      ),
    }
  },
})
