import { z } from 'zod'
import { GiftCardError, MAX_ROW_ID, toIso } from '../core/index.ts'
import { deliverConfirmedCase } from './case-delivery.ts'
import { defineTool, LOSS_PREVENTION } from './define-tool.ts'
import { ALERT_STATUSES } from './list-fraud-alerts.ts'
import { alertInScope } from './pilot.ts'

/** update_fraud_alert's result: the alert before and after, and the case delivery if one ran. */
export const updateFraudAlertOutput = z.object({
  alertId: z.number(),
  cardId: z.string(),
  rule: z.string(),
  previousStatus: z.enum(ALERT_STATUSES),
  status: z.enum(['confirmed', 'dismissed']),
  changed: z.boolean(),
  note: z.string().nullable(),
  by: z.string(),
  caseFile: z
    .discriminatedUnion('status', [
      z.object({ status: z.literal('delivered'), alertId: z.number() }),
      z.object({ status: z.literal('pending'), alertId: z.number(), error: z.string() }),
      z.object({ status: z.literal('already_delivered'), alertId: z.number() }),
    ])
    .optional(),
})
export type UpdateFraudAlertResult = z.infer<typeof updateFraudAlertOutput>

export const updateFraudAlert = defineTool({
  name: 'update_fraud_alert',
  title: 'Confirm or dismiss a fraud alert',
  description:
    "Triage a fraud alert: confirm it (real fraud) or dismiss it (false positive). Pass note only as the person's own words, verbatim (kept as given in the alert and the audit log); omit it when they gave none. A direct, audited change for loss prevention and managers; it does not hold the card (use place_card_hold for that). Confirming posts the case file to the retail ops platform when CASE_WEBHOOK_URL is set (once per alert). Returns { alertId, cardId, rule, previousStatus, status, changed, note, by, caseFile? }.",
  input: z.object({
    alertId: z.number().int().positive().max(MAX_ROW_ID).describe('the alert id'),
    status: z
      .enum(['confirmed', 'dismissed'])
      .describe('confirmed (fraud) or dismissed (false positive)'),
    note: z
      .string()
      .max(500)
      .optional()
      .describe("why, in the person's own words, verbatim; omit when they gave none"),
  }),
  output: updateFraudAlertOutput,
  access: 'direct',
  roles: LOSS_PREVENTION,
  // An alert on a card outside the pilot is refused before anything changes.
  pilot: 'scoped',
  run: async (ctx, input) => {
    if (ctx.scope.pilot) await alertInScope(ctx, input.alertId)
    const alert = await ctx.database.db
      .selectFrom('fraud_alerts')
      .select(['id', 'status', 'card_id', 'rule', 'note'])
      .where('id', '=', input.alertId)
      .executeTakeFirst()
    if (!alert) throw new GiftCardError('NOT_FOUND', `no fraud alert #${input.alertId}`)
    const changed = alert.status !== input.status
    // A note is kept whenever one is given (also on an alert already in that status); a status
    // change without one leaves no note of the earlier decision on the alert.
    const given = input.note === '' ? undefined : input.note
    const note = given ?? (changed ? null : alert.note)
    if (changed || given !== undefined)
      await ctx.database.db
        .updateTable('fraud_alerts')
        .set({
          status: input.status,
          note,
          updated_by: ctx.actor.id,
          updated_at: toIso(Date.now()),
        })
        .where('id', '=', input.alertId)
        .execute()
    // A confirmed case goes to the retail ops platform once, if one is configured.
    const caseFile =
      changed && input.status === 'confirmed'
        ? await deliverConfirmedCase(ctx, input.alertId)
        : undefined
    return {
      alertId: input.alertId,
      cardId: alert.card_id,
      rule: alert.rule,
      previousStatus: alert.status,
      status: input.status,
      changed,
      note,
      by: ctx.actor.id,
      ...(caseFile ? { caseFile } : {}),
    }
  },
})
