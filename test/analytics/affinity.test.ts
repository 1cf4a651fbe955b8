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
      expect(skus.rows).toEqual([
        {
          item: 'APP-1',
          category: 'apparel',
          support: 2 / 7,
          confidence: 2 / 3,
          lift: 14 / 9,
          orders: 2,
        },
      ])
    })
  })
}
