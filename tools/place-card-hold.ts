import { z } from 'zod'
import { formatCents, GiftCardError, MAX_ROW_ID } from '../core/index.ts'
import { activeHold, placeHold, requireCardInPilot } from '../governance/index.ts'
import { defineTool, LOSS_PREVENTION, type ToolContext } from './define-tool.ts'
import { money, resolveCard } from './format.ts'
import { alertInScope } from './pilot.ts'

const args = z.object({ cardId: z.string(), reason: z.string().nullable().default(null) })

/** What an approval says when the requester gave no reason: nothing is made up for them. */
export const NO_REASON_GIVEN = 'no reason given'

/** The card of a fraud alert; an alert on a card outside the pilot is refused. */
async function alertCard(ctx: ToolContext, alertId: number): Promise<string> {
  return (await alertInScope(ctx, alertId)).cardId
}

export const placeCardHold = defineTool({
  name: 'place_card_hold',
  title: 'Place a hold on a gift card',
  description:
    'Request a hold on a gift card (freezes its balance at the POS). Only for an imperative request ("hold 4821"); a question ("is there a hold on 4821?") is list_card_holds. Pass reason only as the person\'s own words, verbatim; omit it when they gave none (the approval then says no reason given). It does not act at once: it files an approval request that a manager other than the requester must approve; report the approval id and that it is pending.',
  input: z.object({
    card: z.string().min(1).max(40).optional().describe('card id or last 4 digits'),
    alertId: z
      .number()
      .int()
      .positive()
      .max(MAX_ROW_ID)
      .optional()
      .describe('instead of card: the fraud alert whose card to hold'),
    reason: z
      .string()
      .max(500)
      .optional()
      .describe("the person's own words, verbatim; omit when they gave no reason"),
  }),
  access: 'write',
  roles: LOSS_PREVENTION,
  // A card outside the pilot is refused before any approval is filed, and checked again when an
  // approved hold runs.
  pilot: 'scoped',
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
    // An empty reason is no reason; any other is kept exactly as typed.
    const reason = input.reason === undefined || input.reason === '' ? null : input.reason
    return {
      args: { cardId: card.id, reason },
      reason,
      summary: `Hold card ${card.id} (…${card.gan_last4}, balance ${formatCents(card.balance_cents)}): ${reason ?? NO_REASON_GIVEN}`,
      details: {
        reason: reason ?? NO_REASON_GIVEN,
        cardId: card.id,
        last4: card.gan_last4,
        balance: money(card.balance_cents),
        status: card.status,
        lastActivityAt: card.last_activity_at,
        alerts: evidence,
      },
    }
  },
  executor: ({ config, connector }) => ({
    prepare: (database, raw) => requireCardInPilot(database, config.pilot, args.parse(raw).cardId),
    apply: (database, trx, raw, { approvalId }) => {
      const a = args.parse(raw)
      return placeHold(database, trx, connector, { cardId: a.cardId, reason: a.reason, approvalId })
    },
  }),
})
