import { z } from 'zod'
import {
  GiftCardError,
  MAX_POS_ID_CHARS,
  meaningOf,
  movesNoMoney,
  signedAmount,
  type TransactionType,
  transactionWordList,
} from '../../core/index.ts'
import {
  eventTimestamp,
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

/** Ids are bounded once normalised (`normalizedProblem`), which names the event's field. */
const optionalId = z.string().min(1).nullish()

/** The words `transaction_type` may be (every ledger type's), for the 400 that names it. */
const WORDS = transactionWordList()

/**
 * The blueprint's own webhook payload, for POS systems without a native format.
 * `transaction_type` is a word of the blueprint's vocabulary or the ledger's
 * (docs/pos-vocabulary.md): `sale`, `reload`, `redemption`, `balance inquiry`… in any case, with
 * any separators. `amount` is in major units and never negative, except for an `adjustment`,
 * whose sign is its direction; it may be left out where nothing moves (a balance inquiry) and
 * for a void, which names the event it reverses in `original_event_id`. The word and the amount
 * are read together by `transactionType` once the shape is right (a check after the parse:
 * a zod transform here doubled the parse's cost).
 */
export const genericPayloadSchema = z.object({
  event_id: z.string().min(1).max(MAX_POS_ID_CHARS),
  event_type: z.string().min(1),
  created_at: eventTimestamp,
  data: z.object({
    gift_card_id: z.string().min(1),
    location_id: optionalId,
    transaction_type: z.string().min(1).max(64),
    amount: majorAmount.optional(),
    currency: z.string().length(3),
    remaining_balance: majorAmount.refine((cents) => cents >= 0, 'must not be negative').nullish(),
    original_event_id: optionalId,
    order_id: optionalId,
    customer_id: optionalId,
    terminal_id: optionalId,
    employee_id: optionalId,
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

/**
 * The ledger type of a delivery's `data`, or INVALID_INPUT naming the field: an unknown word, a
 * negative amount that is no adjustment, a missing amount, a void without the event it
 * reverses (or another type with one).
 */
function transactionType(data: {
  transaction_type: string
  amount?: number | undefined
  original_event_id?: string | null | undefined
}): TransactionType {
  const problem = (path: string, message: string) =>
    new GiftCardError('INVALID_INPUT', `data.${path}: ${message}`)
  const word = data.transaction_type
  const meaning = meaningOf(word)
  if (!meaning)
    throw problem(
      'transaction_type',
      `must be one of ${WORDS} (docs/pos-vocabulary.md), got ${JSON.stringify(word)}`,
    )
  const amount = data.amount
  if (amount !== undefined && amount < 0 && meaning !== 'adjustment')
    throw problem('amount', 'must not be negative (the type gives the sign)')
  const type = meaning !== 'adjustment' ? meaning : (amount ?? 0) < 0 ? 'adjust_down' : 'adjust_up'
  if (amount === undefined && type !== 'void' && !movesNoMoney(type))
    throw problem('amount', `is required for ${word}`)
  if (type === 'void' && !data.original_event_id)
    throw problem(
      'original_event_id',
      'is required for a void: the event_id of the event it reverses',
    )
  if (type !== 'void' && data.original_event_id)
    throw problem('original_event_id', `is only for a void, not ${word}`)
  return type
}

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
      const type = transactionType(d)
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
              type,
              amountCents: signedAmount(type, d.amount ?? 0),
              ...(d.original_event_id ? { originalEventId: d.original_event_id } : {}),
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
