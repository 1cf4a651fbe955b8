import { z } from 'zod'
import {
  DEFAULT_MAX_EVENT_CENTS,
  MAX_CATEGORY_CHARS,
  MAX_FUTURE_MS,
  MAX_ITEMS,
  MAX_POS_ID_CHARS,
  MAX_SKU_CHARS,
} from './bounds.ts'

/**
 * The canonical event every POS source normalises to (DESIGN.md §2), and the transaction
 * types of the ledger. `amountCents` here is always the signed effect on the balance:
 * loads are positive, redemptions negative, balance checks zero. A `void` reverses the event
 * it names (`originalEventId`): the applier gives it the opposite of that event's amount
 * (docs/pos-vocabulary.md).
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
  'void',
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
  amountCents: z
    .number()
    .int()
    .describe(
      'signed effect on the balance, in cents; for a void, the amount the sender says it reverses (0: not said), replaced by the applier',
    ),
  currency: z.string().length(3).describe('ISO 4217 currency code'),
  balanceAfterCents: z.number().int().min(0).optional().describe('balance the POS reports after'),
  occurredAt: isoTimestamp,
  locationId: posId('the store').optional(),
  terminalId: posId('the register').optional(),
  orderId: posId('the order').optional(),
  customerId: posId('the POS customer id').optional(),
  employeeId: posId('the cashier').optional(),
  originalEventId: posId('a void: the event id (same source) it reverses').optional(),
  result: z
    .enum(TRANSACTION_RESULTS)
    .optional()
    .describe(
      'the POS outcome (default ok); a declined balance check or redemption moves nothing (docs/ingest.md §CSV)',
    ),
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
  ['originalEventId', MAX_POS_ID_CHARS],
] as const

/**
 * The bounds an event is held to at the door (docs/pos-vocabulary.md): at most `maxEventCents`
 * moved by one event or reported as a card's balance (DEFAULT_MAX_EVENT_CENTS, MAX_EVENT_CENTS
 * configures it), and dated at most a day after `now` (MAX_FUTURE_MS; default: the clock).
 */
export type EventLimits = { maxEventCents?: number; now?: number }

/**
 * What makes an event unfit to store, naming the field (`locationId is longer than 200
 * characters`), or undefined. Every event a normaliser builds is checked before it is applied:
 * a 150,000-character store id made each lookup of its card take 20 s (issue 16); an amount
 * over `limits.maxEventCents`, a date more than a day ahead and a void that names no event
 * are refused too (issue 17). A check, not a zod parse: a million-row import goes through it.
 */
