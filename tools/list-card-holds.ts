import { z } from 'zod'
import { GiftCardError, MAX_OFFSET } from '../core/index.ts'
import { describeHeldAt, LEDGER_ONLY, listHolds } from '../governance/index.ts'
import { chainCalendar } from './chain-calendar.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money, page, resolveCard } from './format.ts'
import { storeDirectory, storeView } from './locations.ts'
import { moneySchema, pageShape, storeViewSchema } from './result-schemas.ts'

/** Hold statuses a person can ask about. */
export const HOLD_STATUSES = ['active', 'released'] as const

/** list_card_holds' result: active and released counts and a page of holds, newest first. */
export const listCardHoldsOutput = z.object({
  since: z.string().optional(),
  timezone: z.string().optional(),
  activeHolds: z.number(),
  releasedHolds: z.number(),
  ...pageShape(
    z.object({
      holdId: z.number(),
      cardId: z.string(),
      last4: z.string(),
      store: storeViewSchema.nullable(),
      status: z.enum(HOLD_STATUSES),
      reason: z.string().nullable(),
      amountHeld: moneySchema,
      requestedBy: z.string().nullable(),
      approvedBy: z.string().nullable(),
      approvalId: z.number().nullable(),
      placedAt: z.string(),
      releasedAt: z.string().nullable(),
      releasedBy: z.string().nullable(),
      releaseApprovedBy: z.string().nullable(),
      releaseReason: z.string().nullable(),
      releaseApprovalId: z.number().nullable(),
      /** The POS that took the balance out; null for a ledger-only hold. */
      enforcedAt: z.string().nullable(),
      /** One sentence: what the hold does (or did) at the POS, or that it is ledger only. */
      atThePos: z.string(),
    }),
  ),
})
export type ListCardHoldsResult = z.infer<typeof listCardHoldsOutput>

export const listCardHolds = defineTool({
  name: 'list_card_holds',
  title: 'List card holds',
  description:
    'Card holds, newest first: answers "is there a hold on 4821?", "why is gc_… on hold?", "who put the hold on … and why?", "how many holds are active?". A read: it never files anything. Filter by status (active or released; default both), card (id or last 4 digits: every card ending in them), placedBy (the actor who asked) and since (a chain calendar day). Returns { activeHolds, releasedHolds, total, items: [{ holdId, cardId, last4, store: { id, name, city, jurisdiction }, status, reason (the requester\'s words verbatim, null when none was given), amountHeld, requestedBy, approvedBy, approvalId, placedAt, releasedAt, releasedBy, releaseApprovedBy, releaseReason, releaseApprovalId, enforcedAt (the POS that took the balance out: square, shopify or lightspeed; null for a ledger-only hold, where the card still works at the till and a redemption raises an alert), atThePos (that in one sentence) }], nextOffset? }.',
  input: z.object({
    status: z.enum(HOLD_STATUSES).optional().describe('active or released; default both'),
    card: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .optional()
      .describe('card id (gc_…) or last 4 digits (holds on every card ending in them)'),
    placedBy: z
      .string()
      .trim()
      .min(1)
      .max(120)
      .optional()
      .describe('only holds requested by this actor id, e.g. slack:U123'),
    since: z
      .string()
      .max(10)
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
      .optional()
      .describe('only holds placed on or after this chain calendar day, YYYY-MM-DD'),
    limit: z.number().int().min(1).max(100).default(20).describe('holds per page'),
    offset: z.number().int().min(0).max(MAX_OFFSET).default(0).describe('where the page starts'),
  }),
  output: listCardHoldsOutput,
  access: 'read',
  roles: ALL_ROLES,
  // Holds on the pilot's cards only; a card outside it is refused.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const calendar = await chainCalendar(ctx)
    const digits = input.card?.replace(/^(?:x+|\*+|…|\.\.\.)/i, '')
    const byLast4 = digits !== undefined && /^\d{4}$/.test(digits)
    const card = input.card && !byLast4 ? await resolveCard(ctx, input.card) : undefined
    // "is there a hold on 9999?" about a card that does not exist is not "no holds".
    if (byLast4) {
      let known = ctx.database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('gan_last4', '=', digits as string)
      if (ctx.scope.pilot)
        known = known.where('issuing_location_id', 'in', [...ctx.scope.locationIds, ''])
      if (!(await known.limit(1).executeTakeFirst()))
        throw new GiftCardError(
          'CARD_NOT_FOUND',
          `no gift card${ctx.scope.pilot ? ` in the pilot scope (${ctx.scope.describe()})` : ''} with last four digits ${JSON.stringify(digits)}`,
        )
    }
    const [result, directory] = await Promise.all([
      listHolds(ctx.database, {
        ...(input.status ? { status: input.status } : {}),
        ...(card ? { cardId: card.id } : {}),
        ...(byLast4 ? { last4: digits } : {}),
        ...(input.placedBy ? { placedBy: input.placedBy } : {}),
        ...(input.since ? { since: calendar.start(input.since) } : {}),
        ...(ctx.scope.pilot ? { locationIds: ctx.scope.locationIds } : {}),
        limit: input.limit,
        offset: input.offset,
      }),
      storeDirectory(ctx.database),
    ])
    return {
      ...(input.since ? { since: input.since, timezone: calendar.timezone } : {}),
      activeHolds: result.active,
      releasedHolds: result.released,
      ...page(
        result.holds.map((h) => ({
          holdId: h.holdId,
          cardId: h.cardId,
          last4: h.last4,
          store: storeView(directory, h.storeId),
          status: h.status,
          reason: h.reason,
          amountHeld: money(h.amountCents),
          requestedBy: h.requestedBy,
          approvedBy: h.approvedBy,
          approvalId: h.approvalId,
          placedAt: h.placedAt,
          releasedAt: h.releasedAt,
          releasedBy: h.releasedBy,
          releaseApprovedBy: h.releaseApprovedBy,
          releaseReason: h.releaseReason,
          releaseApprovalId: h.releaseApprovalId,
          enforcedAt: h.posConnector === LEDGER_ONLY ? null : h.posConnector,
          atThePos: describeHeldAt(h.posConnector, h.status),
        })),
        result.total,
        input.offset,
      ),
    }
  },
})
