import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../app/index.ts'
import { configuredSources } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import { type Database, getCard, listCardTransactions } from '../../db/index.ts'
import {
  type AppliedEvent,
  FAILED_DELIVERY_MESSAGE,
  hmac,
  Inbox,
  signGeneric,
} from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'
import { SECRETS, startTestServer } from '../helpers/server.ts'

const SAMPLE = readFileSync(
  join(import.meta.dirname, '../fixtures/square/gift_card.activity.created.activate.json'),
  'utf8',
)

/** A Square webhook body for one activity on one card. */
function squareActivity(
  eventId: string,
  activity: Record<string, unknown>,
  type = 'gift_card.activity.created',
  reportedAt?: string,
) {
  return JSON.stringify({
    merchant_id: 'MLTEST',
    type,
    event_id: eventId,
    created_at: reportedAt ?? activity.created_at ?? '2025-06-01T12:00:00Z',
    data: { type: 'gift_card.activity', id: activity.id, object: { gift_card_activity: activity } },
  })
}

function genericBody(
  eventId: string,
  data: Record<string, unknown>,
  createdAt = '2025-06-01T12:00:00Z',
) {
  return JSON.stringify({
    event_id: eventId,
    event_type: 'gift_card.transaction.created',
    created_at: createdAt,
    data,
  })
}

