import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../app/index.ts'
import { writeExportCsv } from '../../bench/import.ts'
import { type CardEvent, parseDate } from '../../core/index.ts'
import {
  type Database,
  dayStartMs,
  forgetTimezone,
  localDay,
  migrateToLatest,
  rebuildDailyRollup,
  rollupTimezone,
} from '../../db/index.ts'
import { applyBatch, importFile, signGeneric } from '../../ingest/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { DIALECTS } from '../helpers/dialects.ts'
import { rollupFromLedger, storedRollup } from '../helpers/rollup-reference.ts'
import { SECRETS, startTestServer } from '../helpers/server.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-rollup-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The rollup the writers kept equals the ledger grouped by day, store, type and card. */
async function expectRollupMatchesLedger(database: Database): Promise<void> {
  const stored = await storedRollup(database)
  const reference = await rollupFromLedger(database)
  expect(stored.size).toBeGreaterThan(0)
  expect(Object.fromEntries(stored)).toEqual(Object.fromEntries(reference))
}

describe('the chain calendar', () => {
  it('gives the local day of an instant and the instant a day starts, across DST', () => {
    const ny = 'America/New_York'
    expect(localDay(Date.parse('2026-12-01T04:59:59.999Z'), ny)).toBe('2026-11-30')
    expect(localDay(Date.parse('2026-12-01T05:00:00.000Z'), ny)).toBe('2026-12-01')
    expect(localDay(Date.parse('2026-07-01T03:59:00.000Z'), ny)).toBe('2026-06-30')
    expect(localDay(Date.parse('2026-07-01T04:00:00.000Z'), ny)).toBe('2026-07-01')
    expect(new Date(dayStartMs('2026-03-08', ny)).toISOString()).toBe('2026-03-08T05:00:00.000Z')
    expect(new Date(dayStartMs('2026-03-09', ny)).toISOString()).toBe('2026-03-09T04:00:00.000Z')
    expect(new Date(dayStartMs('2026-11-02', ny)).toISOString()).toBe('2026-11-02T05:00:00.000Z')
    expect(new Date(dayStartMs('2026-01-01', 'UTC')).toISOString()).toBe('2026-01-01T00:00:00.000Z')
  })
})

