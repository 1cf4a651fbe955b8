import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../app/server.ts'
import { loadConfig } from '../../core/index.ts'
import { type Database, getCard, listCardTransactions } from '../../db/index.ts'
import {
  CloverCardMap,
  CloverClient,
  cloverPaymentEvents,
  cloverPaymentSchema,
  cloverSource,
  cloverWebhookRoutes,
  Inbox,
  parseCloverCards,
} from '../../ingest/index.ts'
import { type FakeClover, startFakeClover } from '../fakes/clover-api.ts'
import { DIALECTS } from '../helpers/dialects.ts'

// Shapes from https://docs.clover.com/docs/webhooks (verification, X-Clover-Auth, message
// format) and the REST API v3 order and payment references; test/fixtures/clover/README.md.
const read = (name: string) =>
  readFileSync(join(import.meta.dirname, '../fixtures/clover', name), 'utf8')
const VERIFICATION = read('webhook-verification.json')
const NOTIFICATION = read('webhook-notification.json')
const ORDER = JSON.parse(read('order.json'))
const ACTIVATION = JSON.parse(read('payment.json'))
/** The documented example of a Clover Auth Code. */
const AUTH = '0307e264-b33a-4913-88aa-37b10014a0b8'
const MERCHANT = 'ZZ1PW2VCQJTKM'
const TOKEN = 'clover-merchant-token'
const CARD = 'gc-clover-1234'

const CARDS = parseCloverCards(
  [
    'card_id,last4,first6,token',
    `${CARD},1234,603571,clv_1TSTEST1234`,
    'gc-clover-a,7777,603571,clv_A',
    'gc-clover-b,7777,603571,clv_B',
  ].join('\n'),
)

describe('Clover verification and payloads', () => {
  const source = cloverSource({ authCode: AUTH, currency: 'USD' })
  const h = (entries: Record<string, string>) => new Headers(entries)

  it('accepts the documented X-Clover-Auth value and nothing else', () => {
    expect(source.verify(NOTIFICATION, h({ 'x-clover-auth': AUTH }))).toBe(true)
    expect(source.verify(NOTIFICATION, h({ 'X-Clover-Auth': AUTH }))).toBe(true)
    expect(source.verify(NOTIFICATION, h({ 'x-clover-auth': `${AUTH}0` }))).toBe(false)
    expect(source.verify(NOTIFICATION, h({ 'x-clover-auth': AUTH.toUpperCase() }))).toBe(false)
    expect(source.verify(NOTIFICATION, h({}))).toBe(false)
  })

  it('refuses a notification handed to parse as a live request (it must be fetched first)', () => {
    expect(() => source.parse(NOTIFICATION, h({ 'x-clover-auth': AUTH }))).toThrow(
      /read by the Clover route/,
    )
  })

  it('maps gift card payments: redemption with tip, void, refunds; other states give nothing', () => {
    const payment = cloverPaymentSchema.parse({
      ...ORDER.payments.elements[0],
      tipAmount: 101,
      result: 'VOIDED',
      modifiedTime: 1537971000000,
      refunds: { elements: [{ id: 'R1', amount: 200, createdTime: 1537971100000 }] },
    })
    const events = cloverPaymentEvents(payment, {
      merchantId: MERCHANT,
      cardRef: CARD,
      currency: 'USD',
    })
    expect(events.map((e) => [e.eventId, e.type, e.amountCents, e.occurredAt])).toEqual([
      ['JTRSCPE0DVZNG', 'redeem', -1200, '2018-09-26T14:09:17.000Z'],
      ['JTRSCPE0DVZNG:void', 'adjust_up', 1200, '2018-09-26T14:10:00.000Z'],
      ['refund:R1', 'refund', 200, '2018-09-26T14:11:40.000Z'],
    ])
    expect(events[0]).toMatchObject({
      source: 'clover',
      locationId: `clover:${MERCHANT}`,
      orderId: 'clover:order:GHIVJT2ABCRSC',
      terminalId: 'clover:device:d7d4c5e0-53c5-4b7e-8b1f-0d3f5c1a9b2e',
      employeeId: 'clover:employee:DFLTEMPLOYEE',
    })
    for (const result of ['PENDING', 'FAIL', 'INITIATED'])
      expect(
        cloverPaymentEvents(cloverPaymentSchema.parse({ ...ACTIVATION, result }), {
          merchantId: MERCHANT,
          cardRef: CARD,
          currency: 'USD',
        }),
      ).toEqual([])
  })

  it('matches a masked card number only when exactly one card has it', () => {
    const map = new CloverCardMap(CARDS)
    expect(map.resolve({ last4: '1234', first6: '603571' })).toEqual({ cardRef: CARD })
    expect(map.resolve({ last4: '1234', first6: null })).toEqual({ cardRef: CARD })
    expect(map.resolve({ last4: '7777', first6: '603571' })).toEqual({
      unresolved: '2 cards end 7777 and start 603571: Clover does not say which',
    })
    expect(map.resolve({ last4: '1234', first6: '999999' })).toMatchObject({
      unresolved: expect.stringMatching(/no card ending 1234/),
    })
    expect(map.resolve({ last4: null })).toMatchObject({ unresolved: expect.any(String) })
  })

  it('reports bad rows of the gift card file by line, and a missing column', () => {
    expect(() => parseCloverCards('card_id,last4\nc1,1234\nc2,12a4\nc1,5678\n,1111')).toThrow(
      /line 3: last4 must be the last 4 digits; line 4: card_id c1 appears twice; line 5: card_id/,
    )
    expect(() => parseCloverCards('card,last4\nc1,1234')).toThrow(
      /line 1: the header needs card_id/,
    )
  })
})

