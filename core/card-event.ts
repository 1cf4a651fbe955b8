import { z } from 'zod'
import { MAX_CATEGORY_CHARS, MAX_ITEMS, MAX_POS_ID_CHARS, MAX_SKU_CHARS } from './bounds.ts'

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

const posId = (what: string) => z.string().min(1).max(MAX_POS_ID_CHARS).describe(what)

export const cardEventSchema = z.object({
  source: z.enum(EVENT_SOURCES).describe('where the event came from'),
  eventId: posId('idempotency key, unique per source'),
  cardRef: posId('the POS card id'),
  type: z.enum(TRANSACTION_TYPES).describe('what happened to the card'),
  amountCents: z.number().int().describe('signed effect on the balance, in cents'),
  currency: z.string().length(3).describe('ISO 4217 currency code'),
  balanceAfterCents: z.number().int().min(0).optional().describe('balance the POS reports after'),
  occurredAt: isoTimestamp,
  locationId: posId('the store').optional(),
  terminalId: posId('the register').optional(),
  orderId: posId('the order').optional(),
  customerId: posId('the POS customer id').optional(),
  employeeId: posId('the cashier').optional(),
  items: z
    .array(
      z.object({
        sku: z.string().min(1).max(MAX_SKU_CHARS),
        category: z.string().min(1).max(MAX_CATEGORY_CHARS),
        amountCents: z.number().int(),
      }),
    )
    .max(MAX_ITEMS)
    .optional(),
})

export type CardEvent = z.infer<typeof cardEventSchema>

/** The text fields of an event and how long each may be (`cardEventSchema`'s limits). */
const TEXT_LIMITS = [
  ['eventId', MAX_POS_ID_CHARS],
  ['cardRef', MAX_POS_ID_CHARS],
  ['locationId', MAX_POS_ID_CHARS],
  ['terminalId', MAX_POS_ID_CHARS],
  ['orderId', MAX_POS_ID_CHARS],
  ['customerId', MAX_POS_ID_CHARS],
  ['employeeId', MAX_POS_ID_CHARS],
] as const

/**
 * What makes an event unfit to store, naming the field (`locationId is longer than 200
 * characters`), or undefined. Every event a normaliser builds is checked before it is applied:
 * a 150,000-character store id made each lookup of its card take 20 s (issue 16). A check, not
 * a zod parse: a million-row import goes through it.
 */
export function eventFieldProblem(event: CardEvent): string | undefined {
  for (const [field, max] of TEXT_LIMITS) {
    const value: unknown = event[field]
    if (value === undefined) continue
    if (typeof value !== 'string') return `${field} must be text`
    if (value.length > max) return `${field} is longer than ${max} characters`
  }
  const items: unknown = event.items
  if (items === undefined) return undefined
  if (!Array.isArray(items)) return 'items must be a list'
  if (items.length > MAX_ITEMS) return `items has more than ${MAX_ITEMS} lines`
  for (const item of items as { sku: unknown; category: unknown }[]) {
    const { sku, category } = item
    if (typeof sku !== 'string' || typeof category !== 'string')
      return 'items: each line needs a sku and a category'
    if (sku.length > MAX_SKU_CHARS) return `items: a sku is longer than ${MAX_SKU_CHARS} characters`
    if (category.length > MAX_CATEGORY_CHARS)
      return `items: a category is longer than ${MAX_CATEGORY_CHARS} characters`
  }
  return undefined
}

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
