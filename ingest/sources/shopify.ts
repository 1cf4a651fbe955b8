import { z } from 'zod'
import { GiftCardError, signedAmount } from '../../core/index.ts'
import type { Normalized } from '../apply.ts'
import {
  eventTimestamp,
  hmac,
  majorAmount,
  type ParsedDelivery,
  parseBody,
  safeEqual,
  type WebhookSource,
} from './source.ts'

const id = z.union([z.string().min(1), z.number().int()]).transform(String)

/**
 * Shopify's GiftCard resource, as the gift_cards/create and gift_cards/update webhooks send it.
 * Its times are at most a day ahead (`eventTimestamp`); `expires_on` may be any day.
 */
const giftCardSchema = z.object({
  id,
  balance: majorAmount,
  initial_value: majorAmount,
  currency: z.string().length(3),
  last_characters: z.string().optional(),
  customer_id: id.nullable().optional(),
  order_id: id.nullable().optional(),
  created_at: eventTimestamp,
  updated_at: eventTimestamp.optional(),
  disabled_at: eventTimestamp.nullable().optional(),
  expires_on: z.iso.date().nullable().optional(),
})

/**
 * A credit or debit on a card (GiftCardCreditTransaction / GiftCardDebitTransaction).
 * Shopify has no native webhook for these; our Shopify app forwards each one it makes with
 * `giftCardCredit` / `giftCardDebit` under the topic `gift_card_transactions/create`.
 */
const transactionSchema = z.object({
  id,
  gift_card_id: id,
  kind: z.enum(['credit', 'debit']),
  amount: majorAmount,
  currency: z.string().length(3),
  processed_at: eventTimestamp,
  order_id: id.nullable().optional(),
  location_id: id.nullable().optional(),
  /** The transaction's note; a card hold's carries its key (governance/pos/shopify.ts). */
  note: z.string().max(5000).nullable().optional(),
})

/**
 * The note of a debit or credit the ledger's own card holds made (`giftcards hold-approval-N:
 * …`): those are adjustments, not a redemption and a load, so a hold is never counted as a
 * redemption nor raises the held-card alert on its own card.
 */
const HOLD_NOTE = /^giftcards (undo-)?(hold|release)-approval-\d{1,12}:/

/** Shopify's card ids are numbers; the ledger prefixes them so they never clash with Square's. */
export function shopifyCardId(giftCardId: string): string {
  return `shopify:${giftCardId}`
}

/**
 * Shopify webhooks: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(app secret, raw body)), the
 * topic in X-Shopify-Topic and the delivery's idempotency key in X-Shopify-Webhook-Id.
 */
export function shopifySource(options: { secret: string }): WebhookSource {
  return {
    name: 'shopify',
    verify(rawBody, headers) {
      const given = headers.get('x-shopify-hmac-sha256')
      return given !== null && safeEqual(given, hmac(options.secret, rawBody, 'base64'))
    },
    parse(rawBody, headers): ParsedDelivery {
      const topic = headers instanceof Headers ? headers.get('x-shopify-topic') : headers.eventType
      if (!topic) throw new GiftCardError('INVALID_INPUT', 'X-Shopify-Topic header is missing')
      const webhookId = headers instanceof Headers ? headers.get('x-shopify-webhook-id') : null
      if (topic === 'gift_cards/create' || topic === 'gift_cards/update') {
        const card = parseBody(rawBody, giftCardSchema)
        return {
          eventId: webhookId ?? `${topic}:${card.id}:${card.updated_at ?? card.created_at}`,
          eventType: topic,
          normalized: normalizeCard(topic, card),
        }
      }
      if (topic === 'gift_card_transactions/create') {
        const tx = parseBody(rawBody, transactionSchema)
        const hold = tx.note ? HOLD_NOTE.test(tx.note) : false
        const type =
          tx.kind === 'credit' ? (hold ? 'adjust_up' : 'load') : hold ? 'adjust_down' : 'redeem'
        const normalized: Normalized = {
          events: [
            {
              source: 'shopify',
              eventId: `tx:${tx.id}`,
              cardRef: shopifyCardId(tx.gift_card_id),
              type,
              amountCents: signedAmount(type, tx.amount),
              currency: tx.currency,
              occurredAt: tx.processed_at,
              ...(tx.order_id ? { orderId: `shopify:${tx.order_id}` } : {}),
              ...(tx.location_id ? { locationId: `shopify:${tx.location_id}` } : {}),
            },
          ],
          cards: [],
        }
        return { eventId: webhookId ?? `tx:${tx.id}`, eventType: topic, normalized }
      }
      let eventId = webhookId
      if (!eventId)
        eventId = `${topic}:${rawBody.length}:${hmac('id', rawBody, 'hex').slice(0, 16)}`
      return { eventId, eventType: topic, normalized: 'ignored' }
    },
  }
}

function normalizeCard(topic: string, card: z.infer<typeof giftCardSchema>): Normalized {
  const cardRef = shopifyCardId(card.id)
  const at = card.updated_at ?? card.created_at
  return {
    // The card's creation is its activation, keyed by the card so create and update agree.
    events: [
      {
        source: 'shopify',
        eventId: `activate:${card.id}`,
        cardRef,
        type: 'activate',
        amountCents: card.initial_value,
        currency: card.currency,
        occurredAt: card.created_at,
        ...(card.customer_id ? { customerId: `shopify:${card.customer_id}` } : {}),
        ...(card.order_id ? { orderId: `shopify:${card.order_id}` } : {}),
      },
      ...(card.disabled_at
        ? [
            {
              source: 'shopify' as const,
              eventId: `deactivate:${card.id}`,
              cardRef,
              type: 'deactivate' as const,
              amountCents: 0,
              currency: card.currency,
              occurredAt: card.disabled_at,
            },
          ]
        : []),
    ],
    cards: [
      {
        source: 'shopify',
        cardRef,
        occurredAt: at,
        currency: card.currency,
        ...(card.last_characters ? { last4: card.last_characters.slice(-4) } : {}),
        ...(card.customer_id !== undefined
          ? { holderCustomerId: card.customer_id ? `shopify:${card.customer_id}` : null }
          : {}),
        ...(card.expires_on !== undefined
          ? { expiresAt: card.expires_on ? `${card.expires_on}T23:59:59.999Z` : null }
          : {}),
        ...(topic === 'gift_cards/update' && card.disabled_at
          ? { state: 'deactivated' as const }
          : {}),
      },
    ],
  }
}
