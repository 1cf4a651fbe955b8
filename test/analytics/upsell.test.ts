import { describe, expect, it } from 'vitest'
import {
  loadUpsellModel,
  logUpsellPrompt,
  recommendUpsell,
  recordPromptOutcome,
  type UpsellModel,
  upsellOutcomes,
} from '../../analytics/index.ts'
import type { Database } from '../../db/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

const model: UpsellModel = {
  categoryLift: new Map([
    ['home', 1.8],
    ['grocery', 0.7],
  ]),
  denominations: [2500, 5000, 10000],
  builtAt: '2026-11-01T00:00:00.000Z',
}

describe('the upsell recommendation', () => {
  it('offers a $50 card for a $125 home-goods basket from a returning customer in November', () => {
    const r = recommendUpsell(model, {
      orderId: 'o1',
      totalCents: 12500,
      items: [{ sku: 'HOM-1', category: 'home', amountCents: 12500 }],
      priorVisits: 2,
      at: '2026-11-20T15:00:00Z',
    })
    expect(r).toMatchObject({ recommended: true, amountCents: 5000, amount: '$50.00' })
    // 0.1 base + 0.2 lift (0.8 × 0.25) + 0.2 basket + 0.15 returning + 0.2 season
    expect(r.score).toBe(0.85)
    expect(r.reasons).toEqual([
      'home is bought with gift cards 1.8× as often as average',
      'a $125.00 basket leaves room for a gift',
      'the holiday gifting season',
      'a returning customer (2 earlier visits)',
    ])
    expect(r.message).toBe(
      'Would you like to add a $50.00 gift card for the holidays? Shoppers who buy home often give one.',
    )
  })

  it('does not prompt for a small grocery basket from a first-time customer in spring', () => {
    const r = recommendUpsell(model, {
      orderId: 'o2',
      totalCents: 1800,
      items: [{ sku: 'GRO-1', category: 'grocery', amountCents: 1800 }],
      at: '2026-04-02T10:00:00Z',
    })
    expect(r).toMatchObject({ recommended: false, score: 0.1, reasons: [] })
    expect(r.amountCents).toBe(2500)
  })

  it('rejects a checkout with a bad field', () => {
    expect(() => recommendUpsell(model, { orderId: '', totalCents: -5 })).toThrow(
      /orderId|totalCents/,
    )
  })
})

