import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../app/index.ts'
import { isGiftCardError, loadConfig } from '../../core/index.ts'
import { type Database, getCard, ledgerWatermark } from '../../db/index.ts'
import {
  applyBatch,
  cloverPaymentSchema,
  hmac,
  importFile,
  lightspeedTime,
  rSeriesSalePaymentSchema,
  signGeneric,
  syncSquare,
} from '../../ingest/index.ts'
import { startFakeSquare } from '../fakes/square-api.ts'
import { DIALECTS } from '../helpers/dialects.ts'
import { SECRETS } from '../helpers/server.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-bad-input-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A day and a bit from now, and twelve hours from now (still accepted: clocks drift). */
const TOO_FAR = new Date(Date.now() + 25 * 3600_000).toISOString()
const SOON = new Date(Date.now() + 12 * 3600_000).toISOString()
const SQUARE_PATH = 'data.object.gift_card_activity'

function genericBody(eventId: string, data: Record<string, unknown>, at = '2025-06-01T12:00:00Z') {
  return JSON.stringify({
    event_id: eventId,
    event_type: 'gift_card.transaction.created',
    created_at: at,
    data: { currency: 'USD', ...data },
  })
}

/** A Square activity on one card, its details amount as given (a number, or not). */
function squareActivity(id: string, type: string, amount: unknown, extra: object = {}) {
  return {
    id,
    type,
    gift_card_id: 'gftc:bad',
    location_id: 'LSQ1',
    created_at: '2025-06-01T12:00:00Z',
    [`${type.toLowerCase()}_activity_details`]: { amount_money: { amount, currency: 'USD' } },
    ...extra,
  }
}

function squareBody(activity: Record<string, unknown>) {
  return JSON.stringify({
    merchant_id: 'MLTEST',
    type: 'gift_card.activity.created',
    event_id: `evt-${activity.id}`,
    created_at: '2025-06-01T12:00:00Z',
    data: { type: 'gift_card.activity', id: activity.id, object: { gift_card_activity: activity } },
  })
}

describe('the Lightspeed and Clover schemas refuse a time more than a day ahead', () => {
  const issue = (parsed: {
    success: boolean
    error?: { issues: { path: PropertyKey[]; message: string }[] }
  }) =>
    parsed.success
      ? 'accepted'
      : `${parsed.error?.issues[0]?.path.join('.')}: ${parsed.error?.issues[0]?.message}`
  it('Lightspeed X-Series, R-Series and Clover', () => {
    expect(issue(lightspeedTime.safeParse('9999-12-31T00:00:00+00:00'))).toBe(
      ': is more than a day in the future',
    )
    expect(issue(lightspeedTime.safeParse(SOON))).toBe('accepted')
    const payment = { salePaymentID: '1', amount: '5.00', createTime: '2025-06-01T12:00:00+00:00' }
    expect(issue(rSeriesSalePaymentSchema.safeParse(payment))).toBe('accepted')
    expect(issue(rSeriesSalePaymentSchema.safeParse({ ...payment, createTime: TOO_FAR }))).toBe(
      'createTime: is more than a day in the future',
    )
    const clover = { id: 'P1', amount: 500, createdTime: Date.UTC(2025, 5, 1) }
    expect(issue(cloverPaymentSchema.safeParse(clover))).toBe('accepted')
    expect(
      issue(cloverPaymentSchema.safeParse({ ...clover, createdTime: Date.parse(TOO_FAR) })),
    ).toBe('createdTime: is more than a day in the future')
  })
})

