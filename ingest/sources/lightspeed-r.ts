import { z } from 'zod'
import {
  type CardEvent,
  isTooFarAhead,
  majorToCents,
  signedAmount,
  toIso,
} from '../../core/index.ts'

/**
 * Lightspeed Retail (R-Series) API V3 (docs/pos-sources.md): a gift card is a CreditAccount
 * with `giftCard: true`, and its balance moves only through SalePayments of the gift card
 * payment type that name its `creditAccountID`: negative to add funds, positive to spend.
 * R-Series sends values as strings (`"317.1"`, `"false"`), and a list of one as an object.
 */

const numericId = z
  .union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()])
  .transform(String)
const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((v) => v === true || v === 'true')
const time = z
  .string()
  .max(40)
  .refine(
    (t) => /^\d{4}-\d{2}-\d{2}T/.test(t) && !Number.isNaN(Date.parse(t)),
    'is not a timestamp',
  )
  // A day ahead at most (docs/pos-vocabulary.md): one far-future event froze its card.
  .refine((t) => !isTooFarAhead(t), 'is more than a day in the future')
  .transform((t) => toIso(Date.parse(t)))
const amount = z.union([z.string().max(40), z.number()]).transform((value, ctx) => {
  try {
    return majorToCents(typeof value === 'number' ? value : value.trim())
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) })
    return z.NEVER
  }
})

/** A SalePayment as `GET /API/V3/Account/{accountID}/SalePayment.json` returns it, with PaymentType. */
export const rSeriesSalePaymentSchema = z.object({
  salePaymentID: numericId,
  amount,
  createTime: time,
  timeStamp: time.optional(),
  archived: flag.default(false),
  saleID: numericId.optional(),
  paymentTypeID: numericId.optional(),
  registerID: numericId.optional(),
  employeeID: numericId.optional(),
  creditAccountID: numericId.optional(),
  PaymentType: z
    .object({ type: z.string().max(40).optional(), name: z.string().max(200).optional() })
    .optional(),
})
export type RSeriesSalePayment = z.infer<typeof rSeriesSalePaymentSchema>

/** The gift card payment type (paymentTypeID 5, type "gift card", per the gift card tutorial). */
export function isRSeriesGiftCardPayment(payment: RSeriesSalePayment): boolean {
  const giftType = payment.PaymentType?.type
    ? payment.PaymentType.type.toLowerCase() === 'gift card'
    : payment.paymentTypeID === '5'
  return giftType && payment.creditAccountID !== undefined && payment.creditAccountID !== '0'
}

/** R-Series ids in the ledger: prefixed apart from X-Series ids (both are source `lightspeed`). */
export function rSeriesRef(kind: 'card' | 'sale' | 'register' | 'employee', id: string): string {
  return `lightspeed-r:${kind}:${id}`
}

/**
 * A gift card SalePayment as ledger events, keyed `r:<salePaymentID>`: a negative amount added
 * funds (`load`: the API does not say whether it was the card's sale or a reload), a positive
 * one spent them (`redeem`). An archived payment ("essentially voided") also gives its
 * reversal, `r:<id>:void`, dated when it was archived.
 */
export function rSeriesPaymentEvents(payment: RSeriesSalePayment, currency: string): CardEvent[] {
  if (!isRSeriesGiftCardPayment(payment)) return []
  const type = payment.amount < 0 ? 'load' : 'redeem'
  const base = {
    source: 'lightspeed' as const,
    cardRef: rSeriesRef('card', payment.creditAccountID as string),
    currency,
    ...(payment.saleID && payment.saleID !== '0'
      ? { orderId: rSeriesRef('sale', payment.saleID) }
      : {}),
    ...(payment.registerID && payment.registerID !== '0'
      ? { terminalId: rSeriesRef('register', payment.registerID) }
      : {}),
    ...(payment.employeeID && payment.employeeID !== '0'
      ? { employeeId: rSeriesRef('employee', payment.employeeID) }
      : {}),
  }
  const magnitude = Math.abs(payment.amount)
  const events: CardEvent[] = [
    {
      ...base,
      eventId: `r:${payment.salePaymentID}`,
      type,
      amountCents: signedAmount(type, magnitude),
      occurredAt: payment.createTime,
    },
  ]
  if (payment.archived) {
    const undo = type === 'redeem' ? 'adjust_up' : 'adjust_down'
    const at =
      payment.timeStamp && payment.timeStamp > payment.createTime
        ? payment.timeStamp
        : payment.createTime
    events.push({
      ...base,
      eventId: `r:${payment.salePaymentID}:void`,
      type: undo,
      amountCents: signedAmount(undo, magnitude),
      occurredAt: at,
    })
  }
  return events
}
