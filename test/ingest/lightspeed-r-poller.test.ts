import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, getCard } from '../../db/index.ts'
import {
  LIGHTSPEED_R_STATE,
  rSeriesPaymentEvents,
  rSeriesSalePaymentSchema,
  syncLightspeedR,
} from '../../ingest/index.ts'
import { type FakeLightspeedR, startFakeLightspeedR } from '../fakes/lightspeed-api.ts'
import { DIALECTS } from '../helpers/dialects.ts'

// The gift card tutorial's payments (https://developers.lightspeedhq.com/retail/tutorials/gift-cards/)
// in the SalePayment endpoint's shape; test/fixtures/lightspeed/README.md.
const PAGE = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '../fixtures/lightspeed/r-series-sale-payments.json'),
    'utf8',
  ),
)
const PAYMENTS = PAGE.SalePayment as Record<string, unknown>[]
const ACCOUNT = '123456'
const TOKEN = 'r-series-token'
const GIFT_TYPE = { type: 'gift card', name: 'Gift Card' }

describe('Lightspeed R-Series normalisation', () => {
  const events = (p: Record<string, unknown>) =>
    rSeriesPaymentEvents(rSeriesSalePaymentSchema.parse(p), 'CAD')

  it('reads the documented gift card payments: a deposit loads, a payment redeems, cash is not a card', () => {
    expect(events({ ...PAYMENTS[0], PaymentType: GIFT_TYPE })).toEqual([
      {
        source: 'lightspeed',
        eventId: 'r:120',
        cardRef: 'lightspeed-r:card:9',
        type: 'load',
        amountCents: 10000,
        currency: 'CAD',
        occurredAt: '2021-10-11T18:21:09.000Z',
        orderId: 'lightspeed-r:sale:195',
        terminalId: 'lightspeed-r:register:5',
        employeeId: 'lightspeed-r:employee:2',
      },
    ])
    expect(events({ ...PAYMENTS[1], PaymentType: { type: 'cash', name: 'Cash' } })).toEqual([])
    expect(
      events(PAYMENTS[2] as Record<string, unknown>).map((e) => [e.eventId, e.type, e.amountCents]),
    ).toEqual([['r:126', 'redeem', -1149]])
  })

  it('reverses an archived ("essentially voided") payment', () => {
    const archived = { ...PAYMENTS[2], archived: 'true', timeStamp: '2021-10-12T09:00:00+00:00' }
    expect(events(archived).map((e) => [e.eventId, e.type, e.amountCents, e.occurredAt])).toEqual([
      ['r:126', 'redeem', -1149, '2021-10-11T19:20:29.000Z'],
      ['r:126:void', 'adjust_up', 1149, '2021-10-12T09:00:00.000Z'],
    ])
  })
})

/** A gift card payment on card 50 at minute n. */
function payment(n: number, amount: string) {
  const at = new Date(Date.UTC(2024, 0, 1, 9, n)).toISOString()
  return {
    salePaymentID: String(1000 + n),
    amount,
    tipAmount: '0',
    createTime: at,
    timeStamp: at,
    archived: 'false',
    saleID: String(2000 + n),
    paymentTypeID: '5',
    registerID: '1',
    employeeID: '1',
    creditAccountID: '50',
  }
}

for (const dialect of DIALECTS) {
  describe(`the Lightspeed R-Series poller on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let lightspeed: FakeLightspeedR
    const sync = (extra: Partial<Parameters<typeof syncLightspeedR>[1]> = {}) =>
      syncLightspeedR(database, {
        baseUrl: lightspeed.url,
        accountId: ACCOUNT,
        accessToken: TOKEN,
        currency: 'CAD',
        backoffMs: 1,
        sleep: async () => {},
        ...extra,
      })
    const cursor = async () =>
      (
        await database.db
          .selectFrom('sync_state')
          .select('cursor')
          .where('source', '=', LIGHTSPEED_R_STATE)
          .executeTakeFirst()
      )?.cursor

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      lightspeed = await startFakeLightspeedR(ACCOUNT, TOKEN)
    })
    afterAll(async () => {
      await lightspeed.close()
      await cleanup()
    })

    it('applies the documented payments, asking for the payment type, sorted by timeStamp', async () => {
      lightspeed.payments.push(...PAYMENTS.map((p) => ({ ...p })))
      const report = await sync()
      expect(report).toMatchObject({ payments: 3, giftCardPayments: 2, applied: 2, duplicates: 0 })
      expect((await getCard(database.db, 'lightspeed-r:card:9'))?.balance_cents).toBe(8851)
      const first = lightspeed.requests[0]
      expect(first?.authorization).toBe(`Bearer ${TOKEN}`)
      expect(first?.query.get('sort')).toBe('timeStamp')
      expect(first?.query.get('load_relations')).toBe('["PaymentType"]')
      expect(first?.query.has('timeStamp')).toBe(false)
      expect(await cursor()).toBe('2021-10-11T19:20:29.000Z')
    })

    it('starts the next sync at the newest timeStamp read, the boundary a duplicate', async () => {
      lightspeed.requests.length = 0
      lightspeed.payments.push(payment(1, '-25'))
      const report = await sync()
      expect(lightspeed.requests[0]?.query.get('timeStamp')).toBe('>=,2021-10-11T19:20:29.000Z')
      expect(report).toMatchObject({ applied: 1, duplicates: 1 })
      expect((await getCard(database.db, 'lightspeed-r:card:50'))?.balance_cents).toBe(2500)
    })

    it('follows @attributes.next, and resumes after a crash from the last page applied', async () => {
      for (let n = 2; n <= 160; n++) lightspeed.payments.push(payment(n, n % 2 ? '-0.01' : '0.01'))
      const asked: string[] = []
      const crashing: typeof fetch = (input, init) => {
        asked.push(String(input))
        return asked.length === 2
          ? Promise.reject(new Error('connection reset'))
          : fetch(input, init)
      }
      await expect(sync({ fetch: crashing, maxAttempts: 1 })).rejects.toThrow(/connection reset/)
      // The second request was the `next` URL Lightspeed gave, with its opaque `after`.
      expect(new URL(asked[1] as string).searchParams.get('after')).toBeTruthy()
      // The first page (the boundary and 99 new payments, up to minute 100) is in.
      expect(await cursor()).toBe('2024-01-01T10:40:00.000Z')
      lightspeed.requests.length = 0
      const report = await sync()
      expect(lightspeed.requests[0]?.query.get('timeStamp')).toBe('>=,2024-01-01T10:40:00.000Z')
      expect(report.duplicates).toBe(1)
      const rows = await database.db
        .selectFrom('gift_card_transactions')
        .select('event_id')
        .where('card_id', '=', 'lightspeed-r:card:50')
        .execute()
      expect(rows).toHaveLength(160)
      // 25.00 from minute 1, then 79 loads of 0.01 (odd minutes) and 80 redemptions of 0.01.
      expect((await getCard(database.db, 'lightspeed-r:card:50'))?.balance_cents).toBe(2499)
    })

    it('waits out a 429 for its Retry-After seconds, and refuses a bad token', async () => {
      lightspeed.failNext = [429]
      const waits: number[] = []
      const report = await sync({ sleep: async (ms) => void waits.push(ms) })
      expect(waits).toEqual([1000])
      expect(report.retries).toBe(1)
      await expect(sync({ accessToken: 'nope' })).rejects.toThrow(
        /Lightspeed refused SalePayment \(401\)/,
      )
    })
  })
}
