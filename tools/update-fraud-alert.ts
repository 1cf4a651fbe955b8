import { z } from 'zod'
import { GiftCardError, toIso } from '../core/index.ts'
import { defineTool, LOSS_PREVENTION } from './define-tool.ts'

export const updateFraudAlert = defineTool({
  name: 'update_fraud_alert',
  title: 'Confirm or dismiss a fraud alert',
  description:
    'Triage a fraud alert: confirm it (real fraud) or dismiss it (false positive), with a note. A direct, audited change for loss prevention and managers; it does not hold the card (use place_card_hold for that).',
  input: z.object({
    alertId: z.number().int().positive().describe('the alert id'),
    status: z
      .enum(['confirmed', 'dismissed'])
      .describe('confirmed (fraud) or dismissed (false positive)'),
    note: z.string().max(500).optional().describe('why'),
  }),
  access: 'direct',
  roles: LOSS_PREVENTION,
  run: async (ctx, input) => {
    const alert = await ctx.database.db
      .selectFrom('fraud_alerts')
      .select(['id', 'status', 'card_id', 'rule'])
      .where('id', '=', input.alertId)
      .executeTakeFirst()
    if (!alert) throw new GiftCardError('NOT_FOUND', `no fraud alert #${input.alertId}`)
    const changed = alert.status !== input.status
    if (changed)
      await ctx.database.db
        .updateTable('fraud_alerts')
        .set({
          status: input.status,
          note: input.note ?? null,
          updated_by: ctx.actor.id,
          updated_at: toIso(Date.now()),
        })
        .where('id', '=', input.alertId)
        .execute()
    return {
      alertId: input.alertId,
      cardId: alert.card_id,
      rule: alert.rule,
      previousStatus: alert.status,
      status: input.status,
      changed,
      by: ctx.actor.id,
    }
  },
})
