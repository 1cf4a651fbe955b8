import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../app/index.ts'
import { POS_TRANSACTION_WORDS, TRANSACTION_TYPES, transactionTypeOf } from '../../core/index.ts'
import { type Database, getCard, listCardTransactions } from '../../db/index.ts'
import { importFile, signGeneric } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'
import { SECRETS, startTestServer } from '../helpers/server.ts'

/** The blueprint's example delivery, as bytes: sent unchanged. */
const BLUEPRINT = readFileSync(
  join(import.meta.dirname, '../fixtures/generic/gift_card.transaction.created.redemption.json'),
  'utf8',
)

const dir = mkdtempSync(join(tmpdir(), 'giftcards-vocabulary-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function genericBody(eventId: string, data: Record<string, unknown>, at = '2025-06-01T12:00:00Z') {
  return JSON.stringify({
    event_id: eventId,
    event_type: 'gift_card.transaction.created',
    created_at: at,
    data: { currency: 'USD', ...data },
  })
}

describe('the vocabulary (docs/pos-vocabulary.md)', () => {
  it("maps the blueprint's words and the ledger's own, whatever the case and separators", () => {
    const cases: [string, string][] = [
      ['sale', 'activate'],
      ['Sale', 'activate'],
      ['ACTIVATION', 'activate'],
      ['issue', 'activate'],
      ['reload', 'load'],
      ['Top-Up', 'load'],
      ['top_up', 'load'],
      ['TOPUP', 'load'],
      ['top up', 'load'],
      ['redemption', 'redeem'],
      ['Redeem', 'redeem'],
      ['refund', 'refund'],
      ['VOID', 'void'],
      ['Balance Inquiry', 'balance_check'],
      ['balance-check', 'balance_check'],
      ['BALANCE_CHECK', 'balance_check'],
      ['balance.inquiry', 'balance_check'],
      ['adjust_up', 'adjust_up'],
      ['Adjust Down', 'adjust_down'],
      ['clear', 'clear'],
      ['deactivate', 'deactivate'],
    ]
    for (const [word, type] of cases) expect(transactionTypeOf(word), word).toBe(type)
    expect(transactionTypeOf('adjustment')).toBe('adjust_up')
    expect(transactionTypeOf('Adjustment', true)).toBe('adjust_down')
    // Every ledger type is its own word, and every word of the table maps.
    for (const type of TRANSACTION_TYPES) expect(transactionTypeOf(type)).toBe(type)
    for (const word of Object.keys(POS_TRANSACTION_WORDS))
      expect(transactionTypeOf(word)).toBeDefined()
    for (const word of ['teleport', 'constructor', '__proto__', 'toString', '', 'sale'.repeat(20)])
      expect(transactionTypeOf(word), word).toBeUndefined()
  })
})

for (const dialect of DIALECTS) {
  describe(`the blueprint's vocabulary on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let server: RunningServer
    const generic = (body: string) =>
      fetch(`${server.url}/webhooks/generic`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-giftcards-signature': signGeneric(SECRETS.generic, body),
        },
      })
    const ledger = async (card: string) =>
      (await listCardTransactions(database.db, card)).reverse().map((t) => [t.type, t.amount_cents])

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      server = await startTestServer(database)
    })
    afterAll(async () => {
      await server.close()
      await cleanup()
    })

    it("applies the blueprint's example payload, byte for byte, as a redemption", async () => {
      const sale = await generic(
        genericBody(
          'evt_sale_48213',
          { gift_card_id: 'gc_48213', transaction_type: 'sale', amount: 100 },
          '2025-06-01T10:00:00Z',
        ),
      )
      expect(sale.status).toBe(200)
      const res = await generic(BLUEPRINT)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ status: 'processed', applied: 1 })
      expect(await getCard(database.db, 'gc_48213')).toMatchObject({ balance_cents: 7500 })
      expect(await ledger('gc_48213')).toEqual([
        ['activate', 10_000],
        ['redeem', -2500],
      ])
      const again = await generic(BLUEPRINT)
      expect(await again.json()).toMatchObject({ status: 'duplicate', applied: 0 })
    })

    it('takes sale, reload, top-up, redemption, refund, adjustments and a balance inquiry without an amount', async () => {
      const card = 'gc-words'
      const steps: [string, Record<string, unknown>][] = [
        ['w1', { transaction_type: 'Sale', amount: '50.00' }],
        ['w2', { transaction_type: 'reload', amount: 20 }],
        ['w3', { transaction_type: 'Top-Up', amount: 5 }],
        ['w4', { transaction_type: 'REDEMPTION', amount: 30 }],
        ['w5', { transaction_type: 'refund', amount: 10 }],
        ['w6', { transaction_type: 'adjustment', amount: -2.5 }],
        ['w7', { transaction_type: 'Adjustment', amount: 1 }],
        ['w8', { transaction_type: 'Balance Inquiry' }],
      ]
      for (const [i, [id, data]] of steps.entries()) {
        const res = await generic(
          genericBody(id, { gift_card_id: card, ...data }, `2025-06-02T10:0${i}:00Z`),
        )
        expect(res.status, id).toBe(200)
      }
      expect(await ledger(card)).toEqual([
        ['activate', 5000],
        ['load', 2000],
        ['load', 500],
        ['redeem', -3000],
        ['refund', 1000],
        ['adjust_down', -250],
        ['adjust_up', 100],
        ['balance_check', 0],
      ])
      expect((await getCard(database.db, card))?.balance_cents).toBe(5350)
    })

    it('refuses an unknown word, a negative amount that is no adjustment, a missing amount, with 400 naming the field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ transaction_type: 'teleport', amount: 1 }, 'data.transaction_type: must be one of sale'],
        [
          { transaction_type: 'redemption', amount: -1 },
          'data.amount: must not be negative (the type gives the sign)',
        ],
        [{ transaction_type: 'reload' }, 'data.amount: is required for reload'],
        [
          { transaction_type: 'refund', amount: 1, original_event_id: 'x' },
          'data.original_event_id: is only for a void, not refund',
        ],
      ]
      for (const [i, [data, error]] of cases.entries()) {
        const res = await generic(genericBody(`bad-${i}`, { gift_card_id: 'gc-bad', ...data }))
        expect(res.status).toBe(400)
        expect(((await res.json()) as { error: string }).error).toContain(error)
      }
      expect(await getCard(database.db, 'gc-bad')).toBeUndefined()
    })

    it('reads the same words in a CSV import, an adjustment signed, and reports a bad one by line', async () => {
      const path = join(dir, `words-${dialect.name}.csv`)
      writeFileSync(
        path,
        [
          'event_id,occurred_at,card_id,type,amount,currency',
          'c1,2025-03-01T10:00:00Z,gc-csv,Sale,40.00,USD',
          'c2,2025-03-02T10:00:00Z,gc-csv,Top Up,10,USD',
          'c3,2025-03-03T10:00:00Z,gc-csv,redemption,15.5,USD',
          'c4,2025-03-04T10:00:00Z,gc-csv,ADJUSTMENT,-0.50,USD',
          'c5,2025-03-05T10:00:00Z,gc-csv,balance inquiry,0,USD',
          'c6,2025-03-06T10:00:00Z,gc-csv,redeem,-1,USD',
          'c7,2025-03-07T10:00:00Z,gc-csv,teleport,1,USD',
          'c8,2025-03-08T10:00:00Z,gc-csv,expire,1,USD',
          '',
        ].join('\n'),
      )
      const report = await importFile(database, path, { format: 'csv' })
      expect(report.applied).toBe(5)
      expect(report.rejected.map((r) => [r.line, r.reason.slice(0, 41)])).toEqual([
        [7, 'amount must not be negative (the type giv'],
        [8, 'type must be one of sale, activation, iss'],
        [9, 'type must be one of sale, activation, iss'],
      ])
      expect(await ledger('gc-csv')).toEqual([
        ['activate', 4000],
        ['load', 1000],
        ['redeem', -1550],
        ['adjust_down', -50],
        ['balance_check', 0],
      ])
    })
  })
}
