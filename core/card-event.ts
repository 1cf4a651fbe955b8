import { z } from 'zod'

/**
 * The canonical event every POS source normalises to (DESIGN.md §2), and the transaction
 * types of the ledger. `amountCents` here is always the signed effect on the balance:
 * loads are positive, redemptions negative, balance checks zero.
 */
export const TRANSACTION_TYPES = [
  'activate',
  'load',
  'redeem',
  'refund',
  'adjust_up',
  'adjust_down',
  'clear',
  'deactivate',
  'block',
  'unblock',
  'balance_check',
  'expire',
] as const
export type TransactionType = (typeof TRANSACTION_TYPES)[number]

export const EVENT_SOURCES = [
  'square',
  'shopify',
  'lightspeed',
  'clover',
  'generic',
  'import',
  'seed',
] as const
export type EventSource = (typeof EVENT_SOURCES)[number]

/** Outcome of a transaction at the POS: a declined balance check or redemption moves nothing. */
export const TRANSACTION_RESULTS = ['ok', 'declined'] as const
export type TransactionResult = (typeof TRANSACTION_RESULTS)[number]

export const CARD_STATUSES = ['active', 'held', 'deactivated', 'redeemed', 'expired'] as const
export type CardStatus = (typeof CARD_STATUSES)[number]

export const CHANNELS = ['in_store', 'online', 'corporate', 'mobile'] as const
export type Channel = (typeof CHANNELS)[number]

export const OCCASIONS = ['holiday', 'birthday', 'corporate', 'self_use'] as const
export type Occasion = (typeof OCCASIONS)[number]

const isoTimestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp')

export const cardEventSchema = z.object({
  source: z.enum(EVENT_SOURCES).describe('where the event came from'),
  eventId: z.string().min(1).max(200).describe('idempotency key, unique per source'),
  cardRef: z.string().min(1).max(200).describe('the POS card id'),
  type: z.enum(TRANSACTION_TYPES).describe('what happened to the card'),
  amountCents: z.number().int().describe('signed effect on the balance, in cents'),
  currency: z.string().length(3).describe('ISO 4217 currency code'),
  balanceAfterCents: z.number().int().min(0).optional().describe('balance the POS reports after'),
  occurredAt: isoTimestamp,
  locationId: z.string().min(1).optional(),
  terminalId: z.string().min(1).optional(),
  orderId: z.string().min(1).optional(),
  customerId: z.string().min(1).optional(),
  employeeId: z.string().min(1).optional(),
  items: z
    .array(
      z.object({
        sku: z.string().min(1),
        category: z.string().min(1),
        amountCents: z.number().int(),
      }),
    )
    .optional(),
})

export type CardEvent = z.infer<typeof cardEventSchema>

/** Types that take money off a card: their amount is stored negative. */
const DEBITS: ReadonlySet<TransactionType> = new Set(['redeem', 'adjust_down', 'clear', 'expire'])
/** Types that never move money by themselves. */
const NO_MONEY: ReadonlySet<TransactionType> = new Set(['balance_check', 'block', 'unblock'])

/** The signed effect of an amount the POS reports as a positive magnitude. */
export function signedAmount(type: TransactionType, magnitudeCents: number): number {
  if (NO_MONEY.has(type)) return 0
  const magnitude = Math.abs(magnitudeCents)
  return DEBITS.has(type) ? -magnitude : magnitude
}

/** Whether the event counts as activity for dormancy (loads and spends, not look-ups). */
export function isActivity(type: TransactionType): boolean {
  return !NO_MONEY.has(type)
}
