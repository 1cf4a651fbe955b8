import { z } from 'zod'
import { type CardEvent, signedAmount, type TransactionType } from '../../core/index.ts'
import type { CardSnapshot, Normalized } from '../apply.ts'
import {
  eventTimestamp,
  hmac,
  type ParsedDelivery,
  parseAs,
  parseJson,
  safeEqual,
  type WebhookSource,
} from './source.ts'

/**
 * Square's Money: `amount` is an integer in the currency's smallest unit (cents for USD), a
 * JSON number; Square itself answers EXPECTED_INTEGER to a string or a fraction
 * (developer.squareup.com, "Working with monetary amounts"). A string `"100"` or an array
 * `[1]` once became 100 cents and 1 cent here (issue 17): now they are a 400 naming the field.
 */
const money = z.object({ amount: z.number().int(), currency: z.string().length(3) })

/**
 * The details object of an activity's type (`redeem_activity_details`…): what the normaliser
 * reads of it. Its amount is a positive Money (the activity's type gives the direction).
 */
const activityDetailsSchema = z
  .object({
    amount_money: money
      .extend({
        amount: z.number().int().min(0, 'must not be negative (the activity type gives the sign)'),
      })
      .optional(),
    order_id: z.string().min(1).optional(),
    status: z.string().optional(),
  })
  .catchall(z.unknown())
type ActivityDetails = z.infer<typeof activityDetailsSchema>

/** The key of an activity's details object: `REDEEM` → `redeem_activity_details`. */
function detailsKey(type: string): string {
  return `${type.toLowerCase()}_activity_details`
}

/** A Square GiftCardActivity, as webhooks, ListGiftCardActivities and exports carry it. */
export const squareActivitySchema = z
  .object({
    id: z.string().min(1),
    type: z.string().min(1),
    location_id: z.string().min(1).optional(),
    created_at: eventTimestamp,
    gift_card_id: z.string().min(1),
    gift_card_gan: z.string().optional(),
    gift_card_balance_money: money
      .extend({ amount: z.number().int().min(0, 'must not be negative') })
      .optional(),
  })
  .catchall(z.unknown())
  .superRefine((activity, ctx) => {
    // Its details are checked too, each issue named by its path (`redeem_activity_details.amount_money.amount`).
    const key = detailsKey(activity.type)
    if (!Object.hasOwn(activity, key)) return
    const parsed = activityDetailsSchema.safeParse(activity[key])
    if (parsed.success) return
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', path: [key, ...issue.path], message: issue.message })
  })
export type SquareActivity = z.infer<typeof squareActivitySchema>

const squareGiftCardSchema = z.object({
  id: z.string().min(1),
  state: z.enum(['PENDING', 'ACTIVE', 'BLOCKED', 'DEACTIVATED']).optional(),
  gan: z.string().optional(),
  balance_money: money.optional(),
  customer_ids: z.array(z.string()).optional(),
})

const envelopeSchema = z.object({
  type: z.string().min(1),
  event_id: z.string().min(1),
  created_at: eventTimestamp,
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
})

/**
 * Each Square activity type, as a ledger transaction type. IMPORT brings a balance from an
 * earlier system (an activation here); transfers move value between two cards.
 */
export const SQUARE_ACTIVITY_TYPES: Record<string, TransactionType> = {
  ACTIVATE: 'activate',
  LOAD: 'load',
  REDEEM: 'redeem',
  REFUND: 'refund',
  UNLINKED_ACTIVITY_REFUND: 'refund',
  ADJUST_INCREMENT: 'adjust_up',
  ADJUST_DECREMENT: 'adjust_down',
  CLEAR_BALANCE: 'clear',
  DEACTIVATE: 'deactivate',
  BLOCK: 'block',
  UNBLOCK: 'unblock',
  IMPORT: 'activate',
  IMPORT_REVERSAL: 'adjust_down',
  TRANSFER_BALANCE_FROM: 'adjust_down',
  TRANSFER_BALANCE_TO: 'adjust_up',
}

/**
 * A Square activity as ledger events. The ledger key is the activity id, so the same activity
 * arriving by webhook, by the poller and by an export is applied once. A REDEEM that Square
 * reports CANCELED also yields its reversal (`<id>:canceled`).
 */
