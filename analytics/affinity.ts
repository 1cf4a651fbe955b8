import { sql } from 'kysely'
import type { Database } from '../db/index.ts'

/** Where a gift card meets a basket: paying for it, or being bought in it. */
export const AFFINITY_CONTEXTS = ['redeemed_with', 'bought_alongside'] as const
export type AffinityContext = (typeof AFFINITY_CONTEXTS)[number]

export type AffinityRow = {
  /** A category, or a SKU with its category. */
  item: string
  category: string
  /** Orders of the context containing the item, over all orders. */
  support: number
  /** Orders of the context containing the item, over the context's orders. */
  confidence: number
  /** Confidence over the item's share of all orders: above 1, the item goes with gift cards. */
  lift: number
  orders: number
}

export type AffinityReport = {
  context: AffinityContext
  level: 'category' | 'sku'
  /** Orders with items, and those of the context. */
  orders: number
  contextOrders: number
  rows: AffinityRow[]
}

/** The gift card line itself is not a product bought alongside a gift card. */
const GIFT_CARD_CATEGORY = 'gift_cards'

/**
 * Product affinity with gift cards: which categories (or SKUs) are bought with a gift card
 * redemption, or alongside a gift card purchase, with support, confidence and lift against all
 * orders. Items seen in fewer than `minOrders` context orders are left out; the rest are sorted
 * by lift, then by orders.
 */
export async function productAffinity(
  database: Database,
  options: {
    context: AffinityContext
    level?: 'category' | 'sku'
    minOrders?: number
    limit?: number
    /**
     * Only orders placed at these stores (a pilot's, docs/pilot.md): orders whose gift card
     * transaction happened there.
     */
    pilotStores?: readonly string[]
  },
): Promise<AffinityReport> {
  const { db } = database
  const level = options.level ?? 'category'
  const type = options.context === 'redeemed_with' ? 'redeem' : 'activate'
  const stores = options.pilotStores ? [...options.pilotStores, ''] : undefined
  let contextQuery = db
    .selectFrom('gift_card_transactions')
    .select('order_id')
    .where('type', '=', type)
    .where('result', '=', 'ok')
    .where('order_id', 'is not', null)
  if (stores) contextQuery = contextQuery.where('location_id', 'in', stores)
  const contextOrders = contextQuery
  // Every order, or under a pilot the orders of its stores.
  const items = () => {
    const query = db.selectFrom('order_items')
    return stores
      ? query.where(
          'order_id',
          'in',
          db
            .selectFrom('gift_card_transactions')
            .select('order_id')
            .where('order_id', 'is not', null)
            .where('location_id', 'in', stores),
        )
      : query
  }

  const key = level === 'category' ? sql<string>`category` : sql<string>`sku`
  const [all, context] = await Promise.all([
    items()
      .select(sql<number>`cast(count(distinct order_id) as bigint)`.as('n'))
      .executeTakeFirstOrThrow(),
    items()
      .select(sql<number>`cast(count(distinct order_id) as bigint)`.as('n'))
      .where('order_id', 'in', contextOrders)
      .executeTakeFirstOrThrow(),
  ])
  const overall = await items()
    .select([
      key.as('item'),
      sql<string>`min(category)`.as('category'),
      sql<number>`cast(count(distinct order_id) as bigint)`.as('orders'),
    ])
    .where('category', '<>', GIFT_CARD_CATEGORY)
    .groupBy(key)
    .execute()
  const inContext = await items()
    .select([key.as('item'), sql<number>`cast(count(distinct order_id) as bigint)`.as('orders')])
    .where('category', '<>', GIFT_CARD_CATEGORY)
    .where('order_id', 'in', contextOrders)
    .groupBy(key)
    .execute()

  const totals = new Map(overall.map((r) => [r.item, r]))
  const minOrders = options.minOrders ?? 5
  const rows: AffinityRow[] = []
  for (const row of inContext) {
    const base = totals.get(row.item)
    if (!base || row.orders < minOrders || context.n === 0 || all.n === 0) continue
    const confidence = row.orders / context.n
    rows.push({
      item: row.item,
      category: base.category,
      support: row.orders / all.n,
      confidence,
      lift: confidence / (base.orders / all.n),
      orders: row.orders,
    })
  }
  rows.sort((a, b) => b.lift - a.lift || b.orders - a.orders || (a.item < b.item ? -1 : 1))
  return {
    context: options.context,
    level,
    orders: all.n,
    contextOrders: context.n,
    rows: rows.slice(0, options.limit ?? 50),
  }
}
