import { sql } from 'kysely'
import type { Database } from '../db/index.ts'
import { benjaminiHochberg, independenceTest } from './significance.ts'

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
  /**
   * Two-sided p-value that the item is as common in the context's orders as in the other
   * orders (chi-square, or Fisher's exact test on small counts), and the Benjamini–Hochberg
   * adjusted value over every item tested.
   */
  pValue: number
  qValue: number
  test: 'chi_square' | 'fisher'
  /** The difference holds at a false discovery rate of 5%. */
  significant: boolean
}

export type AffinityReport = {
  context: AffinityContext
  level: 'category' | 'sku'
  /** Orders with items, and those of the context. */
  orders: number
  contextOrders: number
  /** Items tested (seen in at least `minOrders` orders of the context), and of them significant. */
  tested: number
  significant: number
  rows: AffinityRow[]
  /** Said when the data cannot support a finding (too few orders, nothing to compare with). */
  note?: string
}

/** Fewer orders than this in the context, or outside it, and there is nothing to compare. */
const MIN_COMPARISON_ORDERS = 30
/** False discovery rate at which an item counts as going with (or against) gift cards. */
const FDR = 0.05

/** The gift card line itself is not a product bought alongside a gift card. */
const GIFT_CARD_CATEGORY = 'gift_cards'

/**
 * Product affinity with gift cards: which categories (or SKUs) are bought with a gift card
 * redemption, or alongside a gift card purchase, with support, confidence and lift against all
 * orders, and whether the item is more (or less) common in the context's orders than in the
 * others beyond chance (docs/analytics.md §Product affinity). Items seen in fewer than
 * `minOrders` context orders are left out; the rest are sorted significant first, then by lift,
 * then by orders. A lift without its test says nothing: when every order is in the context, or
 * the orders outside it are all gift card orders of the other kind, the report says so.
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

  // Orders outside the context that are not gift card orders of the other kind either: the
  // ordinary shopping a context is compared with.
  const otherKind = options.context === 'redeemed_with' ? 'activate' : 'redeem'
  const ordinary = await items()
    .select(sql<number>`cast(count(distinct order_id) as bigint)`.as('n'))
    .where('order_id', 'not in', contextOrders)
    .where(
      'order_id',
      'not in',
      db
        .selectFrom('gift_card_transactions')
        .select('order_id')
        .where('type', '=', otherKind)
        .where('order_id', 'is not', null),
    )
    .executeTakeFirstOrThrow()

  const totals = new Map(overall.map((r) => [r.item, r]))
  const minOrders = options.minOrders ?? 5
  const C = Number(context.n)
  const N = Number(all.n)
  const tested: Omit<AffinityRow, 'qValue' | 'significant'>[] = []
  for (const row of inContext) {
    const base = totals.get(row.item)
    const orders = Number(row.orders)
    if (!base || orders < minOrders || C === 0 || N === 0) continue
    const confidence = orders / C
    const itemOrders = Number(base.orders)
    const { pValue, test } = independenceTest({
      a: orders,
      b: C - orders,
      c: itemOrders - orders,
      d: N - C - (itemOrders - orders),
    })
    tested.push({
      item: row.item,
      category: base.category,
      support: orders / N,
      confidence,
      lift: confidence / (itemOrders / N),
      orders,
      pValue,
      test,
    })
  }
  const q = benjaminiHochberg(tested.map((r) => r.pValue))
  const rows: AffinityRow[] = tested.map((r, i) => ({
    ...r,
    qValue: q[i] as number,
    significant: (q[i] as number) <= FDR,
  }))
  rows.sort(
    (a, b) =>
      Number(b.significant) - Number(a.significant) ||
      b.lift - a.lift ||
      b.orders - a.orders ||
      (a.item < b.item ? -1 : 1),
  )
  const significant = rows.filter((r) => r.significant).length
  const note = affinityNote({
    context: options.context,
    contextOrders: C,
    otherOrders: N - C,
    ordinaryOrders: Number(ordinary.n),
    tested: rows.length,
    significant,
  })
  return {
    context: options.context,
    level,
    orders: N,
    contextOrders: C,
    tested: rows.length,
    significant,
    rows: rows.slice(0, options.limit ?? 50),
    ...(note ? { note } : {}),
  }
}

/** What the data cannot say, in words; nothing when the comparison stands. */
function affinityNote(f: {
  context: AffinityContext
  contextOrders: number
  otherOrders: number
  ordinaryOrders: number
  tested: number
  significant: number
}): string | undefined {
  const what = f.context === 'redeemed_with' ? 'paid with a gift card' : 'that bought a gift card'
  if (f.contextOrders < MIN_COMPARISON_ORDERS)
    return `Too thin to say anything: only ${f.contextOrders} orders ${what}.`
  if (f.otherOrders < MIN_COMPARISON_ORDERS)
    return `Too thin to say anything: only ${f.otherOrders} orders were not ${what.replace('that ', '')}, so there is nothing to compare with.`
  const parts: string[] = []
  if (f.ordinaryOrders === 0)
    parts.push(
      `Every order outside the context is a gift card ${f.context === 'redeemed_with' ? 'purchase' : 'redemption'}: the ledger holds no other shopping, so these lifts compare the two kinds of gift card order, not gift card orders with ordinary ones.`,
    )
  if (f.tested > 0 && f.significant === 0)
    parts.push(
      `No item is more or less common in orders ${what} than in the others beyond chance (false discovery rate 5%).`,
    )
  return parts.length > 0 ? parts.join(' ') : undefined
}
