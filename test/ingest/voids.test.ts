import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../app/index.ts'
import type { CardEvent } from '../../core/index.ts'
import {
  type Database,
  getCard,
  ledgerMetric,
  listCardTransactions,
  rebuildDailyRollup,
} from '../../db/index.ts'
import { applyBatch, importFile, signGeneric } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'
import { rollupFromLedger, storedRollup } from '../helpers/rollup-reference.ts'
import { SECRETS, startTestServer } from '../helpers/server.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-voids-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function genericBody(eventId: string, data: Record<string, unknown>, at: string) {
  return JSON.stringify({
    event_id: eventId,
    event_type: 'gift_card.transaction.created',
    created_at: at,
    data: { currency: 'USD', ...data },
  })
}

for (const dialect of DIALECTS) {
  describe(`voids on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let server: RunningServer
    const deliver = async (eventId: string, data: Record<string, unknown>, at: string) => {
      const body = genericBody(eventId, data, at)
      const res = await fetch(`${server.url}/webhooks/generic`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-giftcards-signature': signGeneric(SECRETS.generic, body),
        },
      })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }
    /** Why a delivery failed, as the inbox keeps it. */
    const inboxError = async (eventId: string) =>
      (
        await database.db
          .selectFrom('webhook_inbox')
          .select(['status', 'error'])
          .where('event_id', '=', eventId)
          .executeTakeFirstOrThrow()
      ).error
    const balance = async (card: string) => (await getCard(database.db, card))?.balance_cents
    const ledger = async (card: string) =>
      (await listCardTransactions(database.db, card))
        .reverse()
        .map((t) => [t.event_id, t.type, t.amount_cents])

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

    it('a voided redemption gives the value back, as a ledger row of its own, once', async () => {
      const card = 'gc-v1'
      await deliver(
        'ev-a',
        { gift_card_id: card, transaction_type: 'sale', amount: 100 },
        '2025-06-01T10:00:00Z',
      )
      await deliver(
        'ev-r',
        { gift_card_id: card, transaction_type: 'redemption', amount: 30, location_id: 'L-v' },
        '2025-06-02T10:00:00Z',
      )
      expect(await balance(card)).toBe(7000)
      const voided = await deliver(
        'ev-void-1',
        { gift_card_id: card, transaction_type: 'void', original_event_id: 'ev-r' },
        '2025-06-02T10:05:00Z',
      )
      expect(voided).toMatchObject({ status: 200, body: { status: 'processed', applied: 1 } })
      expect(await balance(card)).toBe(10_000)
      expect((await getCard(database.db, card))?.status).toBe('active')
      expect(await ledger(card)).toEqual([
        ['ev-a', 'activate', 10_000],
        ['ev-r', 'redeem', -3000],
        ['ev-void-1', 'void', 3000],
      ])
      // The void happened at the redemption's store (it named none).
      const row = (await listCardTransactions(database.db, card))[0]
      expect(row).toMatchObject({ event_id: 'ev-void-1', location_id: 'L-v' })

      const again = await deliver(
        'ev-void-1',
        { gift_card_id: card, transaction_type: 'void', original_event_id: 'ev-r' },
        '2025-06-02T10:05:00Z',
      )
      expect(again.body).toMatchObject({ status: 'duplicate', applied: 0 })
      const second = await deliver(
        'ev-void-2',
        { gift_card_id: card, transaction_type: 'void', original_event_id: 'ev-r', amount: 30 },
        '2025-06-02T10:06:00Z',
      )
      expect(second).toMatchObject({ status: 500, body: { status: 'failed' } })
      expect(await inboxError('ev-void-2')).toContain(
        'event ev-r was voided already (by ev-void-1)',
      )
      expect(await balance(card)).toBe(10_000)
    })

    it('refuses a void of a void, of another card, of a different amount, and one without its event', async () => {
      const voidOfVoid = await deliver(
        'ev-void-3',
        { gift_card_id: 'gc-v1', transaction_type: 'void', original_event_id: 'ev-void-1' },
        '2025-06-03T10:00:00Z',
      )
      expect(voidOfVoid.status).toBe(500)
      expect(await inboxError('ev-void-3')).toContain(
        'event ev-void-1 is itself a void, and a void cannot be voided',
      )
      await deliver(
        'ev-b',
        { gift_card_id: 'gc-v2', transaction_type: 'sale', amount: 20 },
        '2025-06-03T09:00:00Z',
      )
      expect(
        (
          await deliver(
            'ev-void-5',
            { gift_card_id: 'gc-v2', transaction_type: 'void', original_event_id: 'ev-a' },
            '2025-06-03T10:00:00Z',
          )
        ).status,
      ).toBe(500)
      expect(await inboxError('ev-void-5')).toContain(
        'is for card gc-v2, but event ev-a is on card gc-v1',
      )
      expect(
        (
          await deliver(
            'ev-void-6',
            {
              gift_card_id: 'gc-v1',
              transaction_type: 'void',
              original_event_id: 'ev-a',
              amount: 5,
            },
            '2025-06-03T10:00:00Z',
          )
        ).status,
      ).toBe(500)
      expect(await inboxError('ev-void-6')).toContain(
        'says it reverses 5.00, but event ev-a moved 100.00',
      )
      const missing = await deliver(
        'ev-void-7',
        { gift_card_id: 'gc-v1', transaction_type: 'void' },
        '2025-06-03T10:00:00Z',
      )
      expect(missing.status).toBe(400)
      expect(missing.body.error).toBe(
        'data.original_event_id: is required for a void: the event_id of the event it reverses',
      )
      expect(await balance('gc-v1')).toBe(10_000)
      expect(await balance('gc-v2')).toBe(2000)
    })

    it('holds a void whose event has not arrived, and applies it once it has; a voided activation takes the value back', async () => {
      const early = await deliver(
        'ev-void-8',
        { gift_card_id: 'gc-v4', transaction_type: 'void', original_event_id: 'ev-late' },
        '2025-06-04T10:05:00Z',
      )
      expect(early).toMatchObject({ status: 500, body: { status: 'failed' } })
      expect(await inboxError('ev-void-8')).toContain(
        'void ev-void-8 reverses event ev-late (generic), which is not in the ledger',
      )
      expect(await getCard(database.db, 'gc-v4')).toBeUndefined()
      await deliver(
        'ev-late',
        { gift_card_id: 'gc-v4', transaction_type: 'activation', amount: 25 },
        '2025-06-04T10:00:00Z',
      )
      expect(await balance('gc-v4')).toBe(2500)
      // The sender retries: now it applies.
      const retry = await deliver(
        'ev-void-8',
        { gift_card_id: 'gc-v4', transaction_type: 'void', original_event_id: 'ev-late' },
        '2025-06-04T10:05:00Z',
      )
      expect(retry.body).toMatchObject({ status: 'processed', applied: 1 })
      expect(await balance('gc-v4')).toBe(0)
      expect(await ledger('gc-v4')).toEqual([
        ['ev-late', 'activate', 2500],
        ['ev-void-8', 'void', -2500],
      ])
    })

    it('refuses to void an activation whose value was spent (below zero), and dates a void no earlier than its event', async () => {
      await deliver(
        'ev-c',
        { gift_card_id: 'gc-v3', transaction_type: 'sale', amount: 10 },
        '2025-06-05T10:00:00Z',
      )
      await deliver(
        'ev-c2',
        { gift_card_id: 'gc-v3', transaction_type: 'redeem', amount: 10 },
        '2025-06-05T11:00:00Z',
      )
      const spent = await deliver(
        'ev-void-9',
        { gift_card_id: 'gc-v3', transaction_type: 'void', original_event_id: 'ev-c' },
        '2025-06-05T12:00:00Z',
      )
      expect(spent.status).toBe(500)
      expect(await inboxError('ev-void-9')).toContain('would take card gc-v3 below zero')
      // A void stamped before its redemption (a POS clock behind) is dated at the redemption.
      const skewed = await deliver(
        'ev-void-10',
        { gift_card_id: 'gc-v3', transaction_type: 'void', original_event_id: 'ev-c2' },
        '2025-06-05T09:00:00Z',
      )
      expect(skewed.body).toMatchObject({ status: 'processed' })
      const rows = await listCardTransactions(database.db, 'gc-v3')
      expect(rows.find((r) => r.event_id === 'ev-void-10')?.occurred_at).toBe(
        '2025-06-05T11:00:00.000Z',
      )
      expect(await balance('gc-v3')).toBe(1000)
    })

    it('applies a void and its event in one batch in either order, the void after', async () => {
      const at = '2025-06-06T10:00:00.000Z'
      const base = { source: 'generic' as const, cardRef: 'gc-v5', currency: 'USD', occurredAt: at }
      const events: CardEvent[] = [
        { ...base, eventId: 'b-void', type: 'void', amountCents: 0, originalEventId: 'b-sale' },
        { ...base, eventId: 'b-sale', type: 'activate', amountCents: 4000 },
        { ...base, eventId: 'b-load', type: 'load', amountCents: 1000 },
      ]
      const result = await applyBatch(database, { events, cards: [] })
      expect(result.appliedCount).toBe(3)
      expect(await balance('gc-v5')).toBe(1000)
      expect(
        result.applied
          .map((e): [string, number] => [e.eventId, e.amountCents])
          .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      ).toEqual([
        ['b-load', 1000],
        ['b-sale', 4000],
        ['b-void', -4000],
      ])
    })

    it('keeps the rollup as the ledger says, rebuilt or not, and counts redemptions net of voided ones', async () => {
      expect(await storedRollup(database)).toEqual(await rollupFromLedger(database))
      const kept = await storedRollup(database)
      await rebuildDailyRollup(database.db, database.adapter)
      expect(await storedRollup(database)).toEqual(kept)

      // Redemptions so far: ev-r (30.00, voided), ev-c2 (10.00, voided): none left.
      const range = { from: '2025-01-01', to: '2025-12-31', by: [] }
      const redemptions = await ledgerMetric(database.db, { metric: 'redemptions', ...range })
      expect(redemptions.rows).toEqual([])
      // Cards sold: ev-a, ev-b, ev-late (voided), ev-c, b-sale (voided).
      const sold = await ledgerMetric(database.db, { metric: 'cards_sold', ...range })
      expect(sold.rows).toEqual([{ keys: {}, count: 3, amountCents: 13_000 }])
      // Liability: gc-v1 100.00, gc-v2 20.00, gc-v3 10.00, gc-v5 10.00.
      const liability = await ledgerMetric(database.db, { metric: 'liability', ...range })
      expect(liability.rows).toEqual([{ keys: {}, count: 4, amountCents: 14_000 }])
    })

    it('leaves a voided redemption out of fraud loss', async () => {
      await database.db
        .insertInto('fraud_alerts')
        .values({
          card_id: 'gc-v1',
          rule: 'test_rule',
          score: 0.9,
          status: 'open',
          evidence: '{}',
          detected_at: '2025-06-02T11:00:00.000Z',
          updated_at: '2025-06-02T11:00:00.000Z',
        })
        .execute()
      const loss = await ledgerMetric(database.db, {
        metric: 'fraud_loss',
        from: '2025-01-01',
        to: '2025-12-31',
        by: [],
      })
      expect(loss.rows).toEqual([])
    })

    it('imports voids from a CSV (original_event_id), rejecting the bad ones by line, and again adds nothing', async () => {
      const path = join(dir, `voids-${dialect.name}.csv`)
      writeFileSync(
        path,
        [
          'event_id,occurred_at,card_id,type,amount,currency,original_event_id',
          'i1,2025-02-01T10:00:00Z,gc-i1,sale,50,USD,',
          'i2,2025-02-02T10:00:00Z,gc-i1,redemption,20,USD,',
          'i3,2025-02-03T10:00:00Z,gc-i1,void,20,USD,i2',
          'i4,2025-02-04T10:00:00Z,gc-i1,void,0,USD,i3',
          'i5,2025-02-05T10:00:00Z,gc-i1,void,0,USD,nope',
          'i6,2025-02-06T10:00:00Z,gc-i1,void,0,USD,i2',
          'i7,2025-02-07T10:00:00Z,gc-i1,redeem,5,USD,i2',
          'i8,2025-02-08T10:00:00Z,gc-i1,void,0,USD,',
          'i9,2025-02-09T10:00:00Z,gc-i1,Void,0,USD,ev-a',
          '',
        ].join('\n'),
      )
      const report = await importFile(database, path, { format: 'csv' })
      expect(report.applied).toBe(3)
      expect(
        report.rejected.sort((a, b) => a.line - b.line).map((r) => [r.line, r.reason]),
      ).toEqual([
        [5, 'CONFLICT: void i4: event i3 is itself a void, and a void cannot be voided'],
        [
          6,
          'CONFLICT: void i5 reverses event nope (import), which is not in the ledger: a void applies once the event it names has',
        ],
        [7, 'CONFLICT: void i6: event i2 was voided already (by i3)'],
        [8, 'originalEventId is only for a void, not redeem'],
        [9, 'a void needs originalEventId (the event it reverses)'],
        // Voids reverse events of their own source: ev-a came by the generic webhook.
        [
          10,
          'CONFLICT: void i9 reverses event ev-a (import), which is not in the ledger: a void applies once the event it names has',
        ],
      ])
      expect(await balance('gc-i1')).toBe(5000)
      const copy = join(dir, `voids-again-${dialect.name}.csv`)
      copyFileSync(path, copy)
      const again = await importFile(database, copy, { format: 'csv' })
      expect(again.applied).toBe(0)
      expect(again.duplicates).toBe(3)
      expect(await balance('gc-i1')).toBe(5000)
      expect(await storedRollup(database)).toEqual(await rollupFromLedger(database))
    })
  })
}