export function eventFieldProblem(event: CardEvent, limits: EventLimits = {}): string | undefined {
  const problem = eventBoundsProblem(event, limits)
  if (problem) return problem
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

/** Amounts, dates and the void's link: `eventFieldProblem`'s part that is not text. */
function eventBoundsProblem(event: CardEvent, limits: EventLimits): string | undefined {
  const max = limits.maxEventCents ?? DEFAULT_MAX_EVENT_CENTS
  if (Math.abs(event.amountCents) > max)
    return `amountCents ${event.amountCents} is over the limit of ${max} cents per event (MAX_EVENT_CENTS)`
  if (event.balanceAfterCents !== undefined && event.balanceAfterCents > max)
    return `balanceAfterCents ${event.balanceAfterCents} is over the limit of ${max} cents a card may hold (MAX_EVENT_CENTS)`
  if (isTooFarAhead(event.occurredAt, limits.now))
    return `occurredAt ${String(event.occurredAt).slice(0, 40)} is more than a day in the future`
  if (event.type === 'void') {
    if (!event.originalEventId) return 'a void needs originalEventId (the event it reverses)'
    if (event.originalEventId === event.eventId) return 'a void cannot reverse itself'
  } else if (event.originalEventId !== undefined) {
    return `originalEventId is only for a void, not ${event.type}`
  }
  return undefined
}

/**
 * Whether an ISO timestamp is more than a day (MAX_FUTURE_MS) after `now` (default: the
 * clock). Text that is no timestamp is not "ahead": the schemas refuse it for what it is.
 */
export function isTooFarAhead(at: string, now: number = Date.now()): boolean {
  if (clearlyBefore(at, now)) return false
  return Date.parse(at) - now > MAX_FUTURE_MS
}

/** `clearlyBefore`'s last limit: `now` then, and the day three days before now + MAX_FUTURE_MS. */
const lastLimit = { now: Number.NaN, day: '' }

/** A UTC timestamp of a real day (month 01–12, day 01–28), seconds and any fraction. */
const PLAIN_UTC = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T\d\d:\d\d:\d\d(?:\.\d{1,9})?Z$/

/**
 * Whether `at` is a plain UTC timestamp (`PLAIN_UTC`) dated at least three days before the
 * latest time allowed: it cannot be too far ahead, whatever its time of day (at most
 * `24:00:00`, the next day), so it need not be parsed. An import's rows are days to years old,
 * and `Date.parse` was four calls a row, 2% of an import's main thread (this test costs a
 * seventh of one). Anything else (an offset, another form, a date near the limit) is parsed.
 */
function clearlyBefore(at: string, now: number): boolean {
  if (typeof at !== 'string' || at.length > 30 || !PLAIN_UTC.test(at)) return false
  if (now !== lastLimit.now) {
    const limit = new Date(now + MAX_FUTURE_MS - 3 * 24 * 3600 * 1000)
    // A clock out of Date's range is left to `Date.parse` and its arithmetic. A year past
    // 9999 is written with a sign: no four-digit year compares below it, so every timestamp
    // is then parsed.
    if (Number.isNaN(limit.getTime())) return false
    lastLimit.now = now
    lastLimit.day = limit.toISOString().slice(0, 10)
  }
  // Text order is time order for four-digit years; the day's first ten characters decide.
  return at < lastLimit.day
}

// ── the words POS systems use ─────────────────────────────────────────────────────────────

/**
 * The blueprint's and POS systems' words for transaction types, with the ledger type each
 * means (docs/pos-vocabulary.md). Matched without regard to case or separators (`Top-Up`,
 * `TOP_UP`, `topup`, `balance inquiry`). An `adjustment` takes its direction from its amount's
 * sign. The ledger's own names (`TRANSACTION_TYPES`) are words too.
 */
export const POS_TRANSACTION_WORDS = {
  sale: 'activate',
  activation: 'activate',
  issue: 'activate',
  reload: 'load',
  'top-up': 'load',
  redemption: 'redeem',
  refund: 'refund',
  void: 'void',
  adjustment: 'adjustment',
  'balance inquiry': 'balance_check',
  'balance check': 'balance_check',
} as const satisfies Record<string, TransactionType | 'adjustment'>

/** The form words are matched in: lower case, no spaces, `_`, `-`, `.` or `/`. */
function wordKey(word: string): string {
  return word.toLowerCase().replace(/[\s_./-]+/g, '')
}

/** Every accepted word in its matching form (a Map: no word reaches Object's own keys). */
const WORDS = new Map<string, TransactionType | 'adjustment'>([
  ...TRANSACTION_TYPES.map((t) => [t, t] as const),
  ...TRANSACTION_TYPES.map((t) => [wordKey(t), t] as const),
  ...Object.entries(POS_TRANSACTION_WORDS).map(([w, t]) => [wordKey(w), t] as const),
  ['adjust', 'adjustment'],
  ['topup', 'load'],
])

/**
 * The words a sender may use for the `allowed` types, for messages: the blueprint's, then the
 * ledger's own names (`sale, activation, …, activate, load, …`).
 */
export function transactionWordList(
  allowed: readonly TransactionType[] = TRANSACTION_TYPES,
): string {
  const ok = new Set<string>(allowed)
  if (ok.has('adjust_up') && ok.has('adjust_down')) ok.add('adjustment')
  const words: string[] = Object.entries(POS_TRANSACTION_WORDS)
    .filter(([, type]) => ok.has(type))
    .map(([word]) => word)
  for (const type of allowed) if (!words.includes(type)) words.push(type)
  return words.join(', ')
}

/**
 * What a POS word means: a ledger type (`redemption` → `redeem`, `Top Up` → `load`),
 * `adjustment` (a direction the amount's sign gives), or undefined for a word the vocabulary
 * does not know.
 */
export function meaningOf(word: string): TransactionType | 'adjustment' | undefined {
  if (word.length > 64) return undefined
  return WORDS.get(word) ?? WORDS.get(wordKey(word))
}

/**
 * The ledger type a POS word means, or undefined for a word the vocabulary does not know. An
 * adjustment is `adjust_down` when its amount is `negative`, else `adjust_up`.
 */
export function transactionTypeOf(word: string, negative = false): TransactionType | undefined {
  const found = meaningOf(word)
  if (found === 'adjustment') return negative ? 'adjust_down' : 'adjust_up'
  return found
}

/** Whether a type moves no money by itself (balance checks, blocks): its amount may be left out. */
export function movesNoMoney(type: TransactionType): boolean {
  return NO_MONEY.has(type)
}

/** Types that take money off a card: their amount is stored negative. */
const DEBITS: ReadonlySet<TransactionType> = new Set(['redeem', 'adjust_down', 'clear', 'expire'])
/** Types that never move money by themselves. */
const NO_MONEY: ReadonlySet<TransactionType> = new Set(['balance_check', 'block', 'unblock'])
/** Types that are not the card being used: look-ups, and voids (an undo, not a visit). */
const NOT_ACTIVITY: ReadonlySet<TransactionType> = new Set([...NO_MONEY, 'void'])

/** The signed effect of an amount the POS reports as a positive magnitude. */
export function signedAmount(type: TransactionType, magnitudeCents: number): number {
  if (NO_MONEY.has(type)) return 0
  const magnitude = Math.abs(magnitudeCents)
  return DEBITS.has(type) ? -magnitude : magnitude
}

/** Whether the event counts as activity for dormancy (loads and spends, not look-ups or voids). */
export function isActivity(type: TransactionType): boolean {
  return !NOT_ACTIVITY.has(type)
}
