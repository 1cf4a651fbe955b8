import { z } from 'zod'
import { formatCents, GiftCardError } from '../core/index.ts'
import { activeHold, placeHold } from '../governance/index.ts'
import { defineTool, LOSS_PREVENTION, type ToolContext } from './define-tool.ts'
import { money, resolveCard } from './format.ts'

const args = z.object({ cardId: z.string(), reason: z.string() })

async function alertCard(ctx: ToolContext, alertId: number): Promise<string> {
  const alert = await ctx.database.db
    .selectFrom('fraud_alerts')
    .select('card_id')
    .where('id', '=', alertId)
    .executeTakeFirst()
  if (!alert) throw new GiftCardError('NOT_FOUND', `no fraud alert #${alertId}`)
  return alert.card_id
}

export const placeCardHold = defineTool({
  name: 'place_card_hold',
  title: 'Place a hold on a gift card',
  description:
    'Request a hold on a gift card (freezes its balance at the POS) for a stated reason, such as a fraud alert. It does not act at once: it files an approval request that a manager other than the requester must approve; report the approval id and that it is pending.',
  input: z.object({
    card: z.string().min(1).optional().describe('card id or last 4 digits'),
    alertId: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('instead of card: the fraud alert whose card to hold'),
    reason: z
      .string()
      .min(3)
      .max(500)
      .describe('why the card should be held, e.g. the fraud alert'),
  }),
  access: 'write',
  roles: LOSS_PREVENTION,
  plan: async (ctx, input) => {
    if (input.card === undefined && input.alertId === undefined)
      throw new GiftCardError(
        'INVALID_INPUT',
        'card: give the card (id or last 4 digits) or alertId',
      )
    const card = await resolveCard(
      ctx,
      input.card ?? (await alertCard(ctx, input.alertId as number)),
    )
    const hold = await activeHold(ctx.database, card.id)
    if (hold)
      throw new GiftCardError('CONFLICT', `card ${card.id} is already on hold (hold #${hold.id})`)
    if (card.status === 'deactivated')
      throw new GiftCardError(
        'CONFLICT',
        `card ${card.id} is deactivated; there is nothing to hold`,
      )
    const alerts = await ctx.database.db
      .selectFrom('fraud_alerts')
      .select(['id', 'rule', 'score', 'evidence'])
      .where('card_id', '=', card.id)
      .where('status', '!=', 'dismissed')
      .orderBy('score', 'desc')
      .limit(3)
      .execute()
    const evidence = alerts.map((a) => ({
      alertId: Number(a.id),
      rule: a.rule,
      score: a.score,
      reason: (JSON.parse(a.evidence) as { reason?: string }).reason ?? null,
    }))
    return {
      args: { cardId: card.id, reason: input.reason },
      reason: input.reason,
      summary: `Hold card ${card.id} (…${card.gan_last4}, balance ${formatCents(card.balance_cents)}): ${input.reason}`,
      details: {
        cardId: card.id,
        last4: card.gan_last4,
        balance: money(card.balance_cents),
        status: card.status,
        lastActivityAt: card.last_activity_at,
        alerts: evidence,
      },
    }
  },
  executor: ({ connector }) => ({
    apply: (database, trx, raw, { approvalId }) => {
      const a = args.parse(raw)
      return placeHold(database, trx, connector, { cardId: a.cardId, reason: a.reason, approvalId })
    },
  }),
})
