import { z } from 'zod'
import { signedAmount, TRANSACTION_TYPES } from '../../core/index.ts'
import {
  hmac,
  majorAmount,
  type ParsedDelivery,
  parseAs,
  parseJson,
  safeEqual,
  type WebhookSource,
} from './source.ts'

/** How far a signature's timestamp may be from now before the delivery is refused (replays). */
export const GENERIC_TOLERANCE_SECONDS = 300

/** The blueprint's own webhook payload, for POS systems without a native format. */
export const genericPayloadSchema = z.object({
  event_id: z.string().min(1).max(200),
  event_type: z.string().min(1),
  created_at: z.iso.datetime({ offset: true }),
  data: z.object({
    gift_card_id: z.string().min(1),
    location_id: z.string().min(1).nullish(),
    transaction_type: z.enum(TRANSACTION_TYPES),
    amount: majorAmount.refine(
      (cents) => cents >= 0,
      'must not be negative (the type gives the sign)',
    ),
    currency: z.string().length(3),
    remaining_balance: majorAmount.refine((cents) => cents >= 0, 'must not be negative').nullish(),
    order_id: z.string().min(1).nullish(),
    customer_id: z.string().min(1).nullish(),
    terminal_id: z.string().min(1).nullish(),
    employee_id: z.string().min(1).nullish(),
    items: z
      .array(
        z.object({
          sku: z.string().min(1),
          category: z.string().min(1),
          amount: majorAmount.optional(),
        }),
      )
      .optional(),
  }),
})

/** Builds the `x-giftcards-signature` header for a body (senders and tests use it). */
export function signGeneric(
  secret: string,
  rawBody: string,
  unixSeconds = Math.floor(Date.now() / 1000),
): string {
  return `t=${unixSeconds},v1=${hmac(secret, `${unixSeconds}.${rawBody}`, 'hex')}`
}

/** What every delivery has, whatever its type (the rest is read once the type is known). */
const headSchema = z.object({
  event_id: z.string().min(1).max(200),
  event_type: z.string().min(1),
})

/**
 * The generic webhook: `x-giftcards-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * t + "." + raw body)>`; a timestamp more than five minutes from now is refused.
 */
export function genericSource(options: { secret: string; now?: () => number }): WebhookSource {
  const now = options.now ?? Date.now
  return {
    name: 'generic',
    verify(rawBody, headers) {
      const header = headers.get('x-giftcards-signature')
      if (!header) return false
      const parts = new Map(
        header.split(',').map((p) => p.trim().split('=', 2) as [string, string]),
      )
      const t = Number(parts.get('t'))
      const v1 = parts.get('v1')
      if (!Number.isInteger(t) || !v1) return false
      if (Math.abs(now() / 1000 - t) > GENERIC_TOLERANCE_SECONDS) return false
      return safeEqual(v1, hmac(options.secret, `${t}.${rawBody}`, 'hex'))
    },
    parse(rawBody): ParsedDelivery {
      const json = parseJson(rawBody)
      const head = parseAs(json, headSchema)
      if (head.event_type !== 'gift_card.transaction.created')
        return { eventId: head.event_id, eventType: head.event_type, normalized: 'ignored' }
      const body = parseAs(json, genericPayloadSchema)
      const d = body.data
      return {
        eventId: body.event_id,
        eventType: body.event_type,
        normalized: {
          cards: [],
          events: [
            {
              source: 'generic',
              eventId: body.event_id,
              cardRef: d.gift_card_id,
              type: d.transaction_type,
              amountCents: signedAmount(d.transaction_type, d.amount),
              currency: d.currency,
              occurredAt: body.created_at,
              ...(d.remaining_balance != null ? { balanceAfterCents: d.remaining_balance } : {}),
              ...(d.location_id ? { locationId: d.location_id } : {}),
              ...(d.order_id ? { orderId: d.order_id } : {}),
              ...(d.customer_id ? { customerId: d.customer_id } : {}),
              ...(d.terminal_id ? { terminalId: d.terminal_id } : {}),
              ...(d.employee_id ? { employeeId: d.employee_id } : {}),
              ...(d.items
                ? {
                    items: d.items.map((i) => ({
                      sku: i.sku,
                      category: i.category,
                      amountCents: i.amount ?? 0,
                    })),
                  }
                : {}),
            },
          ],
        },
      }
    },
  }
}
