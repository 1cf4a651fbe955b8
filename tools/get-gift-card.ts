import { z } from 'zod'
import { listCardTransactions } from '../db/index.ts'
import { listHolds } from '../governance/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { cardView, money, pseudonymOf, resolveCard } from './format.ts'
import { storeDirectory, storeView } from './locations.ts'
import {
  cardViewSchema,
  moneySchema,
  storeViewSchema,
  transactionResultSchema,
  transactionTypeSchema,
} from './result-schemas.ts'

/** get_gift_card's result: the card, its active hold, open alerts and recent transactions. */
export const getGiftCardOutput = cardViewSchema.extend({
  hold: z
    .object({
      holdId: z.number(),
      reason: z.string().nullable(),
      amount: moneySchema,
      placedAt: z.string(),
      requestedBy: z.string().nullable(),
      approvedBy: z.string().nullable(),
      approvalId: z.number().nullable(),
    })
    .nullable(),
  openAlerts: z.array(z.object({ alertId: z.number(), rule: z.string(), score: z.number() })),
  recentTransactions: z.array(
    z.object({
      type: transactionTypeSchema,
      result: transactionResultSchema,
      amount: moneySchema,
      balanceAfter: moneySchema.nullable(),
      at: z.string(),
      store: storeViewSchema.nullable(),
    }),
  ),
})
export type GetGiftCardResult = z.infer<typeof getGiftCardOutput>

export const getGiftCard = defineTool({
  name: 'get_gift_card',
  title: 'Look up a gift card',
  description:
    'Look up one gift card by its id or the last 4 digits of its number: balance, status, issuing store { id, name, city, jurisdiction }, issue date, last activity, any active hold (reason verbatim, who requested and approved it; list_card_holds has past holds too), open fraud alerts and its most recent transactions (each with its store). If several cards share the last 4 digits it says so and lists them: ask the user which one.',
  input: z.object({
    card: z
      .string()
      .min(1)
      .max(40)
      .describe('card id (e.g. gc_00012345) or the last 4 digits of the card number'),
    transactions: z
      .number()
      .int()
      .min(0)
      .max(50)
      .default(5)
      .describe('how many recent transactions to include'),
  }),
  output: getGiftCardOutput,
  access: 'read',
  roles: ALL_ROLES,
  // resolveCard refuses a card issued outside the pilot.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const card = await resolveCard(ctx, input.card)
    const [owner, recent, hold, alerts, directory] = await Promise.all([
      pseudonymOf(ctx, card.holder_customer_id ?? card.purchaser_customer_id),
      listCardTransactions(ctx.database.db, card.id, { limit: input.transactions }),
      listHolds(ctx.database, { cardId: card.id, status: 'active', limit: 1 }).then(
        (r) => r.holds[0],
      ),
      ctx.database.db
        .selectFrom('fraud_alerts')
        .select(['id', 'rule', 'score', 'status'])
        .where('card_id', '=', card.id)
        .where('status', '=', 'open')
        .execute(),
      storeDirectory(ctx.database),
    ])
    return {
      ...cardView(card, storeView(directory, card.issuing_location_id), owner),
      hold: hold
        ? {
            holdId: hold.holdId,
            reason: hold.reason,
            amount: money(hold.amountCents),
            placedAt: hold.placedAt,
            requestedBy: hold.requestedBy,
            approvedBy: hold.approvedBy,
            approvalId: hold.approvalId,
          }
        : null,
      openAlerts: alerts.map((a) => ({ alertId: Number(a.id), rule: a.rule, score: a.score })),
      recentTransactions: recent.map((t) => ({
        type: t.type,
        result: t.result,
        amount: money(t.amount_cents),
        balanceAfter: t.balance_after_cents === null ? null : money(t.balance_after_cents),
        at: t.occurred_at,
        store: storeView(directory, t.location_id),
      })),
    }
  },
})
