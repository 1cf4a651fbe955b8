import { z } from 'zod'
import {
  type CardEvent,
  GiftCardError,
  MAX_FUTURE_MS,
  signedAmount,
  type TransactionType,
  toIso,
} from '../../core/index.ts'
import type { Normalized } from '../apply.ts'
import { type ParsedDelivery, parseAs, parseJson, safeEqual, type WebhookSource } from './source.ts'

/**
 * Clover (docs/pos-sources.md). Webhooks are per object: a notification says only that an
 * order (`O:`) or a payment (`P:`) of a merchant was created, updated or deleted, so the
 * Clover route (ingest/clover-webhook.ts) fetches the object from the REST API and stores the
 * notification together with what it fetched (a "resolved" delivery). This module reads those
 * shapes and turns a resolved delivery into ledger events, with no I/O, so a replay of a
 * stored delivery gives the same events.
 */

const cloverId = z.string().min(1).max(64)
/** Clover lists come as `{elements: [...]}` (sometimes a bare array). */
const list = <T extends z.ZodType>(item: T) =>
  z
    .union([z.array(item).max(1000), z.object({ elements: z.array(item).max(1000).default([]) })])
    .transform((v) => (Array.isArray(v) ? v : v.elements))
const ref = z.object({ id: cloverId })
const cents = z.number().int().min(-100_000_000).max(100_000_000)

/** The body Clover posts when a webhook URL is set up: paste the code into the dashboard. */
export const cloverVerificationSchema = z.object({ verificationCode: z.string().min(1).max(200) })

/** One update in a notification: `O:…` / `P:…` object id, what happened, when (ms). */
export const cloverUpdateSchema = z.object({
  objectId: z.string().min(3).max(80),
  type: z.enum(['CREATE', 'UPDATE', 'DELETE']),
  ts: z.number().int().nonnegative(),
})

/** A notification: `{appId, merchants: {merchantId: [updates]}}`. */
export const cloverNotificationSchema = z.object({
  appId: z.string().min(1).max(64),
  merchants: z
    .record(z.string().min(1).max(32), z.array(cloverUpdateSchema).max(1000))
    .refine((m) => Object.keys(m).length <= 100, 'names more than 100 merchants'),
})

/** One update of one merchant, as the route handles it. */
export type CloverUpdate = z.infer<typeof cloverUpdateSchema> & { merchantId: string }

/** The inbox key of an update: Clover redelivers the same message with the same fields. */
export function cloverUpdateKey(update: CloverUpdate): string {
  return `${update.merchantId}:${update.objectId}:${update.type}:${update.ts}`
}

const cardTransactionSchema = z.object({
  cardType: z.string().max(40).nullish(),
  type: z.string().max(40).nullish(),
  last4: z.string().max(4).nullish(),
  first6: z.string().max(6).nullish(),
  state: z.string().max(40).nullish(),
})

/**
 * A Clover time (milliseconds since the epoch), at most a day ahead (docs/pos-vocabulary.md):
 * one far-future event froze its card's balance and moved the ledger's watermark.
 */
const cloverTime = z
  .number()
  .int()
  .nonnegative()
  .refine((ms) => ms - Date.now() <= MAX_FUTURE_MS, 'is more than a day in the future')

const refundSchema = z.object({
  id: cloverId,
  amount: cents,
  tipAmount: cents.nullish(),
  createdTime: cloverTime,
  voided: z.boolean().nullish(),
})

/** A payment as `GET /v3/merchants/{mId}/payments/{id}` returns it (what the ledger uses). */
export const cloverPaymentSchema = z.object({
  id: cloverId,
  order: ref.nullish(),
  device: ref.nullish(),
  employee: ref.nullish(),
  tender: z
    .object({ labelKey: z.string().max(100).nullish(), label: z.string().max(100).nullish() })
    .nullish(),
  amount: cents,
  tipAmount: cents.nullish(),
  createdTime: cloverTime,
  modifiedTime: cloverTime.nullish(),
  result: z.string().max(40).nullish(),
  cardTransaction: cardTransactionSchema.nullish(),
  refunds: list(refundSchema).nullish(),
})
export type CloverPayment = z.infer<typeof cloverPaymentSchema>

