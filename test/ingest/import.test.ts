import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeExportCsv } from '../../bench/import.ts'
import { type Database, getCard, listCardTransactions } from '../../db/index.ts'
import { importFile } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-import-'))
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'giftcards.js')

const CSV = `event_id,occurred_at,card_id,type,amount,currency,balance_after,location_id,customer_id,order_id,items
e1,2025-01-01T10:00:00Z,gc-1,activate,50.00,USD,50.00,L1,C1,o1,GC-50:gift_cards:50.00
e2,2025-01-02T10:00:00Z,gc-1,redeem,20.5,USD,,L2,,o2,APP-1:apparel:15;BOK-2:books:10.50
e3,not-a-date,gc-1,redeem,1,USD,,,,,
e4,2025-01-03T10:00:00Z,gc-1,redeem,100,USD,,,,,
e5,2025-01-04T10:00:00Z,gc-2,teleport,1,USD,,,,,
e6,2025-01-05T10:00:00Z,gc-2,load,1.234,USD,,,,,
e7,2025-01-06T10:00:00Z,gc-2,activate,10,USD,,,,o7,BAD
e8,2025-01-07T10:00:00Z,gc-3,activate,25,usd,,L1,,,
`

/** Cards and transactions as a digest: two ledgers with equal digests hold the same data. */
async function ledgerDigest(database: Database): Promise<string> {
  const hash = createHash('sha256')
  const cards = await database.db
    .selectFrom('gift_cards')
    .select(['id', 'balance_cents', 'status', 'last_activity_at', 'initial_value_cents'])
    .orderBy('id')
    .execute()
  const txs = await database.db
    .selectFrom('gift_card_transactions')
    .select(['event_id', 'card_id', 'amount_cents', 'balance_after_cents', 'occurred_at'])
    .orderBy('event_id')
    .execute()
  hash.update(JSON.stringify(cards))
  hash.update(JSON.stringify(txs))
  return hash.digest('hex')
}

afterAll(() => rmSync(dir, { recursive: true, force: true }))

