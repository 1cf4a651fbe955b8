import { z } from 'zod'
import { CARD_STATUSES, DAY_MS, MAX_CENTS, MAX_OFFSET, toIso } from '../core/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { cardView, page } from './format.ts'
import { locationArgument, storeDirectory, storeView } from './locations.ts'
import { locationInScope, requireJurisdictions, storesToKeep } from './pilot.ts'
import { cardViewSchema, locationEchoSchema, pageShape } from './result-schemas.ts'

/** How a page of cards is ordered. */
export const CARD_SORTS = [
  'balance_desc',
  'balance_asc',
  'issued_desc',
  'last_activity_desc',
] as const

/** search_gift_cards' result: a page of cards, with the location asked for when one was. */
export const searchGiftCardsOutput = z.object({
  sort: z.enum(CARD_SORTS),
  location: locationEchoSchema.optional(),
  ...pageShape(cardViewSchema),
})
export type SearchGiftCardsResult = z.infer<typeof searchGiftCardsOutput>

export const searchGiftCards = defineTool({
  name: 'search_gift_cards',
  title: 'Search gift cards',
  description:
    'Find gift cards by last 4 digits, status, issuing store or city (location), jurisdiction, balance range or inactivity. Returns a page of cards (sort: balance_desc by default, balance_asc, issued_desc newest first, last_activity_desc) and the total count; pass nextOffset to get more. Returns { total, items: [{ cardId, last4, status, balance, store: { id, name, city, jurisdiction }, issuedAt, lastActivityAt, … }], nextOffset? }.',
  input: z.object({
    last4: z
      .string()
      .max(4)
      .regex(/^\d{4}$/, 'must be 4 digits')
      .optional()
      .describe('last 4 digits of the card number'),
    status: z.enum(CARD_STATUSES).optional().describe('card status'),
    location: locationArgument('issuing store or city'),
    jurisdiction: z
      .string()
      .max(5)
      .regex(/^US-[A-Z]{2}$/, 'must look like US-CA')
      .optional()
      .describe('issuing store jurisdiction, e.g. US-CA'),
    minBalanceCents: z
      .number()
      .int()
      .min(0)
      .max(MAX_CENTS)
      .optional()
      .describe('smallest balance, in cents'),
    maxBalanceCents: z
      .number()
      .int()
      .min(0)
      .max(MAX_CENTS)
      .optional()
      .describe('largest balance, in cents'),
    inactiveDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('no load or redemption for at least this many days'),
    sort: z.enum(CARD_SORTS).default('balance_desc').describe('order of the page'),
    limit: z.number().int().min(1).max(100).default(20).describe('cards per page'),
    offset: z.number().int().min(0).max(MAX_OFFSET).default(0).describe('where the page starts'),
  }),
  output: searchGiftCardsOutput,
  access: 'read',
  roles: ALL_ROLES,
  pilot: 'scoped',
  run: async (ctx, input) => {
    requireJurisdictions(ctx, input.jurisdiction)
    const location = await locationInScope(ctx, input.location)
    const stores = storesToKeep(ctx, location)
    let query = ctx.database.db
      .selectFrom('gift_cards as c')
      .leftJoin('locations as l', 'l.id', 'c.issuing_location_id')
    if (input.last4) query = query.where('c.gan_last4', '=', input.last4)
    if (input.status) query = query.where('c.status', '=', input.status)
    if (stores) query = query.where('c.issuing_location_id', 'in', [...stores, ''])
    if (input.jurisdiction) query = query.where('l.jurisdiction', '=', input.jurisdiction)
    if (input.minBalanceCents !== undefined)
      query = query.where('c.balance_cents', '>=', input.minBalanceCents)
    if (input.maxBalanceCents !== undefined)
      query = query.where('c.balance_cents', '<=', input.maxBalanceCents)
    if (input.inactiveDays !== undefined) {
      const cutoff = toIso(Date.now() - input.inactiveDays * DAY_MS)
      query = query.where((eb) =>
        eb.or([
          eb('c.last_activity_at', '<', cutoff),
          eb.and([eb('c.last_activity_at', 'is', null), eb('c.issued_at', '<', cutoff)]),
        ]),
      )
    }
    let ordered = query.selectAll('c')
    switch (input.sort) {
      case 'balance_desc':
        ordered = ordered.orderBy('c.balance_cents', 'desc')
        break
      case 'balance_asc':
        ordered = ordered.orderBy('c.balance_cents', 'asc')
        break
      case 'issued_desc':
        ordered = ordered.orderBy('c.issued_at', 'desc')
        break
      case 'last_activity_desc':
        // Never-used cards last, on both engines (nulls sort differently by default).
        ordered = ordered
          .orderBy((eb) => eb.case().when('c.last_activity_at', 'is', null).then(1).else(0).end())
          .orderBy('c.last_activity_at', 'desc')
        break
    }
    const [rows, total, directory] = await Promise.all([
      ordered.orderBy('c.id').limit(input.limit).offset(input.offset).execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      storeDirectory(ctx.database),
    ])
    return {
      sort: input.sort,
      ...(location ? { location: { query: location.query, stores: location.stores } } : {}),
      ...page(
        rows.map((c) => cardView(c, storeView(directory, c.issuing_location_id))),
        Number(total.n),
        input.offset,
      ),
    }
  },
})
