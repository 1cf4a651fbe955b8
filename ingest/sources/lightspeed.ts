import { z } from 'zod'
import {
  type CardEvent,
  isTooFarAhead,
  majorToCents,
  signedAmount,
  type TransactionType,
  toIso,
} from '../../core/index.ts'
import type { CardSnapshot, Normalized } from '../apply.ts'

/**
 * Lightspeed Retail (X-Series) API 2.0, as docs/pos-sources.md describes it: gift cards with
 * their whole transaction history (`GET /api/2.0/gift_cards`), and sales (`GET
 * /api/2.0/sales`, paged by the `version` cursor) for the store, register, customer and
 * staff behind a transaction. X-Series sends no gift card webhooks, so these are polled.
 */

/** Ids and short texts from Lightspeed, bounded. */
const id = z.string().min(1).max(200)
const optionalId = z.string().max(200).nullish()

/**
 * A Lightspeed amount in major units as integer cents. API 2.0 sends numbers (`-20.0000`
 * arrives as -20), later versions strings (`"20.0000"`): zeros past the cents are dropped, a
 * real fraction of a cent is refused.
 */
export const lightspeedAmount = z
  .union([z.string().max(40), z.number()])
  .transform((value, ctx) => {
    const text = typeof value === 'string' ? value.trim().replace(/(\.\d{2}\d*?)0+$/, '$1') : value
    try {
      return majorToCents(typeof text === 'string' ? text.replace(/\.$/, '') : text)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) })
      return z.NEVER
    }
  })

/**
 * A Lightspeed timestamp as UTC ISO text: RFC 3339 (`2019-09-30T20:28:55+00:00`) or the older
 * `2016-07-18 08:04:05`, which is UTC.
 */
export const lightspeedTime = z
  .string()
  .max(40)
  .transform((text, ctx) => {
    const value = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)
      ? `${text.replace(' ', 'T')}Z`
      : text
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `is not a timestamp (${JSON.stringify(text)})` })
      return z.NEVER
    }
    // A day ahead at most (docs/pos-vocabulary.md): one far-future event froze its card.
    if (isTooFarAhead(toIso(ms))) {
      ctx.addIssue({ code: 'custom', message: 'is more than a day in the future' })
      return z.NEVER
    }
    return toIso(ms)
  })

/** One entry of a gift card's `gift_card_transactions`. */
export const lightspeedTransactionSchema = z.object({
  id,
  amount: lightspeedAmount,
  type: z.string().min(1).max(40),
  created_at: lightspeedTime,
  user_id: optionalId,
  client_id: optionalId,
  source: optionalId,
  source_id: optionalId,
})
export type LightspeedTransaction = z.infer<typeof lightspeedTransactionSchema>

/** A gift card as `GET /api/2.0/gift_cards` and `GET /api/2.0/gift_cards/{number}` return it. */
export const lightspeedGiftCardSchema = z.object({
  id,
  number: z.string().min(1).max(64),
  sale_id: optionalId,
  created_at: lightspeedTime,
  expires_at: lightspeedTime.nullish(),
  status: z.string().min(1).max(40),
  balance: lightspeedAmount,
  total_sold: lightspeedAmount.nullish(),
  total_redeemed: lightspeedAmount.nullish(),
  gift_card_transactions: z.array(lightspeedTransactionSchema).max(10_000).default([]),
})
export type LightspeedGiftCard = z.infer<typeof lightspeedGiftCardSchema>

const lineItemSchema = z.object({
  id: optionalId,
  product_id: optionalId,
  quantity: z.number().optional(),
  price_total: z.number().optional(),
  total_price: z.number().optional(),
  gift_card_number: z.string().max(64).nullish(),
})

const paymentSchema = z.object({
  id,
  name: z.string().max(200).nullish(),
  amount: z.number().optional(),
  retailer_payment_type_id: optionalId,
  payment_type_id: z.union([z.string().max(40), z.number()]).nullish(),
})

/** A sale as `GET /api/2.0/sales` returns it (only what the ledger uses). */
export const lightspeedSaleSchema = z.object({
  id,
  outlet_id: optionalId,
  register_id: optionalId,
  user_id: optionalId,
  customer_id: optionalId,
  status: z.string().max(40).optional(),
  version: z.number().int().nonnegative(),
  line_items: z.array(lineItemSchema).max(1000).default([]),
  payments: z.array(paymentSchema).max(200).default([]),
})
export type LightspeedSale = z.infer<typeof lightspeedSaleSchema>

/**
 * Each X-Series gift card transaction type as a ledger type (docs/pos-sources.md). IMPORTING
 * brings a balance from an earlier system; REVERSING undoes a REDEEMING (the only type the
 * API can reverse), so it puts the amount back like a void; VOIDING zeroes the balance and
 * the card is marked deactivated from its status.
 */
export const LIGHTSPEED_TRANSACTION_TYPES: Record<string, TransactionType> = {
  ACTIVATION: 'activate',
  IMPORTING: 'activate',
  RELOADING: 'load',
  REDEEMING: 'redeem',
  REVERSING: 'adjust_up',
  EXPIRING: 'expire',
  VOIDING: 'clear',
}

/**
 * The `client_id` of a transaction the ledger's own card holds made (docs/approvals.md "Holds
 * at the POS"): `hold-approval-N`, `release-approval-N`, or `undo-` either.
 */
const HOLD_CLIENT_ID = /^(undo-)?(hold|release)-approval-\d{1,12}$/

/**
 * A hold's REDEEMING and its release's RELOADING are adjustments, not a sale and a reload: the
 * ledger reads them as `adjust_down` / `adjust_up`, so a hold is never counted as a redemption
 * (nor raises the held-card alert on its own card).
 */