for (const dialect of DIALECTS) {
  describe(`bad input is refused at the door, on ${dialect.name} (issue 17, item 7)`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let server: RunningServer
    let roomy: RunningServer

    const post = (at: RunningServer, path: string, body: string, headers: Record<string, string>) =>
      fetch(`${at.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      })
    const generic = async (body: string, at = server) => {
      const res = await post(at, '/webhooks/generic', body, {
        'x-giftcards-signature': signGeneric(SECRETS.generic, body),
      })
      return { status: res.status, body: (await res.json()) as { error?: string; status?: string } }
    }
    const square = async (body: string) => {
      const res = await post(server, '/webhooks/square', body, {
        'x-square-hmacsha256-signature': hmac(
          SECRETS.squareKey,
          SECRETS.squareUrl + body,
          'base64',
        ),
      })
      return { status: res.status, body: (await res.json()) as { error?: string } }
    }
    const shopify = async (topic: string, body: string) => {
      const res = await post(server, '/webhooks/shopify', body, {
        'x-shopify-hmac-sha256': hmac(SECRETS.shopify, body, 'base64'),
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': `wh-${topic}-${body.length}`,
      })
      return { status: res.status, body: (await res.json()) as { error?: string } }
    }
    const inboxRows = async () =>
      Number(
        (
          await database.db
            .selectFrom('webhook_inbox')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    const balance = async (card: string) => (await getCard(database.db, card))?.balance_cents

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      const env = {
        SQUARE_WEBHOOK_SIGNATURE_KEY: SECRETS.squareKey,
        SQUARE_WEBHOOK_URL: SECRETS.squareUrl,
        SHOPIFY_WEBHOOK_SECRET: SECRETS.shopify,
        GENERIC_WEBHOOK_SECRET: SECRETS.generic,
      }
      const listen = { port: 0, host: '127.0.0.1' }
      server = await startServer({ database, config: loadConfig(env), listeners: [] }, listen)
      // The same ledger behind a server configured for larger amounts (MAX_EVENT_CENTS).
      roomy = await startServer(
        {
          database,
          config: loadConfig({ ...env, MAX_EVENT_CENTS: '500000000' }),
          listeners: [],
        },
        listen,
      )
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await roomy?.close()
      await cleanup?.()
    })

    it('a Square amount that is a string, an array, a fraction or negative gets 400 naming the field', async () => {
      const activate = await square(
        squareBody(
          squareActivity('sq-ok', 'ACTIVATE', 5000, {
            gift_card_balance_money: { amount: 5000, currency: 'USD' },
          }),
        ),
      )
      expect(activate.status).toBe(200)
      const before = await inboxRows()
      const field = `${SQUARE_PATH}.redeem_activity_details.amount_money.amount`
      const cases: [unknown, string][] = [
        ['100', `${field}: Invalid input: expected number, received string`],
        [[1], `${field}: Invalid input: expected number, received array`],
        [12.5, `${field}: Invalid input: expected int, received number`],
        [-100, `${field}: must not be negative (the activity type gives the sign)`],
      ]
      for (const [i, [amount, error]] of cases.entries()) {
        const res = await square(squareBody(squareActivity(`sq-bad-${i}`, 'REDEEM', amount)))
        expect(res, JSON.stringify(amount)).toEqual({ status: 400, body: { error } })
      }
      const balanceMoney = await square(
        squareBody(
          squareActivity('sq-bad-b', 'LOAD', 100, {
            gift_card_balance_money: { amount: '5100', currency: 'USD' },
          }),
        ),
      )
      expect(balanceMoney.body.error).toBe(
        `${SQUARE_PATH}.gift_card_balance_money.amount: Invalid input: expected number, received string`,
      )
      expect(await inboxRows()).toBe(before)
      expect(await balance('gftc:bad')).toBe(5000)
    })

    it('rejects such an activity in a Square export by its line', async () => {
      const path = join(dir, `square-${dialect.name}.jsonl`)
      writeFileSync(
        path,
        [
          JSON.stringify(squareActivity('sq-imp-1', 'LOAD', 100)),
          JSON.stringify(squareActivity('sq-imp-2', 'LOAD', '100')),
          JSON.stringify(squareActivity('sq-imp-3', 'LOAD', 1e9)),
          JSON.stringify({
            ...squareActivity('sq-imp-4', 'LOAD', 100),
            created_at: '9999-12-31T00:00:00Z',
          }),
          '',
        ].join('\n'),
      )
      const report = await importFile(database, path, { format: 'square-jsonl' })
      expect(report.applied).toBe(1)
      expect(report.rejected).toEqual([
        {
          line: 2,
          reason:
            'load_activity_details.amount_money.amount: Invalid input: expected number, received string',
        },
        {
          line: 3,
          reason:
            'amountCents 1000000000 is over the limit of 100000000 cents per event (MAX_EVENT_CENTS)',
        },
        { line: 4, reason: 'created_at: is more than a day in the future' },
      ])
      expect(await balance('gftc:bad')).toBe(5100)
    })

    it('refuses an event dated more than a day ahead on every webhook, and takes one twelve hours ahead', async () => {
      const watermark = await ledgerWatermark(database.db)
      const far = await generic(
        genericBody(
          'g-future',
          { gift_card_id: 'gc-future', transaction_type: 'sale', amount: 10 },
          '9999-12-31T00:00:00Z',
        ),
      )
      expect(far).toEqual({
        status: 400,
        body: { error: 'created_at: is more than a day in the future' },
      })
      const tomorrow = await generic(
        genericBody(
          'g-future-2',
          { gift_card_id: 'gc-future', transaction_type: 'sale', amount: 10 },
          TOO_FAR,
        ),
      )
      expect(tomorrow.status).toBe(400)
      const sq = await square(
        squareBody({
          ...squareActivity('sq-future', 'LOAD', 100),
          created_at: '9999-12-31T00:00:00Z',
        }),
      )
      expect(sq).toEqual({
        status: 400,
        body: { error: `${SQUARE_PATH}.created_at: is more than a day in the future` },
      })
      const shop = await shopify(
        'gift_card_transactions/create',
        JSON.stringify({
          id: 77,
          gift_card_id: 88,
          kind: 'credit',
          amount: '5.00',
          currency: 'USD',
          processed_at: '9999-12-31T00:00:00Z',
        }),
      )
      expect(shop).toEqual({
        status: 400,
        body: { error: 'processed_at: is more than a day in the future' },
      })
      expect(await getCard(database.db, 'gc-future')).toBeUndefined()
      expect(await ledgerWatermark(database.db)).toBe(watermark)
      const soon = await generic(
        genericBody(
          'g-soon',
          { gift_card_id: 'gc-soon', transaction_type: 'sale', amount: 10 },
          SOON,
        ),
      )
      expect(soon.status).toBe(200)
      // What each source's schema lets through, the applier refuses too (any other path).
      const direct = applyBatch(database, {
        events: [
          {
            source: 'generic',
            eventId: 'direct-future',
            cardRef: 'gc-future',
            type: 'activate',
            amountCents: 100,
            currency: 'USD',
            occurredAt: '9999-12-31T00:00:00.000Z',
          },
        ],
        cards: [],
      })
      await expect(direct).rejects.toThrow(
        'event direct-future: occurredAt 9999-12-31T00:00:00.000Z is more than a day in the future',
      )
    })

    it('the Square poller skips a future-dated activity, and its sync time stays put', async () => {
      const fake = await startFakeSquare('tok', [
        { ...squareActivity('poll-ok', 'LOAD', 100), created_at: '2025-06-02T00:00:00.000Z' },
        { ...squareActivity('poll-future', 'LOAD', 100), created_at: '9999-12-31T00:00:00.000Z' },
        {
          ...squareActivity('poll-big', 'LOAD', 100_000_001),
          created_at: '2025-06-03T00:00:00.000Z',
        },
      ])
      try {
        const report = await syncSquare(database, {
          baseUrl: fake.url,
          accessToken: 'tok',
          apiVersion: '2025-10-16',
          backoffMs: 1,
        })
        expect(report).toMatchObject({ activities: 3, applied: 1, skipped: 2 })
        expect(report.lastEventAt).toBe('2025-06-02T00:00:00.000Z')
        expect(await balance('gftc:bad')).toBe(5200)
      } finally {
        await fake.close()
      }
    })

    it('refuses an amount over $1,000,000 (MAX_EVENT_CENTS), so a balance is always the exact sum of its transactions', async () => {
      const at = (n: number) => `2025-06-0${n}T12:00:00Z`
      const exact = await generic(
        genericBody(
          'g-max',
          { gift_card_id: 'gc-big', transaction_type: 'sale', amount: '1000000.00' },
          at(1),
        ),
      )
      expect(exact.status).toBe(200)
      const over = await generic(
        genericBody(
          'g-over',
          { gift_card_id: 'gc-big', transaction_type: 'reload', amount: '1000000.01' },
          at(2),
        ),
      )
      expect(over).toEqual({
        status: 400,
        body: {
          error:
            'event g-over: amountCents 100000001 is over the limit of 100000000 cents per event (MAX_EVENT_CENTS)',
        },
      })
      // Once, 90,000,000,000,000.00 twice summed past 2^53 cents and the balance drifted.
      const huge = await generic(
        genericBody(
          'g-huge',
          { gift_card_id: 'gc-big', transaction_type: 'reload', amount: 90_000_000_000_000 },
          at(3),
        ),
      )
      expect(huge.status).toBe(400)
      const reported = await generic(
        genericBody(
          'g-balance',
          {
            gift_card_id: 'gc-big',
            transaction_type: 'reload',
            amount: 1,
            remaining_balance: 2_000_000,
          },
          at(4),
        ),
      )
      expect(reported.body.error).toBe(
        'event g-balance: balanceAfterCents 200000000 is over the limit of 100000000 cents a card may hold (MAX_EVENT_CENTS)',
      )
      const sq = await square(squareBody(squareActivity('sq-big', 'LOAD', 100_000_001)))
      expect(sq.status).toBe(400)
      expect(sq.body.error).toContain('amountCents 100000001 is over the limit')
      // Configured larger, the same ledger takes it.
      const configured = await generic(
        genericBody(
          'g-roomy',
          { gift_card_id: 'gc-big', transaction_type: 'reload', amount: '2000000.00' },
          at(5),
        ),
        roomy,
      )
      expect(configured.status).toBe(200)
      const sum = await database.db
        .selectFrom('gift_card_transactions')
        .select(sql<string>`sum(amount_cents)`.as('sum'))
        .where('card_id', '=', 'gc-big')
        .executeTakeFirstOrThrow()
      expect(await balance('gc-big')).toBe(300_000_000)
      expect(Number(sum.sum)).toBe(300_000_000)
    })

    it('rejects such rows of a CSV import by line (future, over the limit), and takes them when configured larger', async () => {
      const path = join(dir, `bounds-${dialect.name}.csv`)
      writeFileSync(
        path,
        [
          'event_id,occurred_at,card_id,type,amount,currency,balance_after',
          'b1,2025-01-01T10:00:00Z,gc-csv-big,sale,1000000.00,USD,',
          'b2,2025-01-02T10:00:00Z,gc-csv-big,reload,1000000.01,USD,',
          'b3,9999-12-31T00:00:00Z,gc-csv-big,reload,1,USD,',
          `b4,${TOO_FAR},gc-csv-big,reload,1,USD,`,
          'b5,2025-01-03T10:00:00Z,gc-csv-big,reload,1,USD,2000000',
          `b6,${SOON},gc-csv-big,reload,1,USD,`,
          '',
        ].join('\n'),
      )
      const report = await importFile(database, path, { format: 'csv' })
      expect(report.applied).toBe(2)
      expect(report.rejected.map((r) => [r.line, r.reason])).toEqual([
        [3, 'amount is over the limit of 100000000 cents per event (MAX_EVENT_CENTS)'],
        [4, 'occurred_at is more than a day in the future'],
        [5, 'occurred_at is more than a day in the future'],
        [6, 'balance_after is over the limit of 100000000 cents a card may hold (MAX_EVENT_CENTS)'],
      ])
      expect(await balance('gc-csv-big')).toBe(100_000_100)
      const roomyPath = join(dir, `bounds-roomy-${dialect.name}.csv`)
      writeFileSync(
        roomyPath,
        'event_id,occurred_at,card_id,type,amount,currency\nr1,2025-01-04T10:00:00Z,gc-csv-big,reload,1000000.01,USD\n',
      )
      const roomyReport = await importFile(database, roomyPath, {
        format: 'csv',
        maxEventCents: 500_000_000,
      })
      expect(roomyReport).toMatchObject({ applied: 1, rejected: [] })
    })

    it('MAX_EVENT_CENTS is bounded itself', () => {
      let error: unknown
      try {
        loadConfig({ MAX_EVENT_CENTS: '1000000000000' })
      } catch (err) {
        error = err
      }
      expect(isGiftCardError(error, 'CONFIG_INVALID')).toBe(true)
      expect(loadConfig({}).ingest.maxEventCents).toBe(100_000_000)
    })
  })
}
