import { describe, expect, it } from 'vitest'
import { productAffinity } from '../../analytics/index.ts'
import type { Database } from '../../db/index.ts'
import { applyBatch } from '../../ingest/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/**
 * Seven orders with items: three sold a gift card (o1–o3), three were paid with one (r1–r3),
 * and one had nothing to do with gift cards (x1). Every figure below can be worked out by hand.
 */
async function writeBaskets(database: Database): Promise<void> {
  const item = (sku: string, category: string, amountCents = 1000) => ({
    sku,
    category,
    amountCents,
  })
  const activate = (card: string, order: string, items: ReturnType<typeof item>[]) => ({
    source: 'import' as const,
    eventId: `a-${card}`,
    cardRef: card,
    type: 'activate' as const,
    amountCents: 5000,
    currency: 'USD',
    occurredAt: '2025-01-01T10:00:00Z',
    orderId: order,
    items,
  })
  const redeem = (card: string, order: string, items: ReturnType<typeof item>[]) => ({
    source: 'import' as const,
    eventId: `r-${card}`,
    cardRef: card,
    type: 'redeem' as const,
    amountCents: -1000,
    currency: 'USD',
    occurredAt: '2025-02-01T10:00:00Z',
    orderId: order,
    items,
  })
  await applyBatch(database, {
    cards: [],
    events: [
      activate('c1', 'o1', [item('GC-50', 'gift_cards', 5000), item('STA-1', 'stationery')]),
      activate('c2', 'o2', [
        item('GC-50', 'gift_cards', 5000),
        item('STA-1', 'stationery'),
        item('SEA-1', 'seasonal'),
      ]),
      activate('c3', 'o3', [item('GC-50', 'gift_cards', 5000)]),
      redeem('c1', 'r1', [item('APP-1', 'apparel'), item('BTY-1', 'beauty')]),
      redeem('c2', 'r2', [item('APP-1', 'apparel')]),
      redeem('c3', 'r3', [item('TOY-1', 'toys')]),
    ],
  })
  await database.db
    .insertInto('order_items')
    .values([
      { order_id: 'x1', sku: 'STA-1', category: 'stationery', amount_cents: 500 },
      { order_id: 'x1', sku: 'APP-1', category: 'apparel', amount_cents: 4000 },
    ])
    .execute()
}