for (const dialect of DIALECTS) {
  describe(`webhooks on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let server: RunningServer
    const heard: AppliedEvent[] = []

    const post = (path: string, body: string, headers: Record<string, string>) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      })
    const square = (body: string, key = SECRETS.squareKey, url = SECRETS.squareUrl) =>
      post('/webhooks/square', body, {
        'x-square-hmacsha256-signature': hmac(key, url + body, 'base64'),
      })
    const generic = (body: string, t?: number) =>
      post('/webhooks/generic', body, {
        'x-giftcards-signature': signGeneric(SECRETS.generic, body, t),
      })
    const shopify = (topic: string, body: string, webhookId: string) =>
      post('/webhooks/shopify', body, {
        'x-shopify-hmac-sha256': hmac(SECRETS.shopify, body, 'base64'),
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': webhookId,
      })
    const balance = async (id: string) => (await getCard(database.db, id))?.balance_cents

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      server = await startTestServer(database, [{ onEvent: (e) => void heard.push(e) }])
    })
    afterAll(async () => {
      await server.close()
      await cleanup()
    })

    it('answers /healthz', async () => {
      const res = await fetch(`${server.url}/healthz`)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({
        status: 'ok',
        engine: dialect.name,
        webhooks: ['square', 'shopify', 'generic'],
        // One instance: SQLite elects nothing; on PostgreSQL the only instance leads.
        instance: { role: dialect.name === 'sqlite' ? 'single' : 'leader', instances: 1 },
      })
    })

    it("applies Square's documented sample payload once", async () => {
      const res = await square(SAMPLE)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ status: 'processed', applied: 1 })
      const card = await getCard(database.db, 'gftc:00113070ba5745f0b2377c1b9570cb03')
      expect(card).toMatchObject({
        balance_cents: 1000,
        initial_value_cents: 1000,
        status: 'active',
        issuing_location_id: '81FN9BNFZTKS4',
        source: 'square',
      })
      const again = await square(SAMPLE)
      expect(await again.json()).toMatchObject({ status: 'duplicate', applied: 0 })
      expect(
        await listCardTransactions(database.db, 'gftc:00113070ba5745f0b2377c1b9570cb03'),
      ).toHaveLength(1)
      expect(
        heard.filter((e) => e.eventId === 'gcact_c8f8cbf1f24b448d8ecf39ed03f97864'),
      ).toHaveLength(1)
    })

    it('refuses a tampered body, a wrong URL or key, and no signature with 401, changing nothing', async () => {
      const body = squareActivity('evt-tamper', {
        id: 'gcact-t1',
        type: 'LOAD',
        gift_card_id: 'gftc:tamper',
        created_at: '2025-06-01T10:00:00Z',
        gift_card_balance_money: { amount: 5000, currency: 'USD' },
        load_activity_details: { amount_money: { amount: 5000, currency: 'USD' } },
      })
      const signature = hmac(SECRETS.squareKey, SECRETS.squareUrl + body, 'base64')
      const tampered = await post('/webhooks/square', body.replace('5000', '9000'), {
        'x-square-hmacsha256-signature': signature,
      })
      expect(tampered.status).toBe(401)
      expect(
        (await square(body, SECRETS.squareKey, 'https://other.example.com/webhooks/square')).status,
      ).toBe(401)
      expect((await square(body, 'wrong-key')).status).toBe(401)
      expect((await post('/webhooks/square', body, {})).status).toBe(401)
      expect(await getCard(database.db, 'gftc:tamper')).toBeUndefined()
      expect(
        await database.db
          .selectFrom('webhook_inbox')
          .selectAll()
          .where('event_id', '=', 'evt-tamper')
          .execute(),
      ).toEqual([])
    })

    it('answers malformed JSON and schema violations with 400 naming the field, unknown types with 202', async () => {
      const bad = await square('{"type": "gift_card.activity.created", ')
      expect(bad.status).toBe(400)
      expect(await bad.json()).toEqual({ error: 'body is not valid JSON' })
      const missing = await square(
        squareActivity('evt-missing', {
          id: 'gcact-m',
          type: 'LOAD',
          created_at: '2025-06-01T10:00:00Z',
        }),
      )
      expect(missing.status).toBe(400)
      expect(((await missing.json()) as { error: string }).error).toMatch(
        /^data\.object\.gift_card_activity\.gift_card_id: /,
      )
      const wrongAmount = await generic(
        genericBody('gen-bad', {
          gift_card_id: 'gc-x',
          transaction_type: 'load',
          amount: '1.234',
          currency: 'USD',
        }),
      )
      expect(wrongAmount.status).toBe(400)
      expect(((await wrongAmount.json()) as { error: string }).error).toMatch(
        /^data\.amount: amount must be a number with at most two decimals/,
      )
      const unknown = await square(
        JSON.stringify({
          type: 'payment.created',
          event_id: 'evt-pay',
          created_at: '2025-06-01T10:00:00Z',
          data: { object: {} },
        }),
      )
      expect(unknown.status).toBe(202)
      expect(await unknown.json()).toMatchObject({ status: 'ignored' })
      expect(await getCard(database.db, 'gc-x')).toBeUndefined()
    })

    it('refuses a body over 1 MiB with 413, with or without a declared length, storing nothing', async () => {
      const inboxRows = async () =>
        Number(
          (
            await database.db
              .selectFrom('webhook_inbox')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      const before = await inboxRows()
      const big = genericBody('gen-big', {
        gift_card_id: 'gc-big',
        transaction_type: 'load',
        amount: '1.00',
        currency: 'USD',
        padding: 'x'.repeat(1024 * 1024),
      })
      const declared = await generic(big)
      expect(declared.status).toBe(413)
      expect(await declared.json()).toEqual({ error: 'body too large (over 1048576 bytes)' })
      // Sent in chunks without a length: reading stops at the limit.
      const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${server.url}/webhooks/generic`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-giftcards-signature': signGeneric(SECRETS.generic, big),
          },
        })
        req.on('response', (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            body += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        })
        // The server may close the connection before the rest is sent.
        req.on('error', (err) => reject(err))
        req.write(big.slice(0, 600_000))
        req.write(big.slice(600_000))
        req.end()
      })
      expect(chunked.status).toBe(413)
      expect(JSON.parse(chunked.body)).toEqual({ error: 'body too large (over 1048576 bytes)' })
      expect(await inboxRows()).toBe(before)
      expect(await getCard(database.db, 'gc-big')).toBeUndefined()
    })

    it('maps every Square activity type onto the ledger', async () => {
      const card = 'gftc:every-type'
      const steps: [string, Record<string, unknown>, number][] = [
        [
          'ACTIVATE',
          {
            activate_activity_details: {
              amount_money: { amount: 10000, currency: 'USD' },
              order_id: 'o1',
            },
          },
          10000,
        ],
        [
          'LOAD',
          { load_activity_details: { amount_money: { amount: 2500, currency: 'USD' } } },
          12500,
        ],
        [
          'REDEEM',
          {
            redeem_activity_details: {
              amount_money: { amount: 3000, currency: 'USD' },
              status: 'COMPLETED',
            },
          },
          9500,
        ],
        [
          'REFUND',
          { refund_activity_details: { amount_money: { amount: 1000, currency: 'USD' } } },
          10500,
        ],
        [
          'UNLINKED_ACTIVITY_REFUND',
          {
            unlinked_activity_refund_activity_details: {
              amount_money: { amount: 500, currency: 'USD' },
            },
          },
          11000,
        ],
        [
          'ADJUST_INCREMENT',
          {
            adjust_increment_activity_details: {
              amount_money: { amount: 200, currency: 'USD' },
              reason: 'COMPLIMENTARY',
            },
          },
          11200,
        ],
        [
          'ADJUST_DECREMENT',
          {
            adjust_decrement_activity_details: {
              amount_money: { amount: 1200, currency: 'USD' },
              reason: 'SUPPORT_ISSUE',
            },
          },
          10000,
        ],
        [
          'TRANSFER_BALANCE_TO',
          {
            transfer_balance_to_activity_details: {
              amount_money: { amount: 1000, currency: 'USD' },
            },
          },
          11000,
        ],
        [
          'TRANSFER_BALANCE_FROM',
          {
            transfer_balance_from_activity_details: {
              amount_money: { amount: 2000, currency: 'USD' },
            },
          },
          9000,
        ],
        [
          'IMPORT',
          { import_activity_details: { amount_money: { amount: 1000, currency: 'USD' } } },
          10000,
        ],
        [
          'IMPORT_REVERSAL',
          { import_reversal_activity_details: { amount_money: { amount: 1000, currency: 'USD' } } },
          9000,
        ],
        ['BLOCK', { block_activity_details: { reason: 'CHARGEBACK_BLOCK' } }, 9000],
        ['UNBLOCK', { unblock_activity_details: { reason: 'CHARGEBACK_UNBLOCK' } }, 9000],
        ['CLEAR_BALANCE', { clear_balance_activity_details: { reason: 'SUSPICIOUS_ACTIVITY' } }, 0],
        ['DEACTIVATE', { deactivate_activity_details: { reason: 'SUSPICIOUS_ACTIVITY' } }, 0],
      ]
      let minute = 0
      for (const [type, details, after] of steps) {
        minute++
        const res = await square(
          squareActivity(`evt-type-${type}`, {
            id: `gcact-type-${type}`,
            type,
            gift_card_id: card,
            location_id: 'LOC1',
            created_at: `2025-06-02T10:${String(minute).padStart(2, '0')}:00Z`,
            gift_card_balance_money: { amount: after, currency: 'USD' },
            ...details,
          }),
        )
        expect(res.status, type).toBe(200)
        expect(await balance(card), type).toBe(after)
        if (type === 'BLOCK') expect((await getCard(database.db, card))?.status).toBe('held')
        if (type === 'UNBLOCK') expect((await getCard(database.db, card))?.status).toBe('active')
      }
      const txs = await listCardTransactions(database.db, card)
      expect(txs.map((t) => t.type).reverse()).toEqual([
        'activate',
        'load',
        'redeem',
        'refund',
        'refund',
        'adjust_up',
        'adjust_down',
        'adjust_up',
        'adjust_down',
        'activate',
        'adjust_down',
        'block',
        'unblock',
        'clear',
        'deactivate',
      ])
      // Every balance is the sum of its transactions, clearing included.
      expect(txs.reduce((sum, t) => sum + t.amount_cents, 0)).toBe(0)
      expect(txs.find((t) => t.type === 'clear')?.amount_cents).toBe(-9000)
      expect((await getCard(database.db, card))?.status).toBe('deactivated')
    })

    it('reverses a REDEEM that Square later reports CANCELED', async () => {
      const card = 'gftc:canceled'
      await square(
        squareActivity('evt-c1', {
          id: 'gcact-c1',
          type: 'ACTIVATE',
          gift_card_id: card,
          created_at: '2025-06-03T10:00:00Z',
          gift_card_balance_money: { amount: 5000, currency: 'USD' },
          activate_activity_details: { amount_money: { amount: 5000, currency: 'USD' } },
        }),
      )
      const redeem = {
        id: 'gcact-c2',
        type: 'REDEEM',
        gift_card_id: card,
        created_at: '2025-06-03T11:00:00Z',
        gift_card_balance_money: { amount: 3000, currency: 'USD' },
        redeem_activity_details: {
          amount_money: { amount: 2000, currency: 'USD' },
          status: 'PENDING',
        },
      }
      await square(squareActivity('evt-c2', redeem))
      expect(await balance(card)).toBe(3000)
      const canceled = await square(
        squareActivity(
          'evt-c3',
          {
            ...redeem,
            gift_card_balance_money: { amount: 5000, currency: 'USD' },
            redeem_activity_details: {
              amount_money: { amount: 2000, currency: 'USD' },
              status: 'CANCELED',
            },
          },
          'gift_card.activity.updated',
          '2025-06-03T11:30:00Z',
        ),
      )
      expect(await canceled.json()).toMatchObject({ status: 'processed', applied: 1 })
      expect(await balance(card)).toBe(5000)
      const txs = await listCardTransactions(database.db, card)
      expect(txs.map((t) => [t.event_id, t.amount_cents])).toContainEqual([
        'gcact-c2:canceled',
        2000,
      ])
    })

    it('links and unlinks customers, and takes card state from gift_card.updated', async () => {
      const giftCard = {
        id: 'gftc:canceled',
        state: 'ACTIVE',
        gan: '7783320001234567',
        customer_ids: [] as string[],
      }
      const envelope = (type: string, eventId: string, object: Record<string, unknown>) =>
        JSON.stringify({
          type,
          event_id: eventId,
          created_at: '2025-06-04T10:00:00Z',
          data: { type: 'gift_card', id: giftCard.id, object },
        })
      await square(
        envelope('gift_card.customer_linked', 'evt-l1', {
          linked_customer_id: 'CUST1',
          gift_card: { ...giftCard, customer_ids: ['CUST1'] },
        }),
      )
      expect(await getCard(database.db, giftCard.id)).toMatchObject({
        holder_customer_id: 'CUST1',
        gan_last4: '4567',
      })
      const customer = await database.db
        .selectFrom('customers')
        .selectAll()
        .where('id', '=', 'CUST1')
        .executeTakeFirst()
      expect(customer).toMatchObject({ name: null, email: null, phone: null })
      expect(customer?.pseudonym).toMatch(/^cust_[0-9a-f]{16}$/)
      await square(
        envelope('gift_card.customer_unlinked', 'evt-l2', {
          unlinked_customer_id: 'CUST1',
          gift_card: giftCard,
        }),
      )
      expect((await getCard(database.db, giftCard.id))?.holder_customer_id).toBeNull()
      await square(
        envelope('gift_card.updated', 'evt-l3', {
          gift_card: { ...giftCard, state: 'DEACTIVATED' },
        }),
      )
      expect((await getCard(database.db, giftCard.id))?.status).toBe('deactivated')
    })

    it('reads a Shopify debit and credit a card hold made (its key in the note) as adjustments', async () => {
      const card = {
        id: 77002,
        balance: '30.00',
        initial_value: '30.00',
        currency: 'USD',
        last_characters: 'h0ld',
        created_at: '2025-06-05T10:00:00Z',
        updated_at: '2025-06-05T10:00:00Z',
      }
      expect((await shopify('gift_cards/create', JSON.stringify(card), 'wh-h1')).status).toBe(200)
      const tx = (id: number, kind: string, amount: string, note: string | null) =>
        JSON.stringify({
          id,
          gift_card_id: 77002,
          kind,
          amount,
          currency: 'USD',
          processed_at: `2025-06-05T1${id % 10}:00:00Z`,
          note,
        })
      for (const [n, body] of [
        [1, tx(9101, 'debit', '30.00', 'giftcards hold-approval-41: card hold (issue 23)')],
        [2, tx(9102, 'credit', '30.00', 'giftcards release-approval-44: card hold (issue 23)')],
        [3, tx(9103, 'debit', '4.00', 'birthday lunch')],
      ] as const)
        expect((await shopify('gift_card_transactions/create', body, `wh-h${n + 1}`)).status).toBe(
          200,
        )
      const types = (await listCardTransactions(database.db, 'shopify:77002')).map((t) => [
        t.event_id,
        t.type,
      ])
      expect(types).toEqual(
        expect.arrayContaining([
          ['tx:9101', 'adjust_down'],
          ['tx:9102', 'adjust_up'],
          ['tx:9103', 'redeem'],
        ]),
      )
    })

    it('takes Shopify gift cards and their credit / debit transactions', async () => {
      const card = {
        id: 77001,
        balance: '50.00',
        initial_value: '50.00',
        currency: 'USD',
        last_characters: 'x9k2',
        customer_id: 501,
        created_at: '2025-06-05T10:00:00Z',
        updated_at: '2025-06-05T10:00:00Z',
        disabled_at: null,
        expires_on: null,
      }
      expect((await shopify('gift_cards/create', JSON.stringify(card), 'wh-1')).status).toBe(200)
      expect(await getCard(database.db, 'shopify:77001')).toMatchObject({
        balance_cents: 5000,
        gan_last4: 'x9k2',
        holder_customer_id: 'shopify:501',
      })
      const tx = (id: number, kind: string, amount: string, at: string) =>
        JSON.stringify({ id, gift_card_id: 77001, kind, amount, currency: 'USD', processed_at: at })
      expect(
        (
          await shopify(
            'gift_card_transactions/create',
            tx(1, 'debit', '12.50', '2025-06-05T11:00:00Z'),
            'wh-2',
          )
        ).status,
      ).toBe(200)
      expect(
        (
          await shopify(
            'gift_card_transactions/create',
            tx(2, 'credit', '5.00', '2025-06-05T12:00:00Z'),
            'wh-3',
          )
        ).status,
      ).toBe(200)
      expect(await balance('shopify:77001')).toBe(4250)
      const update = {
        ...card,
        balance: '42.50',
        updated_at: '2025-06-06T10:00:00Z',
        disabled_at: '2025-06-06T10:00:00Z',
      }
      expect((await shopify('gift_cards/update', JSON.stringify(update), 'wh-4')).status).toBe(200)
      expect(await getCard(database.db, 'shopify:77001')).toMatchObject({
        status: 'deactivated',
        balance_cents: 4250,
      })
      const ignored = await shopify('orders/create', '{"id": 1}', 'wh-5')
      expect(ignored.status).toBe(202)
      const unsigned = await post('/webhooks/shopify', JSON.stringify(card), {
        'x-shopify-topic': 'gift_cards/create',
        'x-shopify-hmac-sha256': 'nope',
      })
      expect(unsigned.status).toBe(401)
    })

    it('takes generic deliveries in major units with items, and refuses a stale signature', async () => {
      const body = genericBody('gen-1', {
        gift_card_id: 'gc-gen',
        location_id: 'store-9',
        transaction_type: 'activate',
        amount: '25.00',
        currency: 'USD',
        remaining_balance: 25,
        order_id: 'ord-g1',
        customer_id: 'pos-cust-1',
        items: [{ sku: 'GC-25', category: 'gift_cards', amount: 25 }],
      })
      expect((await generic(body, Math.floor(Date.now() / 1000) - 301)).status).toBe(401)
      const res = await generic(body)
      expect(await res.json()).toMatchObject({ status: 'processed' })
      expect(await getCard(database.db, 'gc-gen')).toMatchObject({
        balance_cents: 2500,
        issuing_location_id: 'store-9',
        purchaser_customer_id: 'pos-cust-1',
      })
      const items = await database.db
        .selectFrom('order_items')
        .selectAll()
        .where('order_id', '=', 'ord-g1')
        .execute()
      expect(items.map((i) => [i.sku, i.category, i.amount_cents])).toEqual([
        ['GC-25', 'gift_cards', 2500],
      ])
      const location = await database.db
        .selectFrom('locations')
        .selectAll()
        .where('id', '=', 'store-9')
        .executeTakeFirst()
      expect(location).toMatchObject({ jurisdiction: 'unknown', latitude: null })
    })

    it('ends at the right balance when deliveries arrive out of order, and never moves last activity back', async () => {
      const events = [
        genericBody(
          'ooo-1',
          {
            gift_card_id: 'gc-ooo',
            transaction_type: 'activate',
            amount: 100,
            currency: 'USD',
            remaining_balance: 100,
          },
          '2025-07-01T10:00:00Z',
        ),
        genericBody(
          'ooo-2',
          {
            gift_card_id: 'gc-ooo',
            transaction_type: 'redeem',
            amount: 30,
            currency: 'USD',
            remaining_balance: 70,
          },
          '2025-07-02T10:00:00Z',
        ),
        genericBody(
          'ooo-3',
          {
            gift_card_id: 'gc-ooo',
            transaction_type: 'load',
            amount: 50,
            currency: 'USD',
            remaining_balance: 120,
          },
          '2025-07-03T10:00:00Z',
        ),
        genericBody(
          'ooo-4',
          {
            gift_card_id: 'gc-ooo',
            transaction_type: 'balance_check',
            amount: 0,
            currency: 'USD',
            remaining_balance: 120,
          },
          '2025-07-04T10:00:00Z',
        ),
      ]
      for (const body of [events[2], events[0], events[3], events[1]])
        expect((await generic(body as string)).status).toBe(200)
      const card = await getCard(database.db, 'gc-ooo')
      expect(card).toMatchObject({
        balance_cents: 12000,
        initial_value_cents: 10000,
        last_activity_at: '2025-07-03T10:00:00.000Z',
        issued_at: '2025-07-01T10:00:00.000Z',
      })
      const txs = await listCardTransactions(database.db, 'gc-ooo')
      expect(txs.reduce((sum, t) => sum + t.amount_cents, 0)).toBe(12000)
    })

    it('keeps a delivery that cannot apply as failed, and a replay applies it once the gap is filled', async () => {
      const redeem = genericBody(
        'gap-2',
        { gift_card_id: 'gc-gap', transaction_type: 'redeem', amount: 10, currency: 'USD' },
        '2025-08-01T11:00:00Z',
      )
      const res = await generic(redeem)
      expect(res.status).toBe(500)
      // The sender learns that it failed and the request's id; why is in the log and the inbox.
      const answer = (await res.json()) as { error: string; requestId: string }
      expect(answer).toEqual({
        status: 'failed',
        eventId: 'gap-2',
        applied: 0,
        error: FAILED_DELIVERY_MESSAGE,
        requestId: res.headers.get('x-request-id'),
      })
      expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/)
      const row = await database.db
        .selectFrom('webhook_inbox')
        .selectAll()
        .where('event_id', '=', 'gap-2')
        .executeTakeFirstOrThrow()
      expect(row).toMatchObject({ status: 'failed', attempts: 1 })
      expect(row.error).toMatch(/below zero/)
      expect(await balance('gc-gap')).toBeUndefined()
      await generic(
        genericBody(
          'gap-1',
          { gift_card_id: 'gc-gap', transaction_type: 'activate', amount: 50, currency: 'USD' },
          '2025-08-01T10:00:00Z',
        ),
      )
      const inbox = new Inbox(database, configuredSources(testConfig()))
      expect(await inbox.replay()).toEqual({ processed: 0, failed: 0 })
      expect(await inbox.replay({ includeFailed: true })).toEqual({ processed: 1, failed: 0 })
      expect(await balance('gc-gap')).toBe(4000)
      expect(await inbox.replay({ includeFailed: true })).toEqual({ processed: 0, failed: 0 })
    })

    it('applies pending deliveries a crash left behind when the server starts', async () => {
      const body = genericBody('crash-1', {
        gift_card_id: 'gc-crash',
        transaction_type: 'activate',
        amount: 15,
        currency: 'USD',
      })
      await database.db
        .insertInto('webhook_inbox')
        .values({
          source: 'generic',
          event_id: 'crash-1',
          event_type: 'gift_card.transaction.created',
          received_at: new Date().toISOString(),
          status: 'pending',
          raw_body: body,
          processed_at: null,
        })
        .execute()
      const second = await startTestServer(database)
      await second.close()
      expect(await balance('gc-crash')).toBe(1500)
      const row = await database.db
        .selectFrom('webhook_inbox')
        .select('status')
        .where('event_id', '=', 'crash-1')
        .executeTakeFirstOrThrow()
      expect(row.status).toBe('processed')
    })

    it('ends 1,000 concurrent deliveries with duplicates at exact balances', async () => {
      const cards = 25
      const bodies: string[] = []
      for (let c = 0; c < cards; c++) {
        bodies.push(
          genericBody(
            `conc-${c}-0`,
            {
              gift_card_id: `gc-conc-${c}`,
              transaction_type: 'activate',
              amount: 500,
              currency: 'USD',
            },
            '2025-09-01T10:00:00Z',
          ),
        )
        for (let k = 1; k < 20; k++) {
          bodies.push(
            genericBody(
              `conc-${c}-${k}`,
              {
                gift_card_id: `gc-conc-${c}`,
                transaction_type: 'load',
                amount: 1,
                currency: 'USD',
              },
              `2025-09-01T10:${String(k).padStart(2, '0')}:00Z`,
            ),
          )
        }
      }
      // Every delivery twice, shuffled, 50 in flight at a time.
      const deliveries = [...bodies, ...bodies]
        .map((b, i) => ({ b, k: (i * 7919) % 1000 }))
        .sort((x, y) => x.k - y.k)
        .map((x) => x.b)
      expect(deliveries).toHaveLength(1000)
      const statuses: number[] = []
      for (let i = 0; i < deliveries.length; i += 50) {
        const wave = await Promise.all(deliveries.slice(i, i + 50).map((b) => generic(b)))
        statuses.push(...wave.map((r) => r.status))
      }
      expect(statuses.every((s) => s === 200)).toBe(true)
      for (let c = 0; c < cards; c++) {
        expect(await balance(`gc-conc-${c}`)).toBe(51900)
        expect(await listCardTransactions(database.db, `gc-conc-${c}`)).toHaveLength(20)
      }
    }, 120_000)
  })
}

function testConfig() {
  return loadConfig({
    SQUARE_WEBHOOK_SIGNATURE_KEY: SECRETS.squareKey,
    SQUARE_WEBHOOK_URL: SECRETS.squareUrl,
    SHOPIFY_WEBHOOK_SECRET: SECRETS.shopify,
    GENERIC_WEBHOOK_SECRET: SECRETS.generic,
  })
}