const lineItemSchema = z.object({
  id: cloverId,
  name: z.string().max(200).nullish(),
  price: cents.nullish(),
  item: ref.nullish(),
})

/** An order as `GET /v3/merchants/{mId}/orders/{id}` returns it, expanded. */
export const cloverOrderSchema = z.object({
  id: cloverId,
  currency: z.string().length(3).nullish(),
  employee: ref.nullish(),
  customers: list(ref).nullish(),
  lineItems: list(lineItemSchema).nullish(),
  payments: list(cloverPaymentSchema).nullish(),
  createdTime: cloverTime.nullish(),
})
export type CloverOrder = z.infer<typeof cloverOrderSchema>

/** How a gift card payment was matched to a ledger card, or why it could not be. */
export type CloverCardResolution = { cardRef: string } | { unresolved: string }

/** What the Clover route stores for one update: the update and the object it fetched. */
export const cloverResolvedSchema = z.object({
  kind: z.literal('clover.resolved'),
  update: cloverUpdateSchema.extend({ merchantId: z.string().min(1).max(32) }),
  fetchedAt: z.iso.datetime(),
  /** Null when Clover no longer has the object (deleted before it was fetched). */
  payment: cloverPaymentSchema.nullish(),
  order: cloverOrderSchema.nullish(),
  /** Payment id → the ledger card it was matched to (only gift card payments appear). */
  cards: z.record(
    cloverId,
    z.union([
      z.object({ cardRef: z.string().min(1).max(200) }),
      z.object({ unresolved: z.string().min(1).max(300) }),
    ]),
  ),
})
export type CloverResolved = z.infer<typeof cloverResolvedSchema>

/** A Clover gift card payment's `cardTransaction.type` as a ledger type (docs/pos-sources.md). */
export const CLOVER_CARD_TRANSACTION_TYPES: Record<string, TransactionType> = {
  AUTH: 'redeem',
  PREAUTHCAPTURE: 'redeem',
  REDEMPTION: 'redeem',
  REDEMPTION_UNLOCK: 'redeem',
  ACTIVATE: 'activate',
  LOAD: 'load',
  RELOAD: 'load',
  CASHOUT: 'clear',
  CASHOUT_ACTIVE_STATUS: 'clear',
  REFUND: 'refund',
  RETURN: 'refund',
  NAKEDREFUND: 'refund',
  GETBALANCE: 'balance_check',
}

/** Payment results whose money moved (a VOIDED payment moved it and then put it back). */
const SETTLED_RESULTS = new Set([
  'SUCCESS',
  'AUTH',
  'AUTH_COMPLETED',
  'VOIDED',
  'VOIDING',
  'VOID_FAILED',
])

/** Whether a payment was made with a Clover gift card (native Clover Gift Cards, Fiserv). */
export function isGiftCardPayment(payment: CloverPayment): boolean {
  return payment.cardTransaction?.cardType === 'GIFT_CARD'
}

/** Ledger ids of Clover objects: a merchant is a store; prefixes keep them apart from others'. */
export function cloverRef(
  kind: 'merchant' | 'order' | 'device' | 'employee' | 'customer' | 'item',
  id: string,
): string {
  return kind === 'merchant' ? `clover:${id}` : `clover:${kind}:${id}`
}

/**
 * A gift card payment as ledger events: the payment itself (keyed by its id), each refund
 * back onto the card (`refund:<id>`), and for a voided payment its reversal (`<id>:void`).
 * A payment still in flight (INITIATED, PENDING, FAIL…) gives nothing yet; a later UPDATE
 * brings its final state. A BALANCE_LOCK moves no money and gives nothing.
 */