for (const dialect of DIALECTS) {
  describe(`product affinity on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (opened) => {
      database = opened
      await writeBaskets(database)
    })

    it('finds what is bought alongside gift cards, with support, confidence and lift', async () => {
      const report = await productAffinity(database, { context: 'bought_alongside', minOrders: 1 })
      expect(report).toMatchObject({ orders: 7, contextOrders: 3 })
      expect(report.rows.map((r) => [r.item, r.orders])).toEqual([
        ['seasonal', 1],
        ['stationery', 2],
      ])
      const [seasonal, stationery] = report.rows
      expect(seasonal?.lift).toBeCloseTo(7 / 3, 10)
      expect(stationery?.support).toBeCloseTo(2 / 7, 10)
      expect(stationery?.confidence).toBeCloseTo(2 / 3, 10)
      expect(stationery?.lift).toBeCloseTo(14 / 9, 10)
    })

    it('finds what gift cards pay for, by category and by SKU, above a minimum of orders', async () => {
      const categories = await productAffinity(database, { context: 'redeemed_with', minOrders: 1 })
      expect(categories.rows.map((r) => [r.item, Number(r.lift.toFixed(3))])).toEqual([
        ['beauty', 2.333],
        ['toys', 2.333],
        ['apparel', 1.556],
      ])
      const skus = await productAffinity(database, {
        context: 'redeemed_with',
        level: 'sku',
        minOrders: 2,
      })
      expect(skus.rows).toMatchObject([
        {
          item: 'APP-1',
          category: 'apparel',
          support: 2 / 7,
          confidence: 2 / 3,
          lift: 14 / 9,
          orders: 2,
          test: 'fisher',
          significant: false,
        },
      ])
      // 2 of 3 context orders against 1 of 4 others: Fisher's exact p = (4 + 12 + 1) / 35; the
      // only SKU tested, so its adjusted value is the same.
      expect(skus.rows[0]?.pValue).toBeCloseTo(17 / 35, 10)
      expect(skus.rows[0]?.qValue).toBeCloseTo(17 / 35, 10)
    })

    it('says the data is too thin rather than reading anything into seven orders', async () => {
      const report = await productAffinity(database, { context: 'redeemed_with', minOrders: 1 })
      expect(report.significant).toBe(0)
      expect(report.note).toBe('Too thin to say anything: only 3 orders paid with a gift card.')
    })
  })

  describe(`affinity significance on ${dialect.name}`, () => {
    let database: Database
    // 60 orders paid with a gift card and 60 ordinary ones: cafe in 45 of the first and 15 of
    // the second (goes with gift cards), books in 20 of each (does not).
    useDatabase(dialect, async (opened) => {
      database = opened
      const events = []
      const items: { order_id: string; sku: string; category: string; amount_cents: number }[] = []
      for (let i = 0; i < 60; i++) {
        events.push({
          source: 'import' as const,
          eventId: `a-${i}`,
          cardRef: `c${i}`,
          type: 'activate' as const,
          amountCents: 5000,
          currency: 'USD',
          occurredAt: '2025-01-01T10:00:00Z',
        })
        events.push({
          source: 'import' as const,
          eventId: `r-${i}`,
          cardRef: `c${i}`,
          type: 'redeem' as const,
          amountCents: -1000,
          currency: 'USD',
          occurredAt: '2025-02-01T10:00:00Z',
          orderId: `r${i}`,
        })
        const basket = (order: string, cafe: boolean, books: boolean) => {
          items.push({ order_id: order, sku: 'GRO-1', category: 'grocery', amount_cents: 300 })
          if (cafe)
            items.push({ order_id: order, sku: 'CAF-1', category: 'cafe', amount_cents: 400 })
          if (books)
            items.push({ order_id: order, sku: 'BOO-1', category: 'books', amount_cents: 1500 })
        }
        basket(`r${i}`, i < 45, i % 3 === 0)
        basket(`x${i}`, i < 15, i % 3 === 0)
      }
      await applyBatch(database, { cards: [], events })
      await database.db.insertInto('order_items').values(items).execute()
    })

    it('marks an item significant only when its share differs beyond chance', async () => {
      const report = await productAffinity(database, { context: 'redeemed_with' })
      expect(report).toMatchObject({ orders: 120, contextOrders: 60, tested: 3, significant: 1 })
      expect(report.note).toBeUndefined()
      const byItem = new Map(report.rows.map((r) => [r.item, r]))
      const cafe = byItem.get('cafe')
      // 45/60 against 15/60: chi-square 30.0 on one degree of freedom, p ≈ 4.3e-8.
      expect(cafe).toMatchObject({ test: 'chi_square', significant: true })
      expect(cafe?.pValue).toBeGreaterThan(1e-8)
      expect(cafe?.pValue).toBeLessThan(1e-7)
      expect(cafe?.lift).toBeCloseTo(1.5, 10)
      const books = byItem.get('books')
      expect(books).toMatchObject({ lift: 1, significant: false })
      expect(books?.pValue).toBeCloseTo(1, 10)
      // Significant items first.
      expect(report.rows[0]?.item).toBe('cafe')
    })

    it('says so when nothing differs beyond chance', async () => {
      // Only grocery is in 46 or more orders paid with a gift card: it is in every order.
      const report = await productAffinity(database, { context: 'redeemed_with', minOrders: 46 })
      expect(report).toMatchObject({ tested: 1, significant: 0 })
      expect(report.note).toBe(
        'No item is more or less common in orders paid with a gift card than in the others beyond chance (false discovery rate 5%).',
      )
    })
  })
}
