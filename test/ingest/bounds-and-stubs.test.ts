import { createHash, createHmac } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import { type Database, getCard } from '../../db/index.ts'
import { applyBatch, hmac, importFile, signGeneric, stubPseudonym } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'
import { SECRETS } from '../helpers/server.ts'

const PII_KEY = 'test-stub-key'
const dir = mkdtempSync(join(tmpdir(), 'giftcards-bounds-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A generic delivery for one transaction. */
function genericBody(eventId: string, data: Record<string, unknown>) {
  return JSON.stringify({
    event_id: eventId,
    event_type: 'gift_card.transaction.created',
    created_at: '2025-06-01T12:00:00Z',
    data: { transaction_type: 'activate', amount: '25.00', currency: 'USD', ...data },
  })
}

for (const dialect of DIALECTS) {
  describe(`what ingest stores is bounded, on ${dialect.name} (issue 16, defect 1)`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let server: RunningServer

    const post = (path: string, body: string, headers: Record<string, string>) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      })
    const generic = (body: string) =>
      post('/webhooks/generic', body, {
        'x-giftcards-signature': signGeneric(SECRETS.generic, body),
      })
    const square = (body: string) =>
      post('/webhooks/square', body, {
        'x-square-hmacsha256-signature': hmac(
          SECRETS.squareKey,
          SECRETS.squareUrl + body,
          'base64',
        ),
      })
    const inboxRows = async () =>
      Number(
        (
          await database.db
            .selectFrom('webhook_inbox')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      const config = loadConfig({
        SQUARE_WEBHOOK_SIGNATURE_KEY: SECRETS.squareKey,
        SQUARE_WEBHOOK_URL: SECRETS.squareUrl,
        GENERIC_WEBHOOK_SECRET: SECRETS.generic,
        PII_TOKEN_KEY: PII_KEY,
      })
      server = await startServer(
        { database, config, listeners: [] },
        { port: 0, host: '127.0.0.1' },
      )
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await cleanup?.()
    })

    it('refuses a delivery whose store id is 150,000 characters with 400 naming the field, keeping nothing', async () => {
      const before = await inboxRows()
      const res = await generic(
        genericBody('long-loc', { gift_card_id: 'gc-long', location_id: 'L'.repeat(150_000) }),
      )
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({
        error: 'event long-loc: locationId is longer than 200 characters',
      })
      expect(await inboxRows()).toBe(before)
      expect(await getCard(database.db, 'gc-long')).toBeUndefined()
    })

    it('names the item field, and bounds Square ids the same way', async () => {
      const items = await generic(
        genericBody('long-cat', {
          gift_card_id: 'gc-items',
          order_id: 'o-1',
          items: [{ sku: 'A', category: 'c'.repeat(81), amount: 1 }],
        }),
      )
      expect(items.status).toBe(400)
      expect(await items.json()).toEqual({
        error: 'event long-cat: items: a category is longer than 80 characters',
      })
      const activity = {
        id: 'sq-long',
        type: 'ACTIVATE',
        location_id: 'S'.repeat(5000),
        created_at: '2025-06-01T12:00:00Z',
        gift_card_id: 'gftc:long',
        gift_card_balance_money: { amount: 1000, currency: 'USD' },
        activate_activity_details: { amount_money: { amount: 1000, currency: 'USD' } },
      }
      const res = await square(
        JSON.stringify({
          merchant_id: 'M',
          type: 'gift_card.activity.created',
          event_id: 'evt-sq-long',
          created_at: '2025-06-01T12:00:00Z',
          data: {
            type: 'gift_card.activity',
            id: 'sq-long',
            object: { gift_card_activity: activity },
          },
        }),
      )
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({
        error: 'event sq-long: locationId is longer than 200 characters',
      })
      expect(await getCard(database.db, 'gftc:long')).toBeUndefined()
    })

    it('rejects such a row of an import by its line, and applies the others', async () => {
      const csv = join(dir, `long-${dialect.name}.csv`)
      writeFileSync(
        csv,
        [
          'event_id,occurred_at,card_id,type,amount,currency,order_id,items',
          'imp-1,2025-01-01T10:00:00Z,gc-imp,activate,10.00,USD,o-imp,A:gifts:10',
          `imp-2,2025-01-02T10:00:00Z,gc-imp,load,5.00,USD,o-imp2,${'S'.repeat(300)}:gifts:5`,
          '',
        ].join('\n'),
      )
      const report = await importFile(database, csv, { format: 'csv', piiKey: PII_KEY })
      expect(report.applied).toBe(1)
      expect(report.rejected).toEqual([
        { line: 3, reason: 'items: a sku is longer than 200 characters' },
      ])
      const jsonl = join(dir, `long-${dialect.name}.jsonl`)
      writeFileSync(
        jsonl,
        `${JSON.stringify({
          id: 'sq-imp',
          type: 'LOAD',
          location_id: 'L'.repeat(201),
          created_at: '2025-01-03T10:00:00Z',
          gift_card_id: 'gc-imp',
          load_activity_details: { amount_money: { amount: 100, currency: 'USD' } },
        })}\n`,
      )
      const square = await importFile(database, jsonl, { format: 'square-jsonl' })
      expect(square.rejected).toEqual([
        { line: 1, reason: 'locationId is longer than 200 characters' },
      ])
      expect((await getCard(database.db, 'gc-imp'))?.balance_cents).toBe(1000)
    })

    it('refuses an over-long field in the applier itself, whatever the path', async () => {
      await expect(
        applyBatch(database, {
          events: [
            {
              source: 'generic',
              eventId: 'direct-1',
              cardRef: 'gc-direct',
              type: 'activate',
              amountCents: 100,
              currency: 'USD',
              occurredAt: '2025-06-01T12:00:00.000Z',
              terminalId: 'T'.repeat(201),
            },
          ],
          cards: [],
        }),
      ).rejects.toThrow('event direct-1: terminalId is longer than 200 characters')
    })
  })

  describe(`stub customers' pseudonyms are keyed, on ${dialect.name} (issue 16, defect 5)`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let server: RunningServer

    const deliver = (eventId: string, customerId: string) => {
      const body = genericBody(eventId, { gift_card_id: `gc-${eventId}`, customer_id: customerId })
      return fetch(`${server.url}/webhooks/generic`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-giftcards-signature': signGeneric(SECRETS.generic, body),
        },
      })
    }
    const pseudonymOf = async (customerId: string) =>
      (
        await database.db
          .selectFrom('customers')
          .select('pseudonym')
          .where('id', '=', customerId)
          .executeTakeFirst()
      )?.pseudonym

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      const config = loadConfig({ GENERIC_WEBHOOK_SECRET: SECRETS.generic, PII_TOKEN_KEY: PII_KEY })
      server = await startServer(
        { database, config, listeners: [] },
        { port: 0, host: '127.0.0.1' },
      )
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await cleanup?.()
    })

    it('a customer id that is a phone number is not found again by hashing 10⁴ candidates', async () => {
      expect((await deliver('stub-1', '7165550179')).status).toBe(200)
      const pseudonym = await pseudonymOf('7165550179')
      expect(pseudonym).toMatch(/^cust_[0-9a-f]{16}$/)
      // The attack: the exchange and line are known, the last four digits are guessed.
      let found: string | undefined
      for (let n = 0; n < 10_000; n++) {
        const guess = `716555${String(n).padStart(4, '0')}`
        if (`cust_${createHash('sha256').update(guess).digest('hex').slice(0, 16)}` === pseudonym)
          found = guess
      }
      expect(found).toBeUndefined()
      // What it is: HMAC-SHA256 under PII_TOKEN_KEY.
      expect(pseudonym).toBe(
        `cust_${createHmac('sha256', PII_KEY).update('customer:7165550179').digest('hex').slice(0, 16)}`,
      )
    })

    it('is stable for one key, different under another, and leaves existing stubs as they are', async () => {
      expect(await pseudonymOf('7165550179')).toBe(stubPseudonym('7165550179', PII_KEY))
      expect(stubPseudonym('7165550179', 'another-key')).not.toBe(
        stubPseudonym('7165550179', PII_KEY),
      )
      // A ledger made before keying keeps its customers' pseudonyms, and new events reach them.
      const legacy = `cust_${createHash('sha256').update('legacy-cust').digest('hex').slice(0, 16)}`
      await database.db
        .insertInto('customers')
        .values({ id: 'legacy-cust', pseudonym: legacy, created_at: '2024-01-01T00:00:00.000Z' })
        .execute()
      expect((await deliver('stub-2', 'legacy-cust')).status).toBe(200)
      expect(await pseudonymOf('legacy-cust')).toBe(legacy)
      expect((await getCard(database.db, 'gc-stub-2'))?.purchaser_customer_id).toBe('legacy-cust')
    })
  })
}