for (const dialect of DIALECTS) {
  describe(`import on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
    })
    afterAll(async () => cleanup())

    it('takes the good rows and reports each bad one with its line number and reason', async () => {
      const path = join(dir, `small-${dialect.name}.csv`)
      writeFileSync(path, CSV)
      const report = await importFile(database, path, { format: 'csv' })
      expect(report.rows).toBe(8)
      expect(report.applied).toBe(3)
      expect(report.rejected.sort((a, b) => a.line - b.line)).toEqual([
        { line: 4, reason: 'occurred_at must be an ISO 8601 timestamp' },
        { line: 5, reason: expect.stringMatching(/event e4 would take card gc-1 below zero/) },
        {
          line: 6,
          reason: expect.stringMatching(
            /^type must be one of sale, activation, .*activate, load, redeem/,
          ),
        },
        {
          line: 7,
          reason: 'amount must be a decimal amount with at most two decimals, got "1.234"',
        },
        { line: 8, reason: 'items entry "BAD" is not sku:category:amount' },
      ])
      expect(await getCard(database.db, 'gc-1')).toMatchObject({
        balance_cents: 2950,
        issuing_location_id: 'L1',
        purchaser_customer_id: 'C1',
      })
      expect((await getCard(database.db, 'gc-3'))?.currency).toBe('USD')
      const items = await database.db
        .selectFrom('order_items')
        .select(['order_id', 'sku', 'amount_cents'])
        .where('order_id', 'in', ['o1', 'o2'])
        .orderBy('sku')
        .execute()
      expect(items).toEqual([
        { order_id: 'o2', sku: 'APP-1', amount_cents: 1500 },
        { order_id: 'o2', sku: 'BOK-2', amount_cents: 1050 },
        { order_id: 'o1', sku: 'GC-50', amount_cents: 5000 },
      ])
      // Unknown locations and customers became stub rows, with no PII.
      expect(
        await database.db
          .selectFrom('locations')
          .select(['id', 'jurisdiction'])
          .where('id', 'in', ['L1', 'L2'])
          .orderBy('id')
          .execute(),
      ).toEqual([
        { id: 'L1', jurisdiction: 'unknown' },
        { id: 'L2', jurisdiction: 'unknown' },
      ])
      expect(
        await database.db
          .selectFrom('customers')
          .select(['id', 'name', 'email'])
          .where('id', '=', 'C1')
          .execute(),
      ).toEqual([{ id: 'C1', name: null, email: null }])
    })

    it('adds nothing when the same file, or a copy of it, is imported again', async () => {
      const path = join(dir, `small-${dialect.name}.csv`)
      const before = await ledgerDigest(database)
      const again = await importFile(database, path, { format: 'csv' })
      expect(again.completedBefore).not.toBeNull()
      expect(again.rejectedTotal).toBe(5)
      const copy = join(dir, `copy-${dialect.name}.csv`)
      copyFileSync(path, copy)
      const fromCopy = await importFile(database, copy, { format: 'csv' })
      expect(fromCopy).toMatchObject({ applied: 0, duplicates: 3 })
      expect(await ledgerDigest(database)).toBe(before)
    })

    it('leaves out a row that cannot apply in a later transaction, reading that part of the file again, and counts each row once', async () => {
      // 40 cards, each activated for $10 then redeemed $1 a day; card 17's fifth redemption
      // asks for $50. Commits of 100 rows: the bad row sits in the third transaction.
      const lines = ['event_id,occurred_at,card_id,type,amount,currency']
      for (let day = 0; day < 6; day++)
        for (let card = 0; card < 40; card++) {
          const at = new Date(Date.UTC(2025, 2, 1 + day, 12, 0, card)).toISOString()
          const bad = card === 17 && day === 5
          lines.push(
            `long-${dialect.name}-${day}-${card},${at},gc-long-${card},${day === 0 ? 'activate' : 'redeem'},${day === 0 ? '10' : bad ? '50' : '1'},USD`,
          )
        }
      lines.splice(210, 0, 'broken,row') // in the same transaction as the bad row, before it
      const path = join(dir, `long-${dialect.name}.csv`)
      writeFileSync(path, `${lines.join('\n')}\n`)
      const seen: number[] = []
      const report = await importFile(database, path, {
        format: 'csv',
        batchSize: 100,
        onRejected: (row) => seen.push(row.line),
      })
      const badLine = 1 + 5 * 40 + 17 + 1 + 1 // header, five days, card 17, the broken row before it
      expect(seen).toEqual([211, badLine])
      expect(report).toMatchObject({ rows: 241, applied: 239, duplicates: 0 })
      expect(report.rejected.map((r) => r.line)).toEqual([211, badLine])
      expect(report.rejected[1]?.reason).toMatch(/would take card gc-long-17 below zero/)
      expect((await getCard(database.db, 'gc-long-17'))?.balance_cents).toBe(600)
      expect((await getCard(database.db, 'gc-long-3'))?.balance_cents).toBe(500)
      const checkpoint = await database.db
        .selectFrom('import_checkpoints')
        .select(['applied', 'rejected', 'completed_at'])
        .where('path', '=', path)
        .executeTakeFirstOrThrow()
      expect(checkpoint).toMatchObject({ applied: 239, rejected: 2 })
      expect(checkpoint.completed_at).not.toBeNull()
    })

    it('leaves out a row the database itself refuses when it is written, and keeps the rest of its transaction', async () => {
      // A rule of the ledger the importer does not know (a trigger): on SQLite the refusal is
      // only seen when the writer's thread commits, on PostgreSQL when the batch is inserted.
      const refused = `refused-${dialect.name}`
      if (dialect.name === 'sqlite') {
        await sql`create trigger refuse_row before insert on gift_card_transactions
          when new.event_id = ${sql.lit(refused)}
          begin select raise(abort, 'refused by the ledger'); end`.execute(database.db)
      } else {
        await sql`create function refuse_row() returns trigger language plpgsql as $$
          begin
            if new.event_id = ${sql.lit(refused)} then raise exception 'refused by the ledger'; end if;
            return new;
          end $$`.execute(database.db)
        await sql`create trigger refuse_row before insert on gift_card_transactions
          for each row execute function refuse_row()`.execute(database.db)
      }
      try {
        const lines = ['event_id,occurred_at,card_id,type,amount,currency']
        for (let n = 0; n < 250; n++) {
          const at = new Date(Date.UTC(2025, 4, 1, 12, 0, n)).toISOString()
          lines.push(
            `${n === 150 ? refused : `db-${dialect.name}-${n}`},${at},gc-db-${n % 25},${n < 25 ? 'activate' : 'load'},5,USD`,
          )
        }
        const path = join(dir, `refused-${dialect.name}.csv`)
        writeFileSync(path, `${lines.join('\n')}\n`)
        const report = await importFile(database, path, { format: 'csv', batchSize: 100 })
        expect(report).toMatchObject({ rows: 250, applied: 249, duplicates: 0 })
        expect(report.rejected).toEqual([
          { line: 152, reason: expect.stringMatching(/refused by the ledger/) },
        ])
        // Card 0 was loaded ten times ($5 each), one of them refused.
        expect((await getCard(database.db, 'gc-db-0'))?.balance_cents).toBe(4500)
        expect((await getCard(database.db, 'gc-db-1'))?.balance_cents).toBe(5000)
        const written = await database.db
          .selectFrom('gift_card_transactions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('card_id', 'like', 'gc-db-%')
          .executeTakeFirstOrThrow()
        expect(Number(written.n)).toBe(249)
      } finally {
        await sql`drop trigger refuse_row ${sql.raw(dialect.name === 'postgres' ? 'on gift_card_transactions' : '')}`.execute(
          database.db,
        )
      }
    })

    it('counts a repeated row and an overlapping export as duplicates, and goes back to expecting new rows after them', async () => {
      // The deferred writer's commits, as they end (SQLite only; PostgreSQL has no writer).
      const outcomes: string[] = []
      const open = database.adapter.openDeferredWriter
      const spied: Database = {
        ...database,
        adapter: {
          ...database.adapter,
          ...(open && {
            openDeferredWriter: () => {
              const writer = open()
              return {
                begin: () => writer.begin(),
                runEach: (text, rows, exact) => writer.runEach(text, rows, exact),
                execute: (text, parameters) => writer.execute(text, parameters),
                drain: (rows) => writer.drain(rows),
                commit: async () => {
                  const outcome = await writer.commit()
                  outcomes.push(outcome.ok ? 'ok' : outcome.reason)
                  return outcome
                },
                rollback: () => writer.rollback(),
                close: () => writer.close(),
              }
            },
          }),
        },
      }
      const head = 'event_id,occurred_at,card_id,type,amount,currency'
      const line = (n: number) =>
        `dup-${dialect.name}-${n},${new Date(Date.UTC(2025, 6, 1, 0, 0, n)).toISOString()},gc-dup-${n % 20},${n < 20 ? 'activate' : 'load'},2,USD`
      // 500 events; the 50th comes again as the 250th row, a transaction later.
      const rows = Array.from({ length: 500 }, (_, n) => line(n))
      rows.splice(249, 0, line(49))
      const first = join(dir, `dup-1-${dialect.name}.csv`)
      writeFileSync(first, `${head}\n${rows.join('\n')}\n`)
      expect(await importFile(spied, first, { format: 'csv', batchSize: 200 })).toMatchObject({
        rows: 501,
        applied: 500,
        duplicates: 1,
      })
      // Each card: activated with $2, then 24 loads of $2.
      expect((await getCard(database.db, 'gc-dup-9'))?.balance_cents).toBe(5000)
      if (open) expect(outcomes).toEqual(['ok', 'not written', 'ok'])

      // An export overlapping the first: its last 200 events, then 200 new ones.
      outcomes.length = 0
      const overlap = join(dir, `dup-2-${dialect.name}.csv`)
      const more = Array.from({ length: 200 }, (_, n) => line(500 + n))
      writeFileSync(overlap, `${head}\n${[...rows.slice(-200), ...more].join('\n')}\n`)
      expect(await importFile(spied, overlap, { format: 'csv', batchSize: 100 })).toMatchObject({
        rows: 400,
        applied: 200,
        duplicates: 200,
      })
      expect((await getCard(database.db, 'gc-dup-9'))?.balance_cents).toBe(7000)
      // Two transactions of rows in the ledger, looked up; the new ones go to the writer again
      // after one transaction finds none.
      if (open) expect(outcomes).toEqual(['not written', 'ok'])
    })

    it('raises one alert for redemptions of a card on hold, with the first as evidence', async () => {
      const head = 'event_id,occurred_at,card_id,type,amount,currency'
      const first = join(dir, `held-1-${dialect.name}.csv`)
      writeFileSync(
        first,
        `${head}\nheld-a-${dialect.name},2025-06-01T10:00:00Z,gc-held,activate,40,USD\n`,
      )
      await importFile(database, first, { format: 'csv' })
      await database.db
        .updateTable('gift_cards')
        .set({ status: 'held' })
        .where('id', '=', 'gc-held')
        .execute()
      const second = join(dir, `held-2-${dialect.name}.csv`)
      writeFileSync(
        second,
        `${head}\nheld-r1-${dialect.name},2025-06-02T10:00:00Z,gc-held,redeem,5,USD\nheld-r2-${dialect.name},2025-06-03T10:00:00Z,gc-held,redeem,7,USD\n`,
      )
      expect(await importFile(database, second, { format: 'csv' })).toMatchObject({ applied: 2 })
      const alerts = await database.db
        .selectFrom('fraud_alerts')
        .select(['rule', 'status', 'evidence'])
        .where('card_id', '=', 'gc-held')
        .execute()
      expect(alerts).toHaveLength(1)
      expect(alerts[0]).toMatchObject({ rule: 'held_card_redemption', status: 'open' })
      expect(JSON.parse(alerts[0]?.evidence ?? '{}').events[0].eventId).toBe(
        `held-r1-${dialect.name}`,
      )
      expect((await getCard(database.db, 'gc-held'))?.balance_cents).toBe(2800)
    })

    it('refuses a header without the required columns, naming them', async () => {
      const path = join(dir, `header-${dialect.name}.csv`)
      writeFileSync(path, 'event_id,card_id,type\nx,y,load\n')
      await expect(importFile(database, path, { format: 'csv' })).rejects.toThrow(
        'the CSV header lacks occurred_at, amount, currency',
      )
    })

    it('imports Square activities as JSON lines, keyed like the webhook', async () => {
      const path = join(dir, `square-${dialect.name}.jsonl`)
      const activation = {
        id: 'gcact_j1',
        type: 'ACTIVATE',
        gift_card_id: 'gftc:jsonl',
        location_id: 'LX',
        created_at: '2025-03-01T10:00:00Z',
        gift_card_balance_money: { amount: 2500, currency: 'USD' },
        activate_activity_details: { amount_money: { amount: 2500, currency: 'USD' } },
      }
      const redeem = {
        id: 'gcact_j2',
        type: 'REDEEM',
        gift_card_id: 'gftc:jsonl',
        created_at: '2025-03-02T10:00:00Z',
        gift_card_balance_money: { amount: 500, currency: 'USD' },
        redeem_activity_details: { amount_money: { amount: 2000, currency: 'USD' } },
      }
      writeFileSync(
        path,
        `${JSON.stringify(activation)}\n{not json\n${JSON.stringify({ ...redeem, type: 'TELEPORT' })}\n${JSON.stringify(redeem)}\n`,
      )
      const report = await importFile(database, path, { format: 'square-jsonl' })
      expect(report.applied).toBe(2)
      expect(report.rejected).toEqual([
        { line: 2, reason: 'not valid JSON' },
        { line: 3, reason: 'unknown Square activity type TELEPORT' },
      ])
      expect((await getCard(database.db, 'gftc:jsonl'))?.balance_cents).toBe(500)
      expect(
        (await listCardTransactions(database.db, 'gftc:jsonl')).map((t) => [t.source, t.event_id]),
      ).toEqual([
        ['square', 'gcact_j2'],
        ['square', 'gcact_j1'],
      ])
    })
  })
}

describe('an import killed half-way', () => {
  let csv: string
  beforeAll(async () => {
    csv = join(dir, 'export.csv')
    await writeExportCsv(csv, 30_000)
  }, 60_000)

  for (const dialect of DIALECTS) {
    it(`resumes on ${dialect.name} to the same rows as one clean import`, async () => {
      const killed = await dialect.open()
      const clean = await dialect.open()
      try {
        const env = {
          ...process.env,
          DATABASE_URL: databaseUrl(killed.database, dialect.name, join(dir, 'killed.db')),
        }
        const child = spawn(process.execPath, [BIN, 'import', csv, '--batch-size', '500'], {
          env,
          stdio: 'ignore',
        })
        // Kill -9 once some batches are committed and before the end.
        await until(async () => {
          const row = await killed.database.db
            .selectFrom('import_checkpoints')
            .select(['line', 'completed_at'])
            .executeTakeFirst()
          return (row?.line ?? 0) > 2000
        }, child)
        child.kill('SIGKILL')
        await new Promise((resolve) => child.once('exit', resolve))
        const partial = await killed.database.db
          .selectFrom('import_checkpoints')
          .select(['line', 'completed_at'])
          .executeTakeFirstOrThrow()
        expect(partial.completed_at).toBeNull()
        expect(partial.line).toBeLessThan(30_001)

        const resumed = await importFile(killed.database, csv, { format: 'csv' })
        expect(resumed.resumedAfterLine).toBe(partial.line)
        expect(resumed.rejected).toEqual([])
        await importFile(clean.database, csv, { format: 'csv' })
        expect(await ledgerDigest(killed.database)).toBe(await ledgerDigest(clean.database))
      } finally {
        await killed.cleanup()
        await clean.cleanup()
      }
    }, 120_000)
  }
})

/** The URL a child process needs to reach the same database (and, on PostgreSQL, schema). */
function databaseUrl(database: Database, engine: string, sqlitePath: string): string {
  if (engine === 'sqlite')
    return `sqlite:${database.describe.replace(/^sqlite:/, '') || sqlitePath}`
  const url = new URL(process.env.TEST_DATABASE_URL as string)
  url.searchParams.set('options', `-c search_path=${database.searchPath}`)
  return url.toString()
}

async function until(check: () => Promise<boolean>, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the import ended (exit ${child.exitCode}) before it could be killed`)
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the import never committed a batch')
}
