import { z } from 'zod'
import { CARD_STATUSES, DAY_MS, toIso } from '../core/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { cardView, page } from './format.ts'

export const searchGiftCards = defineTool({
  name: 'search_gift_cards',
  title: 'Search gift cards',
  description:
    'Find gift cards by last 4 digits, status, issuing location, jurisdiction, balance range or inactivity. Returns a page of cards (largest balance first) and the total count; pass nextOffset to get more.',
  input: z.object({
    last4: z
      .string()
      .regex(/^\d{4}$/, 'must be 4 digits')
      .optional()
      .describe('last 4 digits of the card number'),
    status: z.enum(CARD_STATUSES).optional().describe('card status'),
    location: z.string().optional().describe('issuing location id'),
    jurisdiction: z
      .string()
      .regex(/^US-[A-Z]{2}$/, 'must look like US-CA')
      .optional()
      .describe('issuing store jurisdiction, e.g. US-CA'),
    minBalanceCents: z.number().int().min(0).optional().describe('smallest balance, in cents'),
    maxBalanceCents: z.number().int().min(0).optional().describe('largest balance, in cents'),
    inactiveDays: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('no load or redemption for at least this many days'),
    limit: z.number().int().min(1).max(100).default(20).describe('cards per page'),
    offset: z.number().int().min(0).default(0).describe('where the page starts'),
  }),
  access: 'read',
  roles: ALL_ROLES,
  run: async (ctx, input) => {
    let query = ctx.database.db
      .selectFrom('gift_cards as c')
      .leftJoin('locations as l', 'l.id', 'c.issuing_location_id')
    if (input.last4) query = query.where('c.gan_last4', '=', input.last4)
    if (input.status) query = query.where('c.status', '=', input.status)
    if (input.location) query = query.where('c.issuing_location_id', '=', input.location)
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
    const [rows, total] = await Promise.all([
      query
        .selectAll('c')
        .orderBy('c.balance_cents', 'desc')
        .orderBy('c.id')
        .limit(input.limit)
        .offset(input.offset)
        .execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ])
    return page(
      rows.map((c) => cardView(c)),
      Number(total.n),
      input.offset,
    )
  },
})