export function lightspeedType(tx: {
  type: string
  client_id?: string | null
}): TransactionType | undefined {
  if (tx.client_id && HOLD_CLIENT_ID.test(tx.client_id)) {
    if (tx.type === 'REDEEMING') return 'adjust_down'
    if (tx.type === 'RELOADING') return 'adjust_up'
  }
  return LIGHTSPEED_TRANSACTION_TYPES[tx.type]
}

/** Card ids and other Lightspeed ids are prefixed so they never clash with another platform's. */
export function lightspeedRef(lightspeedId: string): string {
  return `lightspeed:${lightspeedId}`
}

/** What a sale tells about the transactions made in it. */
export type SaleContext = {
  orderId: string
  locationId?: string
  terminalId?: string
  customerId?: string
  employeeId?: string
  items?: NonNullable<CardEvent['items']>
}

/** Whether a sale has anything to do with gift cards (a card sold or reloaded, or one paid with). */
export function touchesGiftCards(sale: LightspeedSale): boolean {
  return (
    sale.line_items.some((l) => l.gift_card_number) ||
    sale.payments.some((p) => /gift\s*card/i.test(p.name ?? ''))
  )
}

/** The context of one sale, with its line items as order items. */
export function saleContext(sale: LightspeedSale): SaleContext {
  const items = sale.line_items
    .filter((l) => l.product_id)
    .map((l) => ({
      sku: lightspeedRef(l.product_id as string),
      category: l.gift_card_number ? 'gift_card' : 'uncategorized',
      amountCents: Math.round((l.price_total ?? l.total_price ?? 0) * 100),
    }))
  return {
    orderId: lightspeedRef(sale.id),
    ...(sale.outlet_id ? { locationId: lightspeedRef(sale.outlet_id) } : {}),
    ...(sale.register_id ? { terminalId: lightspeedRef(sale.register_id) } : {}),
    ...(sale.customer_id ? { customerId: lightspeedRef(sale.customer_id) } : {}),
    ...(sale.user_id ? { employeeId: lightspeedRef(sale.user_id) } : {}),
    ...(items.length > 0 ? { items } : {}),
  }
}

/**
 * Sale contexts by the ids a gift card transaction can name them by: the sale's own id (a
 * card's `sale_id`) and each payment's id (a register redemption's `source_id`).
 */
export class SaleIndex {
  private readonly byId = new Map<string, SaleContext>()
  /** Sales whose items were already put on an event in this run (items go on one event). */
  private readonly itemsUsed = new Set<string>()

  add(sale: LightspeedSale): void {
    const context = saleContext(sale)
    this.byId.set(sale.id, context)
    for (const p of sale.payments) this.byId.set(p.id, context)
  }

  get size(): number {
    return this.byId.size
  }

  /** The sale a transaction was made in, if it names one this index holds. */
  find(card: LightspeedGiftCard, tx: LightspeedTransaction): SaleContext | undefined {
    for (const ref of [tx.source_id, tx.client_id]) {
      const found = ref ? this.byId.get(ref) : undefined
      if (found) return found
    }
    if (tx.type === 'ACTIVATION' && card.sale_id) return this.byId.get(card.sale_id)
    return undefined
  }

  /** Whether this sale's items may go on an event (true once per sale). */
  takeItems(orderId: string): boolean {
    if (this.itemsUsed.has(orderId)) return false
    this.itemsUsed.add(orderId)
    return true
  }
}

/**
 * A Lightspeed gift card as ledger events and a card snapshot. Each transaction becomes one
 * event keyed by its Lightspeed id, so a card seen again on every poll adds nothing new. The
 * card's current balance is the balance after its newest transaction, so the ledger follows
 * Lightspeed exactly; sale details come from `sales` when the transaction names a known sale.
 */
export function lightspeedCardToNormalized(
  card: LightspeedGiftCard,
  currency: string,
  sales: SaleIndex = new SaleIndex(),
): Normalized {
  const cardRef = lightspeedRef(card.id)
  const known = card.gift_card_transactions.filter((tx) => lightspeedType(tx))
  const newest = known.reduce<LightspeedTransaction | undefined>(
    (last, tx) => (!last || tx.created_at >= last.created_at ? tx : last),
    undefined,
  )
  const events: CardEvent[] = known.map((tx) => {
    const type = lightspeedType(tx) as TransactionType
    const sale = sales.find(card, tx)
    const withItems = sale?.items && sales.takeItems(sale.orderId)
    return {
      source: 'lightspeed',
      eventId: tx.id,
      cardRef,
      type,
      // `|| 0`: a zero debit is 0, not -0.
      amountCents: signedAmount(type, tx.amount) || 0,
      currency,
      occurredAt: tx.created_at,
      ...(tx === newest ? { balanceAfterCents: Math.max(0, card.balance) } : {}),
      ...(sale
        ? {
            orderId: sale.orderId,
            ...(sale.locationId ? { locationId: sale.locationId } : {}),
            ...(sale.terminalId ? { terminalId: sale.terminalId } : {}),
            ...(sale.customerId ? { customerId: sale.customerId } : {}),
            ...(withItems ? { items: sale.items } : {}),
          }
        : {}),
      ...(tx.user_id
        ? { employeeId: lightspeedRef(tx.user_id) }
        : sale?.employeeId
          ? { employeeId: sale.employeeId }
          : {}),
    }
  })
  const snapshot: CardSnapshot = {
    source: 'lightspeed',
    cardRef,
    occurredAt: newest?.created_at ?? card.created_at,
    last4: card.number.slice(-4),
    currency,
    expiresAt: card.expires_at ?? null,
    ...(card.status === 'VOIDED' ? { state: 'deactivated' as const } : {}),
  }
  return { events, cards: [snapshot] }
}
