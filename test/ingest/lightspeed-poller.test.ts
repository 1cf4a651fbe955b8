import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, getCard, listCardTransactions } from '../../db/index.ts'
import {
  LIGHTSPEED_SALES_STATE,
  LIGHTSPEED_WALK_STATE,
  lightspeedAmount,
  lightspeedCardToNormalized,
  lightspeedGiftCardSchema,
  lightspeedSaleSchema,
  lightspeedTime,
  retryAfterMs,
  SaleIndex,
  syncLightspeed,
} from '../../ingest/index.ts'
import { type FakeLightspeed, startFakeLightspeed } from '../fakes/lightspeed-api.ts'
import { DIALECTS } from '../helpers/dialects.ts'

// Shapes from https://x-series-api.lightspeedhq.com/reference/findgiftcard (GiftCard,
// GiftCardTransaction) and https://x-series-api.lightspeedhq.com/docs/pagination (the
// `version` cursor); see test/fixtures/lightspeed/README.md.
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/lightspeed', name), 'utf8'))
const CARD = fixture('gift-card.json').data
const SALES = fixture('sale.json').data as Record<string, unknown>[]
const TOKEN = 'lsxs_pt_test-token'

describe('Lightspeed X-Series normalisation', () => {
  it('maps the documented gift card and its transactions onto ledger events', () => {
    const card = lightspeedGiftCardSchema.parse(CARD)
    const sales = new SaleIndex()
    for (const s of SALES) sales.add(lightspeedSaleSchema.parse(s))
    const { events, cards } = lightspeedCardToNormalized(card, 'NZD', sales)
    expect(events).toEqual([
      {
        source: 'lightspeed',
        eventId: 'AghZsWv3oAQ=',
        cardRef: 'lightspeed:AghZsWvnoAM=',
        type: 'activate',
        amountCents: 5000,
        currency: 'NZD',
        occurredAt: '2019-09-30T20:28:55.000Z',
        orderId: 'lightspeed:0242ac19-002c-11e9-ffbb-e3c0ddbc7fdb',
        locationId: 'lightspeed:b1e04bd8-f019-11e3-a0f5-b8ca3a64f8f4',
        terminalId: 'lightspeed:b1e198a9-f019-11e3-a0f5-b8ca3a64f8f4',
        customerId: 'lightspeed:b1cabb53-f019-11e3-a0f5-b8ca3a64f8f4',
        items: [
          {
            sku: 'lightspeed:188a87aa-06fe-11e4-a0f5-b8ca3a64f8f4',
            category: 'gift_card',
            amountCents: 5000,
          },
        ],
        employeeId: 'lightspeed:08002782-0c90-11e6-e3ed-117ec12866a9',
      },
      {
        source: 'lightspeed',
        eventId: 'AghiNYlXwAE=',
        cardRef: 'lightspeed:AghZsWvnoAM=',
        type: 'redeem',
        amountCents: -2000,
        currency: 'NZD',
        occurredAt: '2019-09-30T22:57:45.000Z',
        balanceAfterCents: 3000,
        orderId: 'lightspeed:0242ac19-002c-11e9-ffbb-e3c0e1a2b3c4',
        locationId: 'lightspeed:b1e04bd8-f019-11e3-a0f5-b8ca3a64f8f4',
        terminalId: 'lightspeed:b1e198a9-f019-11e3-a0f5-b8ca3a64f8f5',
        items: [
          {
            sku: 'lightspeed:0af7b240-abf0-11e9-fb5b-ad7e3cb470d8',
            category: 'uncategorized',
            amountCents: 2000,
          },
        ],
        employeeId: 'lightspeed:08002782-0c90-11e6-e3ed-117ec127b1ca',
      },
    ])
    expect(cards).toEqual([
      {
        source: 'lightspeed',
        cardRef: 'lightspeed:AghZsWvnoAM=',
        occurredAt: '2019-09-30T22:57:45.000Z',
        last4: '9624',
        currency: 'NZD',
        expiresAt: null,
      },
    ])
  })

  it('maps every documented transaction type, and a voided card is deactivated', () => {
    const tx = (id: string, type: string, amount: number, minute: number) => ({
      id,
      type,
      amount,
      created_at: `2024-01-01T10:${String(minute).padStart(2, '0')}:00+00:00`,
    })
    const card = lightspeedGiftCardSchema.parse({
      ...CARD,
      status: 'VOIDED',
      balance: 0,
      gift_card_transactions: [
        tx('t1', 'IMPORTING', 40, 1),
        tx('t2', 'RELOADING', 10, 2),
        tx('t3', 'REDEEMING', -15, 3),
        tx('t4', 'REVERSING', 15, 4),
        tx('t5', 'EXPIRING', 0, 5),
        tx('t6', 'VOIDING', -50, 6),
        tx('t7', 'SOMETHING_NEW', 1, 7),
      ],
    })
    const { events, cards } = lightspeedCardToNormalized(card, 'USD')
    expect(events.map((e) => [e.eventId, e.type, e.amountCents])).toEqual([
      ['t1', 'activate', 4000],
      ['t2', 'load', 1000],
      ['t3', 'redeem', -1500],
      ['t4', 'adjust_up', 1500],
      ['t5', 'expire', 0],
      ['t6', 'clear', -5000],
    ])
    expect(events.at(-1)?.balanceAfterCents).toBe(0)
    expect(cards[0]?.state).toBe('deactivated')
  })

  it('reads amounts as numbers or strings, refusing a fraction of a cent', () => {
    expect(lightspeedAmount.parse(-20)).toBe(-2000)
    expect(lightspeedAmount.parse('20.0000')).toBe(2000)
    expect(lightspeedAmount.parse('12.5000')).toBe(1250)
    expect(lightspeedAmount.parse('7')).toBe(700)
    expect(lightspeedAmount.safeParse('20.1234').success).toBe(false)
    expect(lightspeedAmount.safeParse('20.0010').success).toBe(false)
    expect(lightspeedAmount.safeParse('ten').success).toBe(false)
  })

  it('reads RFC 3339 times and the older UTC form, refusing anything else', () => {
    expect(lightspeedTime.parse('2019-09-30T20:28:55+12:00')).toBe('2019-09-30T08:28:55.000Z')
    expect(lightspeedTime.parse('2016-07-18 08:04:05')).toBe('2016-07-18T08:04:05.000Z')
    expect(lightspeedTime.safeParse('yesterday').success).toBe(false)
    expect(lightspeedTime.safeParse('1569875335').success).toBe(false)
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs('3', now)).toBe(3000)
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000)
    expect(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0)
    expect(retryAfterMs('soon', now)).toBeUndefined()
    expect(retryAfterMs(null, now)).toBeUndefined()
  })
})