for (const dialect of DIALECTS) {
  describe(`upsell from the ledger on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (d) => {
      database = d
      const { db } = d
      await db
        .insertInto('locations')
        .values({
          id: 'l1',
          name: 'L',
          city: 'X',
          region: 'r',
          jurisdiction: 'US-CA',
          timezone: 'UTC',
          latitude: 0,
          longitude: 0,
          opened_at: '2020-01-01T00:00:00.000Z',
        })
        .execute()
      const card = (id: string) => ({
        id,
        source: 'seed' as const,
        gan_last4: '0000',
        initial_value_cents: 5000,
        balance_cents: 5000,
        currency: 'USD',
        status: 'active' as const,
        issued_at: '2026-01-01T00:00:00.000Z',
        issuing_location_id: 'l1',
        updated_at: '2026-01-01T00:00:00.000Z',
      })
      await db
        .insertInto('gift_cards')
        .values(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map(card))
        .execute()
      // Activations of $50 (×4) and $25 (×2); orders with home items alongside three of them.
      const tx = (
        i: number,
        cardId: string,
        amount: number,
        order: string,
        type: 'activate' | 'redeem',
      ) => ({
        source: 'seed' as const,
        event_id: `e${i}`,
        card_id: cardId,
        type,
        amount_cents: amount,
        balance_after_cents: null,
        currency: 'USD',
        occurred_at: `2026-01-0${i}T00:00:00.000Z`,
        location_id: 'l1',
        terminal_id: null,
        order_id: order,
        customer_id: null,
        employee_id: null,
      })
      await db
        .insertInto('gift_card_transactions')
        .values([
          tx(1, 'c1', 5000, 'a1', 'activate'),
          tx(2, 'c2', 5000, 'a2', 'activate'),
          tx(3, 'c3', 5000, 'a3', 'activate'),
          tx(4, 'c4', 5000, 'a4', 'activate'),
          tx(5, 'c5', 2500, 'a5', 'activate'),
          tx(6, 'c6', 2500, 'a6', 'activate'),
          tx(7, 'c1', -1000, 'r1', 'redeem'),
          tx(8, 'c2', -1000, 'r2', 'redeem'),
          tx(9, 'c3', -1000, 'r3', 'redeem'),
        ])
        .execute()
      const item = (order: string, category: string) => ({
        order_id: order,
        sku: `${category}-1`,
        category,
        amount_cents: 1000,
      })
      await db
        .insertInto('order_items')
        .values([
          item('a1', 'home'),
          item('a2', 'home'),
          item('a3', 'home'),
          item('a4', 'gift_cards'),
          item('r1', 'grocery'),
          item('r2', 'grocery'),
          item('r3', 'grocery'),
        ])
        .execute()
    })

    it('reads the chain’s denominations, most sold first, and category lift alongside purchases', async () => {
      const m = await loadUpsellModel(database)
      expect(m.denominations).toEqual([5000, 2500])
      // home is in 3 of 4 activation orders with items and 3 of 7 orders overall: lift 1.75.
      expect(m.categoryLift.get('home')).toBeCloseTo(1.75, 5)
      expect(m.categoryLift.has('grocery')).toBe(false)
    })

    it('logs prompts and measures acceptance from the cashier outcomes, per store', async () => {
      const m = await loadUpsellModel(database)
      const sale = (orderId: string) =>
        recommendUpsell(m, {
          orderId,
          totalCents: 20000,
          items: [{ sku: 'h', category: 'home', amountCents: 20000 }],
          priorVisits: 3,
          at: '2026-12-01T00:00:00Z',
        })
      const a = await logUpsellPrompt(database, sale('o9'), {
        source: 'checkout',
        locationId: 'L1',
      })
      const b = await logUpsellPrompt(database, sale('o10'), {
        source: 'checkout',
        locationId: 'L1',
      })
      const c = await logUpsellPrompt(database, sale('o11'), {
        source: 'checkout',
        locationId: 'L2',
      })
      await logUpsellPrompt(database, sale('o12'), { source: 'checkout', locationId: 'L2' })
      expect([a.created, b.created, c.created]).toEqual([true, true, true])
      expect(await recordPromptOutcome(database, a.id, 'accepted')).toMatchObject({
        status: 'recorded',
      })
      expect(await recordPromptOutcome(database, b.id, 'declined')).toMatchObject({
        status: 'recorded',
      })
      expect(await recordPromptOutcome(database, c.id, 'not_shown')).toMatchObject({
        status: 'recorded',
      })
      const outcomes = await upsellOutcomes(database)
      expect(outcomes).toMatchObject({
        prompts: 4,
        recommended: 4,
        accepted: 1,
        declined: 1,
        notShown: 1,
        awaiting: 1,
        acceptanceRate: 0.5,
      })
      expect(outcomes.byLocation.map((l) => [l.locationId, l.acceptanceRate, l.awaiting])).toEqual([
        ['L1', 0.5, 0],
        ['L2', null, 1],
      ])
      expect((await upsellOutcomes(database, { location: 'L2' })).recommended).toBe(2)
    })

    it('keeps the first outcome: a retry is unchanged, a different one is a conflict', async () => {
      const m = await loadUpsellModel(database)
      const r = recommendUpsell(m, { orderId: 'o20', totalCents: 9000, items: [], priorVisits: 0 })
      const { id } = await logUpsellPrompt(database, r, { source: 'checkout' })
      expect(await recordPromptOutcome(database, id, 'accepted')).toEqual({
        status: 'recorded',
        promptId: id,
        outcome: 'accepted',
      })
      expect(await recordPromptOutcome(database, id, 'accepted')).toMatchObject({
        status: 'unchanged',
      })
      expect(await recordPromptOutcome(database, id, 'declined')).toEqual({
        status: 'conflict',
        promptId: id,
        outcome: 'declined',
        recorded: 'accepted',
      })
      expect(await recordPromptOutcome(database, id + 999, 'declined')).toMatchObject({
        status: 'not_found',
      })
    })

    it('logs one checkout prompt per order; agent prompts may share an order id', async () => {
      const m = await loadUpsellModel(database)
      const r = recommendUpsell(m, { orderId: 'o30', totalCents: 9000, items: [], priorVisits: 0 })
      const first = await logUpsellPrompt(database, r, { source: 'checkout' })
      const again = await logUpsellPrompt(database, r, { source: 'checkout' })
      expect(again).toEqual({ id: first.id, created: false })
      const preview = recommendUpsell(m, { orderId: 'agent-preview', totalCents: 100 })
      const p1 = await logUpsellPrompt(database, preview)
      const p2 = await logUpsellPrompt(database, preview)
      expect(p1.created && p2.created && p1.id !== p2.id).toBe(true)
    })
  })
}
