import { z } from 'zod'
import { formatCents, GiftCardError, MAX_ROW_ID } from '../core/index.ts'
import {
  activeHold,
  callPosToHold,
  createPosRouter,
  describeEnforcement,
  type HoldCall,
  placeHold,
  requireCardInPilot,
  undoPosCall,
} from '../governance/index.ts'
import { defineTool, LOSS_PREVENTION, type ToolContext } from './define-tool.ts'
import { money, resolveCard } from './format.ts'
import { alertInScope } from './pilot.ts'
import { type PendingApproval, pendingApprovalSchema } from './result-schemas.ts'

const args = z.object({ cardId: z.string(), reason: z.string().nullable().default(null) })

/** What an approval says when the requester gave no reason: nothing is made up for them. */
export const NO_REASON_GIVEN = 'no reason given'

/** The card of a fraud alert; an alert on a card outside the pilot is refused. */
async function alertCard(ctx: ToolContext, alertId: number): Promise<string> {
  return (await alertInScope(ctx, alertId)).cardId
}

/** A write tool answers with the approval request it filed; the approval runs it. */
export type PlaceCardHoldResult = PendingApproval

export const placeCardHold = defineTool({
  name: 'place_card_hold',
  title: 'Place a hold on a gift card',
  description:
    'Request a hold on a gift card. Where the card\'s POS allows it (Square, Shopify, Lightspeed X-Series, when configured) the balance is taken out at the POS and given back on release; otherwise the hold is ledger only: the card still works at the till and a redemption raises an alert. The request says which (details.enforcement); tell the person. Only for an imperative request ("hold 4821"); a question ("is there a hold on 4821?") is list_card_holds. Pass reason only as the person\'s own words, verbatim; omit it when they gave none (the approval then says no reason given). It does not act at once: it files an approval request that a manager other than the requester must approve; report the approval id and that it is pending.',
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
  output: pendingApprovalSchema,
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
    const enforcement = (ctx.pos ?? createPosRouter(ctx.config)).enforcement(card)
    return {
      args: { cardId: card.id, reason },
      reason,
      summary: `Hold card ${card.id} (…${card.gan_last4}, balance ${formatCents(card.balance_cents)}): ${reason ?? NO_REASON_GIVEN}. ${capitalise(describeEnforcement(enforcement))}`,
      details: {
        reason: reason ?? NO_REASON_GIVEN,
        enforcement: { ...enforcement, effect: describeEnforcement(enforcement) },
        cardId: card.id,
        last4: card.gan_last4,
        balance: money(card.balance_cents),
        status: card.status,
        lastActivityAt: card.last_activity_at,
        alerts: evidence,
      },
    }
  },
  // The POS call runs outside the transaction that records the hold (docs/approvals.md).
  executor: ({ config, pos }) => ({
    prepare: (database, raw) => requireCardInPilot(database, config.pilot, args.parse(raw).cardId),
    external: (database, raw, { approvalId }) =>
      callPosToHold(database, pos, { cardId: args.parse(raw).cardId, approvalId }),
    apply: (database, trx, raw, { approvalId, external }) => {
      const a = args.parse(raw)
      return placeHold(database, trx, holdCall(external), {
        cardId: a.cardId,
        reason: a.reason,
        approvalId,
      })
    },
    undo: (database, raw, { approvalId, external }) =>
      undoPosCall(database, pos, holdCall(external), {
        cardId: args.parse(raw).cardId,
        approvalId,
      }),
  }),
})

/** The POS call `external` made, as `apply` and `undo` receive it. */
export function holdCall(external: unknown): HoldCall {
  if (typeof external !== 'object' || external === null || !('key' in external))
    throw new GiftCardError('INTERNAL', 'the hold was recorded without its POS call')
  return external as HoldCall
}

/** "ledger only: …" → "Ledger only: …", for the end of a sentence-shaped summary. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