/** Collects what a logger writes, to check what was logged. */
function capture() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  return { logger: pino({ level: 'info' }, stream), lines }
}

type Answer = {
  status: string
  error?: string
  outcomes: { key: string; status: string; applied: number; reason?: string }[]
}
const answer = async (res: Response) => (await res.json()) as Answer

/** A notification for some updates of the test merchant. */
function notify(...updates: [string, 'CREATE' | 'UPDATE' | 'DELETE', number][]) {
  return JSON.stringify({
    appId: 'DRKVJT2ZRRRSC',
    merchants: { [MERCHANT]: updates.map(([objectId, type, ts]) => ({ objectId, type, ts })) },
  })
}

for (const dialect of DIALECTS) {
  describe(`the Clover webhook on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let clover: FakeClover
    let app: ReturnType<typeof cloverWebhookRoutes>
    let inbox: Inbox
    const log = capture()
    const post = (body: string, auth: string | null = AUTH) =>
      app.request('/webhooks/clover', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...(auth ? { 'x-clover-auth': auth } : {}) },
      })
    const restCalls = () => clover.requests.filter((r) => r.path.startsWith('/v3/')).length
    const balance = async (id: string) => (await getCard(database.db, id))?.balance_cents

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      clover = await startFakeClover({ [MERCHANT]: TOKEN })
      clover.orders.set(`${MERCHANT}/GHIVJT2ABCRSC`, ORDER)
      clover.payments.set(`${MERCHANT}/${ACTIVATION.id}`, ACTIVATION)
      clover.payments.set(`${MERCHANT}/JTRSCPE0DVZNG`, ORDER.payments.elements[0])
      const source = cloverSource({ authCode: AUTH, currency: 'USD' })
      inbox = new Inbox(database, [source])
      app = cloverWebhookRoutes({
        database,
        inbox,
        source,
        client: new CloverClient({
          baseUrl: clover.url,
          giftCardBaseUrl: clover.url,
          merchants: { [MERCHANT]: TOKEN },
          backoffMs: 1,
          maxAttempts: 3,
          sleep: async () => {},
        }),
        cards: new CloverCardMap(CARDS),
        logger: log.logger,
      })
    })
    afterAll(async () => {
      await clover.close()
      await cleanup()
    })

    it('answers the documented verification request with 200 and logs the code', async () => {
      const res = await post(VERIFICATION, null)
      expect(res.status).toBe(200)
      expect(
        log.lines.some((l) => l.verificationCode === 'ce7643c1-83ea-4218-abe6-da876c9c7a0a'),
      ).toBe(true)
      expect(clover.requests).toHaveLength(0)
      const rows = await database.db.selectFrom('webhook_inbox').selectAll().execute()
      expect(rows).toHaveLength(0)
    })

    it('refuses a notification without the Clover Auth Code, fetching nothing', async () => {
      expect((await post(NOTIFICATION, null)).status).toBe(401)
      expect((await post(NOTIFICATION, 'not-the-code')).status).toBe(401)
      expect(clover.requests).toHaveLength(0)
    })

    it('refuses a malformed notification naming the field', async () => {
      const res = await post(
        JSON.stringify({
          appId: 'A',
          merchants: { [MERCHANT]: [{ objectId: 'O:X', type: 'MAYBE', ts: 1 }] },
        }),
      )
      expect(res.status).toBe(400)
      expect((await answer(res)).error).toMatch(/merchants\.ZZ1PW2VCQJTKM\.0\.type/)
    })

    it('fetches the payment a notification names, with the merchant token, and applies it', async () => {
      const res = await post(notify([`P:${ACTIVATION.id}`, 'CREATE', 1537960001000]))
      expect(res.status).toBe(200)
      expect((await answer(res)).outcomes).toEqual([
        {
          key: `${MERCHANT}:P:${ACTIVATION.id}:CREATE:1537960001000`,
          status: 'processed',
          applied: 1,
        },
      ])
      const call = clover.requests.at(-1)
      expect(call?.path).toBe(`/v3/merchants/${MERCHANT}/payments/${ACTIVATION.id}`)
      expect(call?.authorization).toBe(`Bearer ${TOKEN}`)
      expect(await balance(CARD)).toBe(5000)
    })

    it("applies the documented order notification's gift card redemption once", async () => {
      const res = await post(NOTIFICATION)
      expect(res.status).toBe(200)
      expect((await answer(res)).outcomes[0]).toMatchObject({ status: 'processed', applied: 1 })
      expect(await balance(CARD)).toBe(3901)
      const rows = await listCardTransactions(database.db, CARD)
      expect(rows[0]).toMatchObject({
        event_id: 'JTRSCPE0DVZNG',
        type: 'redeem',
        amount_cents: -1099,
        location_id: `clover:${MERCHANT}`,
        order_id: 'clover:order:GHIVJT2ABCRSC',
        customer_id: 'clover:customer:7H9JKQ2RVD1WA',
      })
      const items = await database.db
        .selectFrom('order_items')
        .selectAll()
        .where('order_id', '=', 'clover:order:GHIVJT2ABCRSC')
        .execute()
      expect(items.map((i) => [i.sku, i.amount_cents])).toEqual([
        ['clover:item:GFNJ6SG6Y4QJA', 1000],
      ])

      // Clover delivers the same message again: a duplicate, not even fetched again.
      const before = restCalls()
      const again = await post(NOTIFICATION)
      expect((await answer(again)).outcomes[0]).toMatchObject({ status: 'duplicate', applied: 0 })
      expect(restCalls()).toBe(before)
      expect(await balance(CARD)).toBe(3901)
    })

    it('applies a payment once when its order and the payment itself are both notified', async () => {
      const res = await post(notify(['P:JTRSCPE0DVZNG', 'UPDATE', 1537970959000]))
      expect((await answer(res)).outcomes[0]).toMatchObject({ status: 'duplicate', applied: 0 })
      expect(await balance(CARD)).toBe(3901)
      expect(await listCardTransactions(database.db, CARD)).toHaveLength(2)
    })

    it('applies simultaneous identical deliveries once', async () => {
      const payment = {
        ...ACTIVATION,
        id: 'LOAD00000001',
        amount: 500,
        cardTransaction: { ...ACTIVATION.cardTransaction, type: 'RELOAD' },
      }
      clover.payments.set(`${MERCHANT}/${payment.id}`, payment)
      const body = notify([`P:${payment.id}`, 'CREATE', 1718153700000])
      const answers = await Promise.all([post(body), post(body), post(body)])
      const statuses = await Promise.all(
        answers.map(async (a) => (await answer(a)).outcomes[0]?.status),
      )
      expect(statuses.filter((s) => s === 'processed')).toHaveLength(1)
      expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(2)
      expect(await balance(CARD)).toBe(4401)
    })

    it('leaves a gift card payment it cannot match to one card unapplied, saying why', async () => {
      const ambiguous = {
        ...ACTIVATION,
        id: 'AMBIGUOUS0001',
        cardTransaction: { ...ACTIVATION.cardTransaction, last4: '7777' },
      }
      clover.payments.set(`${MERCHANT}/${ambiguous.id}`, ambiguous)
      const res = await post(notify([`P:${ambiguous.id}`, 'CREATE', 1718153800000]))
      expect(res.status).toBe(200)
      expect((await answer(res)).outcomes[0]).toMatchObject({
        status: 'ignored',
        reason: expect.stringMatching(/2 cards end 7777/),
      })
      expect(await getCard(database.db, 'gc-clover-a')).toBeUndefined()
      expect(await getCard(database.db, 'gc-clover-b')).toBeUndefined()
    })

    it('ignores payments by other cards, deletions, other objects and unknown merchants', async () => {
      const visa = {
        ...ACTIVATION,
        id: 'VISA000000001',
        cardTransaction: { cardType: 'VISA', type: 'AUTH', last4: '4242' },
      }
      clover.payments.set(`${MERCHANT}/${visa.id}`, visa)
      const res = await post(
        JSON.stringify({
          appId: 'DRKVJT2ZRRRSC',
          merchants: {
            [MERCHANT]: [
              { objectId: `P:${visa.id}`, type: 'CREATE', ts: 1 },
              { objectId: 'O:GHIVJT2ABCRSC', type: 'DELETE', ts: 2 },
              { objectId: 'I:ITEM1', type: 'UPDATE', ts: 3 },
              { objectId: 'P:GONE00000001', type: 'UPDATE', ts: 4 },
            ],
            OTHERMERCHANT1: [{ objectId: 'P:X', type: 'CREATE', ts: 5 }],
          },
        }),
      )
      expect(res.status).toBe(200)
      const outcomes = (await answer(res)).outcomes as { status: string; reason?: string }[]
      expect(outcomes.map((o) => [o.status, o.reason])).toEqual([
        ['ignored', 'no settled gift card payment in it'],
        ['ignored', 'a deleted object moves no money'],
        ['ignored', 'not an order or a payment'],
        ['ignored', 'Clover no longer has this object'],
        ['ignored', 'merchant OTHERMERCHANT1 is not in CLOVER_MERCHANTS'],
      ])
      expect(await balance(CARD)).toBe(4401)
    })

    it('retries a 429 from Clover, and answers 503 storing nothing when Clover stays down', async () => {
      const payment = {
        ...ACTIVATION,
        id: 'LOAD00000002',
        amount: 100,
        cardTransaction: { ...ACTIVATION.cardTransaction, type: 'LOAD' },
      }
      clover.payments.set(`${MERCHANT}/${payment.id}`, payment)
      clover.failNext = [500, 500, 500]
      const body = notify([`P:${payment.id}`, 'CREATE', 1718153900000])
      const down = await post(body)
      expect(down.status).toBe(503)
      expect((await answer(down)).outcomes[0]).toMatchObject({ status: 'retry' })
      const stored = await database.db
        .selectFrom('webhook_inbox')
        .select('id')
        .where('event_id', '=', `${MERCHANT}:P:${payment.id}:CREATE:1718153900000`)
        .execute()
      expect(stored).toHaveLength(0)
      expect(await balance(CARD)).toBe(4401)

      clover.failNext = [429]
      const up = await post(body)
      expect(up.status).toBe(200)
      expect((await answer(up)).outcomes[0]).toMatchObject({ status: 'processed', applied: 1 })
      expect(await balance(CARD)).toBe(4501)
    })

    it('replays a stored delivery left pending by a crash without calling Clover', async () => {
      const payment = {
        ...ACTIVATION,
        id: 'LOAD00000003',
        amount: 99,
        cardTransaction: { ...ACTIVATION.cardTransaction, type: 'LOAD' },
      }
      const update = {
        objectId: `P:${payment.id}`,
        type: 'CREATE',
        ts: 1718154000000,
        merchantId: MERCHANT,
      }
      const resolved = {
        kind: 'clover.resolved',
        update,
        fetchedAt: '2024-06-12T01:00:00.000Z',
        payment,
        order: null,
        cards: { [payment.id]: { cardRef: CARD } },
      }
      await database.db
        .insertInto('webhook_inbox')
        .values({
          source: 'clover',
          event_id: `${MERCHANT}:P:${payment.id}:CREATE:1718154000000`,
          event_type: 'payment.create',
          received_at: '2024-06-12T01:00:00.000Z',
          status: 'pending',
          raw_body: JSON.stringify(resolved),
        })
        .execute()
      const before = clover.requests.length
      expect(await inbox.replay()).toEqual({ processed: 1, failed: 0 })
      expect(clover.requests.length).toBe(before)
      expect(await balance(CARD)).toBe(4600)
    })
  })
}

describe('Clover through giftcards serve', () => {
  let database: Database
  let cleanup: () => Promise<void>
  let clover: FakeClover
  let server: RunningServer
  let dir: string

  beforeAll(async () => {
    const opened = await (DIALECTS[0] as (typeof DIALECTS)[number]).open()
    database = opened.database
    cleanup = opened.cleanup
    clover = await startFakeClover({ [MERCHANT]: TOKEN })
    clover.orders.set(`${MERCHANT}/GHIVJT2ABCRSC`, ORDER)
    clover.payments.set(`${MERCHANT}/${ACTIVATION.id}`, ACTIVATION)
    dir = mkdtempSync(join(tmpdir(), 'clover-cards-'))
    writeFileSync(join(dir, 'cards.csv'), `card_id,last4,first6\n${CARD},1234,603571\n`)
    const config = loadConfig({
      CLOVER_WEBHOOK_AUTH_CODE: AUTH,
      CLOVER_MERCHANTS: `${MERCHANT}=${TOKEN}`,
      CLOVER_BASE_URL: clover.url,
      CLOVER_GIFT_CARD_BASE_URL: clover.url,
      CLOVER_GIFT_CARDS_FILE: join(dir, 'cards.csv'),
    })
    server = await startServer(
      { database, config, listeners: [], logger: capture().logger },
      { port: 0, host: '127.0.0.1' },
    )
  })
  afterAll(async () => {
    await server.close()
    await clover.close()
    await cleanup()
    rmSync(dir, { recursive: true, force: true })
  })

  const post = (body: string, headers: Record<string, string> = { 'x-clover-auth': AUTH }) =>
    fetch(`${server.url}/webhooks/clover`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    })

  it('lists clover among the webhooks and applies the documented notifications', async () => {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { webhooks: string[] }
    expect(health.webhooks).toContain('clover')
    expect((await post(VERIFICATION, {})).status).toBe(200)
    expect((await post(NOTIFICATION, {})).status).toBe(401)
    expect((await post(notify([`P:${ACTIVATION.id}`, 'CREATE', 1537960001000]))).status).toBe(200)
    expect((await post(NOTIFICATION)).status).toBe(200)
    expect((await getCard(database.db, CARD))?.balance_cents).toBe(3901)
  })

  it('refuses a resolved delivery posted from outside: only Clover notifications are read', async () => {
    const forged = JSON.stringify({
      kind: 'clover.resolved',
      update: { objectId: 'P:FORGED', type: 'CREATE', ts: 9, merchantId: MERCHANT },
      fetchedAt: '2024-01-01T00:00:00.000Z',
      payment: { ...ACTIVATION, id: 'FORGED', amount: 99999 },
      order: null,
      cards: { FORGED: { cardRef: CARD } },
    })
    expect((await post(forged)).status).toBe(400)
    expect((await getCard(database.db, CARD))?.balance_cents).toBe(3901)
  })
})