for (const dialect of DIALECTS) {
  describe(`the daily rollup on ${dialect.name}`, () => {
    describe('after a seed', () => {
      let database: Database
      let cleanup: () => Promise<void>
      beforeAll(async () => {
        const opened = await dialect.open()
        database = opened.database
        cleanup = opened.cleanup
        await seedChain(database, {
          cards: 400,
          seed: 3,
          startMs: parseDate('2025-01-01'),
          months: 12,
        })
      }, 120_000)
      afterAll(async () => cleanup())

      it('is in the chain time zone of its stores and equals the ledger grouped by day', async () => {
        expect(await rollupTimezone(database.db)).toBe('America/New_York')
        await expectRollupMatchesLedger(database)
      })

      it('is backfilled by migration 0006 on a ledger that had none', async () => {
        const before = await storedRollup(database)
        await sql`drop table ledger_daily`.execute(database.db)
        await sql`drop table ledger_rollup`.execute(database.db)
        await sql`delete from kysely_migration where name = '0006-daily-rollup'`.execute(
          database.db,
        )
        forgetTimezone(database.db)
        const report = await migrateToLatest(database.db, database.adapter, database.searchPath)
        expect(report.applied).toEqual(['0006-daily-rollup'])
        expect(Object.fromEntries(await storedRollup(database))).toEqual(Object.fromEntries(before))
        await expectRollupMatchesLedger(database)
      })

      it('is rebuilt from the ledger to the same rows (the migration backfill)', async () => {
        const before = await storedRollup(database)
        await rebuildDailyRollup(database.db, database.adapter)
        expect(Object.fromEntries(await storedRollup(database))).toEqual(Object.fromEntries(before))
      })
    })

    describe('after an import', () => {
      let database: Database
      let cleanup: () => Promise<void>
      beforeAll(async () => {
        const opened = await dialect.open()
        database = opened.database
        cleanup = opened.cleanup
      })
      afterAll(async () => cleanup())

      it('equals the ledger grouped by day, also after the same file again and a failed row', async () => {
        const path = join(dir, `export-${dialect.name}.csv`)
        await writeExportCsv(path, 6000)
        const report = await importFile(database, path, { format: 'csv', batchSize: 2000 })
        expect(report.applied).toBeGreaterThan(5000)
        await expectRollupMatchesLedger(database)
        // The same rows again (another file: a copy) change nothing.
        const copy = join(dir, `copy-${dialect.name}.csv`)
        writeFileSync(copy, (await import('node:fs')).readFileSync(path))
        const again = await importFile(database, copy, { format: 'csv', batchSize: 2000 })
        expect(again.applied).toBe(0)
        await expectRollupMatchesLedger(database)
      }, 120_000)

      it('takes a late event (dated before days already rolled up) and a bad row', async () => {
        const path = join(dir, `late-${dialect.name}.csv`)
        writeFileSync(
          path,
          [
            'event_id,occurred_at,card_id,type,amount,currency,balance_after,location_id',
            'l1,2025-03-01T15:00:00Z,gc-late,activate,20.00,USD,,L1',
            'l2,2025-03-05T15:00:00Z,gc-late,redeem,20.00,USD,,L1',
            'l3,2025-03-03T15:00:00Z,gc-late,load,10.00,USD,,L2',
            'l4,2025-03-04T15:00:00Z,gc-late,redeem,500.00,USD,,L2',
            '',
          ].join('\n'),
        )
        const report = await importFile(database, path, { format: 'csv' })
        expect(report.applied).toBe(3)
        expect(report.rejected).toHaveLength(1)
        await expectRollupMatchesLedger(database)
      })
    })

    describe('after webhooks', () => {
      let database: Database
      let cleanup: () => Promise<void>
      let server: RunningServer
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

      const deliver = (eventId: string, at: string, data: Record<string, unknown>) => {
        const body = JSON.stringify({
          event_id: eventId,
          event_type: 'gift_card.transaction.created',
          created_at: at,
          data: { currency: 'USD', location_id: 'L9', ...data },
        })
        return fetch(`${server.url}/webhooks/generic`, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'x-giftcards-signature': signGeneric(SECRETS.generic, body),
          },
        })
      }

      it('equals the ledger grouped by day, a duplicate delivery, a refused one and a late one included', async () => {
        const card = (id: string, type: string, amount: string) => ({
          gift_card_id: id,
          transaction_type: type,
          amount,
        })
        const sent = await Promise.all([
          deliver('w1', '2025-06-01T12:00:00Z', card('gc-w1', 'activate', '50.00')),
          deliver('w2', '2025-06-01T13:00:00Z', card('gc-w2', 'activate', '25.00')),
        ])
        for (const res of sent) expect(res.status).toBe(200)
        expect(
          (await deliver('w3', '2025-06-03T12:00:00Z', card('gc-w1', 'redeem', '50.00'))).status,
        ).toBe(200)
        // The same delivery again: a duplicate, nothing changes.
        const dup = await deliver('w3', '2025-06-03T12:00:00Z', card('gc-w1', 'redeem', '50.00'))
        expect(await dup.json()).toMatchObject({ status: 'duplicate' })
        // Would take the card below zero: refused, nothing changes.
        const bad = await deliver('w4', '2025-06-04T12:00:00Z', card('gc-w2', 'redeem', '99.00'))
        expect(bad.status).not.toBe(200)
        // Late: dated before the redemption already rolled up.
        expect(
          (await deliver('w5', '2025-06-02T12:00:00Z', card('gc-w1', 'load', '5.00'))).status,
        ).toBe(200)
        await expectRollupMatchesLedger(database)
      })
    })

    describe('after a failed batch', () => {
      let database: Database
      let cleanup: () => Promise<void>
      beforeAll(async () => {
        const opened = await dialect.open()
        database = opened.database
        cleanup = opened.cleanup
      })
      afterAll(async () => cleanup())

      const event = (
        eventId: string,
        type: CardEvent['type'],
        amountCents: number,
        at: string,
      ): CardEvent => ({
        source: 'generic',
        eventId,
        cardRef: 'gc-f',
        type,
        amountCents,
        currency: 'USD',
        occurredAt: at,
        locationId: 'L1',
      })

      it('keeps nothing of a batch that fails, and nothing twice of one applied again', async () => {
        const good = {
          events: [event('f1', 'activate', 3000, '2025-02-01T10:00:00.000Z')],
          cards: [],
        }
        await applyBatch(database, good)
        const before = await storedRollup(database)
        await expect(
          applyBatch(database, {
            events: [
              event('f2', 'load', 1000, '2025-02-02T10:00:00.000Z'),
              event('f3', 'redeem', -9000, '2025-02-03T10:00:00.000Z'),
            ],
            cards: [],
          }),
        ).rejects.toThrow(/below zero/)
        expect(Object.fromEntries(await storedRollup(database))).toEqual(Object.fromEntries(before))
        await applyBatch(database, good)
        expect(Object.fromEntries(await storedRollup(database))).toEqual(Object.fromEntries(before))
        await expectRollupMatchesLedger(database)
      })
    })
  })
}