export function cloverPaymentEvents(
  payment: CloverPayment,
  context: { merchantId: string; cardRef: string; currency: string; order?: CloverOrder | null },
): CardEvent[] {
  const type = CLOVER_CARD_TRANSACTION_TYPES[payment.cardTransaction?.type ?? 'AUTH']
  if (!type || !SETTLED_RESULTS.has(payment.result ?? 'SUCCESS')) return []
  const order = context.order
  const customer = order?.customers?.[0]?.id
  const base = {
    source: 'clover' as const,
    cardRef: context.cardRef,
    currency: order?.currency ?? context.currency,
    locationId: cloverRef('merchant', context.merchantId),
    ...(payment.order ? { orderId: cloverRef('order', payment.order.id) } : {}),
    ...(payment.device ? { terminalId: cloverRef('device', payment.device.id) } : {}),
    ...(payment.employee ? { employeeId: cloverRef('employee', payment.employee.id) } : {}),
    ...(customer ? { customerId: cloverRef('customer', customer) } : {}),
  }
  const amount = payment.amount + (payment.tipAmount ?? 0)
  const items = (order?.lineItems ?? [])
    .filter((l) => l.price !== undefined && l.price !== null)
    .map((l) => ({
      sku: cloverRef('item', l.item?.id ?? l.id),
      category: 'uncategorized',
      amountCents: l.price as number,
    }))
  const events: CardEvent[] = [
    {
      ...base,
      eventId: payment.id,
      type,
      amountCents: signedAmount(type, amount) || 0,
      occurredAt: toIso(payment.createdTime),
      ...(items.length > 0 ? { items } : {}),
    },
  ]
  if (payment.result === 'VOIDED' && type !== 'balance_check') {
    const undo: TransactionType = signedAmount(type, 1) < 0 ? 'adjust_up' : 'adjust_down'
    events.push({
      ...base,
      eventId: `${payment.id}:void`,
      type: undo,
      amountCents: signedAmount(undo, amount),
      occurredAt: toIso(Math.max(payment.modifiedTime ?? payment.createdTime, payment.createdTime)),
    })
  }
  for (const refund of payment.refunds ?? []) {
    if (refund.voided) continue
    events.push({
      ...base,
      eventId: `refund:${refund.id}`,
      type: 'refund',
      amountCents: signedAmount('refund', refund.amount + (refund.tipAmount ?? 0)),
      occurredAt: toIso(refund.createdTime),
    })
  }
  return events
}

/** The gift card payments a resolved delivery holds: the payment, or the order's payments. */
export function resolvedPayments(resolved: CloverResolved): CloverPayment[] {
  const payments = resolved.payment ? [resolved.payment] : (resolved.order?.payments ?? [])
  return payments.filter(isGiftCardPayment)
}

/** A resolved delivery as ledger events (gift card payments matched to a card only). */
export function normalizeResolved(resolved: CloverResolved, currency: string): Normalized {
  const events: CardEvent[] = []
  for (const payment of resolvedPayments(resolved)) {
    const match = resolved.cards[payment.id]
    if (!match || !('cardRef' in match)) continue
    events.push(
      ...cloverPaymentEvents(payment, {
        merchantId: resolved.update.merchantId,
        cardRef: match.cardRef,
        currency,
        order: resolved.order ?? null,
      }),
    )
  }
  return { events, cards: [] }
}

/**
 * Clover webhooks. Clover sends the app's Clover Auth Code in `X-Clover-Auth` (a shared
 * secret, not a signature over the body; compared in constant time). Live notifications go
 * through the Clover route, which fetches what they name; `parse` reads only the resolved
 * deliveries that route stores (and a replay reads again), so a delivery posted straight to
 * the generic route is refused.
 */
export function cloverSource(options: { authCode: string; currency: string }): WebhookSource {
  return {
    name: 'clover',
    verify(_rawBody, headers) {
      const given = headers.get('x-clover-auth')
      return given !== null && safeEqual(given, options.authCode)
    },
    parse(rawBody, headers): ParsedDelivery {
      if (headers instanceof Headers)
        throw new GiftCardError(
          'INVALID_INPUT',
          'Clover notifications are read by the Clover route, which fetches what they name',
        )
      const resolved = parseAs(parseJson(rawBody), cloverResolvedSchema)
      const eventId = cloverUpdateKey(resolved.update)
      const normalized = normalizeResolved(resolved, options.currency)
      return {
        eventId,
        eventType: headers.eventType,
        normalized: normalized.events.length > 0 ? normalized : 'ignored',
      }
    },
  }
}