export function squareActivityToEvents(activity: SquareActivity, reportedAt?: string): CardEvent[] {
  const type = SQUARE_ACTIVITY_TYPES[activity.type]
  if (!type) return []
  // Checked by the schema (`activityDetailsSchema`) when present.
  const details = (
    Object.hasOwn(activity, detailsKey(activity.type))
      ? activity[detailsKey(activity.type)]
      : undefined
  ) as ActivityDetails | undefined
  const amount = details?.amount_money?.amount ?? 0
  const currency =
    details?.amount_money?.currency ?? activity.gift_card_balance_money?.currency ?? 'USD'
  const balance = activity.gift_card_balance_money?.amount
  const base = {
    source: 'square' as const,
    cardRef: activity.gift_card_id,
    currency,
    occurredAt: activity.created_at,
    ...(activity.location_id ? { locationId: activity.location_id } : {}),
    ...(details?.order_id ? { orderId: details.order_id } : {}),
  }
  // Newer API versions put a redemption's status on the activity itself.
  const status =
    details?.status ?? (typeof activity.status === 'string' ? activity.status : undefined)
  if (type === 'redeem' && status === 'CANCELED') {
    return [
      { ...base, eventId: activity.id, type, amountCents: signedAmount(type, amount) },
      {
        ...base,
        eventId: `${activity.id}:canceled`,
        type: 'adjust_up',
        amountCents: amount,
        // The cancellation happens when Square reports it, never before the redemption itself.
        occurredAt:
          reportedAt && Date.parse(reportedAt) > Date.parse(activity.created_at)
            ? reportedAt
            : activity.created_at,
        ...(balance !== undefined ? { balanceAfterCents: balance } : {}),
      },
    ]
  }
  return [
    {
      ...base,
      eventId: activity.id,
      type,
      amountCents: signedAmount(type, amount),
      ...(balance !== undefined ? { balanceAfterCents: balance } : {}),
    },
  ]
}

function cardSnapshot(
  card: z.infer<typeof squareGiftCardSchema>,
  at: string,
  holder?: string | null,
): CardSnapshot {
  const state =
    card.state === 'ACTIVE'
      ? 'active'
      : card.state === 'BLOCKED'
        ? 'held'
        : card.state === 'DEACTIVATED'
          ? 'deactivated'
          : undefined
  return {
    source: 'square',
    cardRef: card.id,
    occurredAt: at,
    ...(card.gan ? { last4: card.gan.slice(-4) } : {}),
    ...(state ? { state } : {}),
    ...(card.balance_money ? { currency: card.balance_money.currency } : {}),
    ...(holder !== undefined
      ? { holderCustomerId: holder }
      : card.customer_ids
        ? { holderCustomerId: card.customer_ids[0] ?? null }
        : {}),
  }
}

const HANDLED = new Set([
  'gift_card.activity.created',
  'gift_card.activity.updated',
  'gift_card.created',
  'gift_card.updated',
  'gift_card.customer_linked',
  'gift_card.customer_unlinked',
])

/**
 * Square webhooks. The signature is base64(HMAC-SHA256(signature key, notification URL + raw
 * body)) in `x-square-hmacsha256-signature`; the URL must match the subscription exactly.
 */
export function squareSource(options: {
  signatureKey: string
  notificationUrl: string
}): WebhookSource {
  return {
    name: 'square',
    verify(rawBody, headers) {
      const given = headers.get('x-square-hmacsha256-signature')
      if (!given) return false
      return safeEqual(
        given,
        hmac(options.signatureKey, options.notificationUrl + rawBody, 'base64'),
      )
    },
    parse(rawBody): ParsedDelivery {
      const json = parseJson(rawBody)
      const envelope = parseAs(json, envelopeSchema)
      if (!HANDLED.has(envelope.type))
        return { eventId: envelope.event_id, eventType: envelope.type, normalized: 'ignored' }
      return {
        eventId: envelope.event_id,
        eventType: envelope.type,
        normalized: normalizeSquare(json, envelope.type),
      }
    },
  }
}

/** The envelope of each handled event type, with its object. */
const activityEnvelopeSchema = envelopeSchema.extend({
  data: z.object({ object: z.object({ gift_card_activity: squareActivitySchema }) }),
})
const linkEnvelopeSchema = envelopeSchema.extend({
  data: z.object({
    object: z.object({
      gift_card: squareGiftCardSchema,
      linked_customer_id: z.string().optional(),
      unlinked_customer_id: z.string().optional(),
    }),
  }),
})
const cardEnvelopeSchema = envelopeSchema.extend({
  data: z.object({ object: z.object({ gift_card: squareGiftCardSchema }) }),
})

function normalizeSquare(json: unknown, type: string): Normalized {
  if (type.startsWith('gift_card.activity.')) {
    const body = parseAs(json, activityEnvelopeSchema)
    return {
      events: squareActivityToEvents(body.data.object.gift_card_activity, body.created_at),
      cards: [],
    }
  }
  if (type === 'gift_card.customer_linked' || type === 'gift_card.customer_unlinked') {
    const linked = type === 'gift_card.customer_linked'
    const body = parseAs(json, linkEnvelopeSchema)
    const object = body.data.object
    const holder = linked
      ? (object.linked_customer_id ?? object.gift_card.customer_ids?.[0] ?? null)
      : (object.gift_card.customer_ids?.[0] ?? null)
    return { events: [], cards: [cardSnapshot(object.gift_card, body.created_at, holder)] }
  }
  const body = parseAs(json, cardEnvelopeSchema)
  return { events: [], cards: [cardSnapshot(body.data.object.gift_card, body.created_at)] }
}