/** A card with sortable ids (Lightspeed's flake ids sort by creation), one activation. */
function card(n: number, extra: Record<string, unknown>[] = []) {
  const id = `gc-${String(n).padStart(4, '0')}`
  const at = new Date(Date.UTC(2025, 4, 1, 10, n)).toISOString()
  const transactions = [{ id: `${id}-a`, type: 'ACTIVATION', amount: 25, created_at: at }, ...extra]
  const balance = transactions.reduce((sum, t) => sum + (t.amount as number), 0)
  return {
    id,
    number: `400000000000${String(n).padStart(4, '0')}`,
    sale_id: null,
    created_at: at,
    expires_at: null,
    status: 'ACTIVE',
    balance,
    total_sold: 25,
    total_redeemed: 0,
    gift_card_transactions: transactions,
  }
}

for (const dialect of DIALECTS) {
  describe(`the Lightspeed poller on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let lightspeed: FakeLightspeed
    const sync = (extra: Partial<Parameters<typeof syncLightspeed>[1]> = {}) =>
      syncLightspeed(database, {
        baseUrl: lightspeed.url,
        accessToken: TOKEN,
        currency: 'NZD',
        backoffMs: 1,
        sleep: async () => {},
        ...extra,
      })
    const state = (source: string) =>
      database.db
        .selectFrom('sync_state')
        .selectAll()
        .where('source', '=', source)
        .executeTakeFirst()

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      lightspeed = await startFakeLightspeed(TOKEN)
    })
    afterAll(async () => {
      await lightspeed.close()
      await cleanup()
    })

    it('applies the documented card with its sales context, with the token, once', async () => {
      lightspeed.giftCards.push(structuredClone(CARD))
      for (const s of SALES) lightspeed.saveSale(s)
      const report = await sync()
      expect(report).toMatchObject({
        sales: 2,
        giftCardSales: 2,
        cards: 1,
        transactions: 2,
        applied: 2,
        duplicates: 0,
        skipped: 0,
        resumedWalk: false,
        lastEventAt: '2019-09-30T22:57:45.000Z',
      })
      expect(lightspeed.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true)
      const salesCalls = lightspeed.requests.filter((r) => r.path === '/api/2.0/sales')
      expect(salesCalls.map((r) => r.query.get('after'))).toEqual(['0', report.salesVersionTo])
      expect(await getCard(database.db, 'lightspeed:AghZsWvnoAM=')).toMatchObject({
        balance_cents: 3000,
        initial_value_cents: 5000,
        gan_last4: '9624',
        currency: 'NZD',
        source: 'lightspeed',
        issuing_location_id: 'lightspeed:b1e04bd8-f019-11e3-a0f5-b8ca3a64f8f4',
      })
      const rows = await listCardTransactions(database.db, 'lightspeed:AghZsWvnoAM=')
      // Newest first.
      expect(rows.map((r) => [r.event_id, r.type, r.amount_cents, r.terminal_id])).toEqual([
        ['AghiNYlXwAE=', 'redeem', -2000, 'lightspeed:b1e198a9-f019-11e3-a0f5-b8ca3a64f8f5'],
        ['AghZsWv3oAQ=', 'activate', 5000, 'lightspeed:b1e198a9-f019-11e3-a0f5-b8ca3a64f8f4'],
      ])
      expect((await state(LIGHTSPEED_SALES_STATE))?.cursor).toBe(report.salesVersionTo)
      expect((await state(LIGHTSPEED_WALK_STATE))?.cursor).toBeNull()

      lightspeed.requests.length = 0
      const again = await sync()
      expect(again).toMatchObject({ sales: 0, applied: 0, duplicates: 2 })
      expect(lightspeed.requests[0]?.query.get('after')).toBe(report.salesVersionTo)
    })

    it('picks up a new transaction on an old card, which no sale cursor would show', async () => {
      const stored = lightspeed.giftCards[0] as typeof CARD
      stored.gift_card_transactions = [
        ...stored.gift_card_transactions,
        {
          id: 'AgiqRELOAD1=',
          amount: 15,
          type: 'RELOADING',
          user_id: null,
          client_id: 'web-order-77',
          source: 'e-series',
          source_id: null,
          created_at: '2019-10-02T09:00:00+00:00',
        },
      ]
      stored.balance = 45
      const report = await sync()
      expect(report).toMatchObject({ applied: 1, duplicates: 2 })
      expect((await getCard(database.db, 'lightspeed:AghZsWvnoAM='))?.balance_cents).toBe(4500)
    })

    it('waits out a 429 for the HTTP date in Retry-After, and backs off on 5xx', async () => {
      lightspeed.retryAfterSeconds = 3
      lightspeed.failNext = [429, 503, 500]
      const waits: number[] = []
      const report = await sync({ backoffMs: 10, sleep: async (ms) => void waits.push(ms) })
      expect(report.retries).toBe(3)
      // An HTTP date has whole seconds: the wait is between 2 and 3 seconds.
      expect(waits[0]).toBeGreaterThan(1_900)
      expect(waits[0]).toBeLessThanOrEqual(3_000)
      expect(waits.slice(1)).toEqual([20, 40])
      expect(report.applied).toBe(0)
    })

    it('gives up with a clear error, and refuses a bad token', async () => {
      lightspeed.failNext = [500, 500]
      await expect(sync({ maxAttempts: 2 })).rejects.toThrow(
        /Lightspeed's API kept failing ListSales \(HTTP 500\) after 2 tries/,
      )
      await expect(sync({ accessToken: 'wrong' })).rejects.toThrow(
        /Lightspeed refused ListSales \(401\)/,
      )
    })

    it('resumes an interrupted walk of the gift card list where it stopped', async () => {
      for (let n = 1; n <= 5; n++) lightspeed.giftCards.push(card(n))
      let cardCalls = 0
      const crashing: typeof fetch = (input, init) => {
        if (String(input).includes('/api/2.0/gift_cards') && ++cardCalls === 2)
          return Promise.reject(new Error('connection reset'))
        return fetch(input, init)
      }
      const before = (await state(LIGHTSPEED_SALES_STATE))?.cursor
      await expect(sync({ pageSize: 2, maxAttempts: 1, fetch: crashing })).rejects.toThrow(
        /connection reset/,
      )
      // Newest first: the first page (gc-0005, gc-0004) is in, and the walk remembers gc-0004.
      expect((await state(LIGHTSPEED_WALK_STATE))?.cursor).toBe('gc-0004')
      expect((await getCard(database.db, 'lightspeed:gc-0005'))?.balance_cents).toBe(2500)
      expect(await getCard(database.db, 'lightspeed:gc-0003')).toBeUndefined()
      expect((await state(LIGHTSPEED_SALES_STATE))?.cursor).toBe(before)

      lightspeed.requests.length = 0
      const report = await sync({ pageSize: 2 })
      expect(report.resumedWalk).toBe(true)
      const first = lightspeed.requests.find((r) => r.path === '/api/2.0/gift_cards')
      expect(first?.query.get('before')).toBe('gc-0004')
      for (let n = 1; n <= 5; n++)
        expect((await getCard(database.db, `lightspeed:gc-000${n}`))?.balance_cents).toBe(2500)
      // gc-0003 … gc-0001 (the documented card, older, was in the ledger already).
      expect(report).toMatchObject({ applied: 3, duplicates: 3 })
      expect((await state(LIGHTSPEED_WALK_STATE))?.cursor).toBeNull()

      // The next sync walks the whole list again from the newest card, adding nothing.
      lightspeed.requests.length = 0
      const after = await sync({ pageSize: 2 })
      expect(after.resumedWalk).toBe(false)
      expect(
        lightspeed.requests.find((r) => r.path === '/api/2.0/gift_cards')?.query.has('before'),
      ).toBe(false)
      expect(after).toMatchObject({ applied: 0, cards: 6 })
    })

    it('skips a malformed card with the reason and applies the rest', async () => {
      lightspeed.giftCards.push({ ...card(9), balance: '12.345' })
      lightspeed.giftCards.push(
        card(10, [
          { id: 'gc-0010-r', type: 'REDEEMING', amount: -5, created_at: '2025-05-01T11:00:00Z' },
        ]),
      )
      const report = await sync()
      expect(report.skipped).toBe(1)
      expect((await getCard(database.db, 'lightspeed:gc-0010'))?.balance_cents).toBe(2000)
      expect(await getCard(database.db, 'lightspeed:gc-0009')).toBeUndefined()
    })
  })
}
