import { z } from 'zod'
import { formatCents, GiftCardError } from '../core/index.ts'
import {
  activeHold,
  callPosToRelease,
  describeEnforcement,
  type Enforcement,
  LEDGER_ONLY,
  releaseHold,
  requireCardInPilot,
  undoPosCall,
} from '../governance/index.ts'
import { defineTool, LOSS_PREVENTION } from './define-tool.ts'
import { money, resolveCard } from './format.ts'
import { capitalise, holdCall, NO_REASON_GIVEN } from './place-card-hold.ts'
import { type PendingApproval, pendingApprovalSchema } from './result-schemas.ts'

const args = z.object({ cardId: z.string(), reason: z.string().nullable().default(null) })

/** A write tool answers with the approval request it filed; the approval runs it. */
export type ReleaseCardHoldResult = PendingApproval

export const releaseCardHold = defineTool({
  name: 'release_card_hold',
  title: 'Release a hold on a gift card',
  description:
    "Request the release of a card's active hold. A hold enforced at the POS gets exactly the amount it took given back there; a ledger-only hold changes nothing at the POS. The request says which (details.enforcement). Pass reason only as the person's own words, verbatim; omit it when they gave none. It files an approval request that a manager other than the requester must approve; report the approval id and that it is pending.",
  input: z.object({
    card: z.string().min(1).max(40).describe('card id or last 4 digits'),
    reason: z
      .string()
      .max(500)
      .optional()
      .describe("why the hold can be lifted, in the person's own words; omit when they gave none"),
  }),
  output: pendingApprovalSchema,
  access: 'write',
  roles: LOSS_PREVENTION,
  // A card outside the pilot is refused before any approval is filed, and checked again when an
  // approved release runs.
  pilot: 'scoped',
  plan: async (ctx, input) => {
    const card = await resolveCard(ctx, input.card)
    const hold = await activeHold(ctx.database, card.id)
    if (!hold) throw new GiftCardError('CONFLICT', `card ${card.id} has no active hold to release`)
    // An empty reason is no reason; any other is kept exactly as typed.
    const reason = input.reason === undefined || input.reason === '' ? null : input.reason
    const enforcement: Enforcement =
      hold.pos_connector === LEDGER_ONLY
        ? {
            enforced: false,
            connector: LEDGER_ONLY,
            why: `hold #${hold.id} was recorded in the ledger only`,
          }
        : {
            enforced: true,
            connector: hold.pos_connector as Exclude<Enforcement['connector'], 'ledger-only'>,
            how: `the ${formatCents(hold.amount_cents)} the hold took out is given back`,
          }
    return {
      args: { cardId: card.id, reason },
      reason,
      summary: `Release hold #${hold.id} on card ${card.id} (…${card.gan_last4}, ${formatCents(hold.amount_cents)} held): ${reason ?? NO_REASON_GIVEN}. ${capitalise(describeEnforcement(enforcement, 'release'))}`,
      details: {
        reason: reason ?? NO_REASON_GIVEN,
        enforcement: { ...enforcement, effect: describeEnforcement(enforcement, 'release') },
        cardId: card.id,
        last4: card.gan_last4,
        holdId: Number(hold.id),
        held: money(hold.amount_cents),
        heldSince: hold.placed_at,
        holdReason: hold.reason === '' ? NO_REASON_GIVEN : hold.reason,
      },
    }
  },
  // The POS call runs outside the transaction that records the release (docs/approvals.md).
  executor: ({ config, pos }) => ({
    prepare: (database, raw) => requireCardInPilot(database, config.pilot, args.parse(raw).cardId),
    external: (database, raw, { approvalId }) =>
      callPosToRelease(database, pos, { cardId: args.parse(raw).cardId, approvalId }),
    undo: (database, raw, { approvalId, external }) =>
      undoPosCall(database, pos, holdCall(external), {
        cardId: args.parse(raw).cardId,
        approvalId,
      }),
    apply: async (database, trx, raw, { approvalId, external }) => {
      const a = args.parse(raw)
      const request = await trx
        .selectFrom('approval_requests')
        .select('requested_by')
        .where('id', '=', approvalId)
        .executeTakeFirstOrThrow()
      return releaseHold(database, trx, holdCall(external), {
        cardId: a.cardId,
        approvalId,
        reason: a.reason,
        releasedBy: request.requested_by,
      })
    },
  }),
})
