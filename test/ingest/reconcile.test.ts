import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/index.ts'
import { applyBatch, importFile, type ReconcileReport, reconcileFile } from '../../ingest/index.ts'
import { databaseUrl, runCli } from '../cli/run-cli.ts'
import { type FakeClover, startFakeClover } from '../fakes/clover-api.ts'
import { cardEvent } from '../helpers/card-event.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/**
 * `giftcards reconcile FILE` (docs/reconciliation.md) against a hand-built ledger: a file with
 * one card's balance $5 off, one event the ledger lacks and one event only the ledger has is
 * reported with exactly those three differences and exit 1; an equal file exits 0; bad rows
 * exit 2 naming their lines; the ledger is never written.
 */

const dir = mkdtempSync(join(tmpdir(), 'giftcards-reconcile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const HEADER = 'event_id,occurred_at,card_id,type,amount,currency,balance_after,location_id'
/** The ledger's import events, as an export would list them (card C at Downtown, B Uptown). */
const LEDGER_ROWS = [
  'a1,2026-11-01T10:00:00Z,gc_A,activate,50.00,USD,50.00,loc_dt',
  'a2,2026-11-02T10:00:00Z,gc_A,redeem,10.00,USD,40.00,loc_dt',
  'b1,2026-11-01T11:00:00Z,gc_B,activate,25.00,USD,,loc_up',
  'b2,2026-11-03T11:00:00Z,gc_B,redeem,5.00,USD,,loc_up',
  'c1,2026-11-01T12:00:00Z,gc_C,activate,100.00,USD,100.00,loc_dt',
  'c2,2026-11-04T12:00:00Z,gc_C,load,20.00,USD,120.00,loc_dt',
]

const event = cardEvent

/** The ledger: the rows above, an older import event, and another source's event in the window. */
async function buildLedger(database: Database): Promise<void> {
  const store = (id: string, name: string) => ({
    id,
    name,
    city: 'Albany',
    region: 'Northeast',
    jurisdiction: 'US-NY',
    timezone: 'America/New_York',
    latitude: null,
    longitude: null,
    opened_at: '2020-01-01T00:00:00.000Z',
  })
  await database.db
    .insertInto('locations')
    .values([store('loc_dt', 'Downtown Albany'), store('loc_up', 'Uptown Albany')])
    .execute()
  const dt = { locationId: 'loc_dt' }
  const up = { locationId: 'loc_up' }
  await applyBatch(database, {
    events: [
      event('import', 'a1', 'gc_A', 'activate', 5000, '2026-11-01T10:00:00Z', {
        ...dt,
        balanceAfterCents: 5000,
      }),
      event('import', 'a2', 'gc_A', 'redeem', -1000, '2026-11-02T10:00:00Z', {
        ...dt,
        balanceAfterCents: 4000,
      }),
      event('import', 'b1', 'gc_B', 'activate', 2500, '2026-11-01T11:00:00Z', up),
      event('import', 'b2', 'gc_B', 'redeem', -500, '2026-11-03T11:00:00Z', up),
      event('import', 'c1', 'gc_C', 'activate', 10000, '2026-11-01T12:00:00Z', {
        ...dt,
        balanceAfterCents: 10000,
      }),
      event('import', 'c2', 'gc_C', 'load', 2000, '2026-11-04T12:00:00Z', {
        ...dt,
        balanceAfterCents: 12000,
      }),
      // Before any file's window, and of another source: never "only in the ledger".
      event('import', 'old1', 'gc_D', 'activate', 3000, '2026-10-01T12:00:00Z', dt),
      event('generic', 'g1', 'gc_G', 'activate', 7000, '2026-11-02T12:00:00Z', up),
    ],
    cards: [],
  })
  // The card numbers' last four digits: A's its own, B and C sharing theirs.
  const digits = { gc_A: '1111', gc_B: '2222', gc_C: '2222' }
  for (const [id, last4] of Object.entries(digits))
    await database.db
      .updateTable('gift_cards')
      .set({ gan_last4: last4 })
      .where('id', '=', id)
      .execute()
}

/** Everything reconcile could write to, as one value. */
async function ledgerState(database: Database): Promise<string> {
  const tables = [
    'gift_cards',
    'gift_card_transactions',
    'import_checkpoints',
    'locations',
  ] as const
  const out: unknown[] = []
  for (const t of tables) out.push(await database.db.selectFrom(t).selectAll().execute())
  return JSON.stringify(out)
}

for (const dialect of DIALECTS) {
  describe(`reconcile on ${dialect.name}`, () => {
    let database: Database
    let env: Record<string, string>
    useDatabase(dialect, async (d) => {
      database = d
      env = { DATABASE_URL: databaseUrl(d), AUDIT_CHECKPOINT_FILE: 'off' }
      await buildLedger(d)
    })
    const file = (name: string, text: string) => {
      const path = join(dir, `${dialect.name}-${name}`)
      writeFileSync(path, text)
      return path
    }

    it('reports an equal export as equal, exit 0', async () => {
      const path = file('equal.csv', `${[HEADER, ...LEDGER_ROWS].join('\n')}\n`)
      const run = await runCli(['reconcile', path], env)
      expect(run.stdout).toContain('no difference: the file and the ledger agree')
      expect(run.code).toBe(0)
      const report = (await reconcileFile(database, path)) as ReconcileReport
      expect(report).toMatchObject({
        format: 'csv',
        source: 'import',
        events: 6,
        cardsCompared: 2,
        equal: true,
        window: { from: '2026-11-01T10:00:00.000Z', to: '2026-11-04T12:00:00.000Z' },
      })
    })

    it('reports exactly a $5 balance difference, an event missing from the ledger and one only in it, exit 1, and writes nothing', async () => {
      const rows = LEDGER_ROWS.filter((r) => !r.startsWith('b2,')).map((r) =>
        r.startsWith('c2,') ? r.replace(',120.00,', ',125.00,') : r,
      )
      rows.push('n1,2026-11-03T15:00:00Z,gc_N,activate,15.00,USD,,loc_up')
      const path = file('differs.csv', `${[HEADER, ...rows].join('\n')}\n`)
      const out = join(dir, `${dialect.name}-differences.csv`)
      const before = await ledgerState(database)
      const run = await runCli(['reconcile', path, '--json', '--out', out], env)
      expect(run.code).toBe(1)
      const report = JSON.parse(run.stdout) as ReconcileReport
      expect(report.counts).toEqual({ balances: 1, missingFromLedger: 1, onlyInLedger: 1 })
      expect(report.balances).toEqual([
        {
          cardId: 'gc_C',
          last4: expect.any(String),
          store: { id: 'loc_dt', name: 'Downtown Albany' },
          asOf: '2026-11-04T12:00:00.000Z',
          fileCents: 12500,
          ledgerCents: 12000,
          differenceCents: 500,
          explainedCents: 0,
          line: 6,
        },
      ])
      expect(report.missingFromLedger).toEqual([
        {
          source: 'import',
          eventId: 'n1',
          cardId: 'gc_N',
          type: 'activate',
          amountCents: 1500,
          occurredAt: '2026-11-03T15:00:00.000Z',
          store: { id: 'loc_up', name: 'Uptown Albany' },
          line: 7,
        },
      ])
      expect(report.onlyInLedger).toEqual([
        {
          source: 'import',
          eventId: 'b2',
          cardId: 'gc_B',
          type: 'redeem',
          amountCents: -500,
          occurredAt: '2026-11-03T11:00:00.000Z',
          store: { id: 'loc_up', name: 'Uptown Albany' },
        },
      ])
      // file − ledger: +$5 on C, +$15 of n1, and b2's −$5 the file lacks.
      expect(report.netDifferenceCents).toBe(500 + 1500 + 500)
      const csv = readFileSync(out, 'utf8').trim().split('\r\n')
      expect(csv).toHaveLength(4)
      expect(csv[1]).toMatch(/^balance,gc_C,/)
      expect(csv[2]).toMatch(/^missing_from_ledger,gc_N,,n1,import,activate,/)
      expect(csv[3]).toMatch(/^only_in_ledger,gc_B,,b2,import,redeem,/)
      expect(await ledgerState(database)).toBe(before)

      const human = await runCli(['reconcile', path], env)
      expect(human.code).toBe(1)
      expect(human.stdout).toContain(
        '1 card balance differs, 1 event missing from the ledger, 1 only in the ledger',
      )
      expect(human.stdout).toContain('net difference (file − ledger): +$25.00')
      expect(human.stdout).toContain('gc_C')
      expect(human.stdout).toContain(
        'Downtown Albany (loc_dt): file $125.00, ledger $120.00, +$5.00',
      )
      expect(human.stdout).toMatch(
        /n1 2026-11-03T15:00:00.000Z activate \$15.00 on gc_N at Uptown Albany/,
      )
      expect(human.stdout).toMatch(
        /b2 2026-11-03T11:00:00.000Z redeem -\$5.00 on gc_B at Uptown Albany/,
      )
    })

    it('counts ledger-only events on the cards the file names only, with --cards-in-file', async () => {
      const rows = LEDGER_ROWS.filter((r) => !r.startsWith('b'))
      const path = file('no-b.csv', `${[HEADER, ...rows].join('\n')}\n`)
      const all = await reconcileFile(database, path)
      expect(all.onlyInLedger.map((e) => e.eventId)).toEqual(['b1', 'b2'])
      const named = await runCli(['reconcile', path, '--cards-in-file'], env)
      expect(named.code).toBe(0)
    })

    it('exits 2 on bad rows, each reported by its line, and compares nothing', async () => {
      const path = file(
        'bad.csv',
        `${[HEADER, LEDGER_ROWS[0], 'x2,yesterday,gc_A,redeem,1.00,USD,,', 'x3,2026-11-01T10:00:00Z,gc_A,teleport,1.00,USD,,', LEDGER_ROWS[1]].join('\n')}\n`,
      )
      const run = await runCli(['reconcile', path], env)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`${path}:3: occurred_at must be an ISO 8601 timestamp`)
      expect(run.stderr).toMatch(
        new RegExp(`${path.replace(/[.\\]/g, '\\$&')}:4: type must be one of`),
      )
      expect(run.stdout).toContain('2 of 4 rows cannot be read')
      const json = JSON.parse(
        (await runCli(['reconcile', path, '--json'], env)).stdout,
      ) as ReconcileReport
      expect(json.badRows.map((r) => r.line)).toEqual([3, 4])
      expect(json.counts).toEqual({ balances: 0, missingFromLedger: 0, onlyInLedger: 0 })
      const header = file('bad-header.csv', 'event_id,card_id\nx,y\n')
      const refused = await runCli(['reconcile', header], env)
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('the CSV header lacks occurred_at')
      const missing = await runCli(['reconcile', join(dir, 'no-such-file.csv')], env)
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain('cannot read')
      // An empty file, or a header alone, agrees with nothing: it is not "no difference".
      for (const text of ['', `${HEADER}\n`]) {
        const empty = await runCli(['reconcile', file('empty.csv', text)], env)
        expect(empty.code).toBe(2)
        expect(empty.stderr).toContain('has no rows: there is nothing to compare')
      }
    })

    it('compares a balances file as of each row, by card id or unambiguous last four digits', async () => {
      const equal = file(
        'balances-equal.csv',
        // B held $25 before its redemption on 11-03; C $100 before its load on 11-04.
        `card_id,balance,as_of\ngc_A,40.00,2026-11-05T00:00:00Z\ngc_B,25.00,2026-11-02T00:00:00Z\ngc_C,100.00,2026-11-02T00:00:00Z\ngc_G,70.00,\n`,
      )
      const ok = await runCli(['reconcile', equal], env)
      expect(ok.stdout).toContain('no difference')
      expect(ok.code).toBe(0)
      const differs = file(
        'balances-differ.csv',
        `card_id,balance_cents,as_of\ngc_B,2000,2026-11-02T00:00:00Z\ngc_ZZ,300,\n`,
      )
      const run = await runCli(['reconcile', differs, '--json'], env)
      expect(run.code).toBe(1)
      const report = JSON.parse(run.stdout) as ReconcileReport
      expect(report.format).toBe('balances')
      expect(report.balances).toEqual([
        expect.objectContaining({
          cardId: 'gc_B',
          fileCents: 2000,
          ledgerCents: 2500,
          differenceCents: -500,
          line: 2,
        }),
        expect.objectContaining({
          cardId: 'gc_ZZ',
          fileCents: 300,
          ledgerCents: null,
          differenceCents: 300,
          asOf: null,
          line: 3,
        }),
      ])
      expect(report.netDifferenceCents).toBe(-200)
      // By the last four digits: A's are its own, B and C share theirs (ambiguous: bad input).
      const byDigits = file('balances-last4.csv', 'gan_last4,balance\n1111,40.00\n')
      expect((await runCli(['reconcile', byDigits], env)).code).toBe(0)
      const offByDigits = file('balances-last4-off.csv', 'gan_last4,balance\n1111,41.00\n')
      const off = await reconcileFile(database, offByDigits)
      expect(off.balances).toEqual([
        expect.objectContaining({ cardId: 'gc_A', last4: '1111', differenceCents: 100 }),
      ])
      const ambiguous = file('balances-ambiguous.csv', 'gan_last4,balance\n2222,40.00\n')
      const read = await runCli(['reconcile', ambiguous], env)
      expect(read.code).toBe(2)
      expect(read.stderr).toContain(':2: 2 cards end in 2222: name the card by card_id')
      const duplicate = file('balances-twice.csv', 'card_id,balance\ngc_A,40.00\ngc_A,40.00\n')
      const twice = await runCli(['reconcile', duplicate], env)
      expect(twice.code).toBe(2)
      expect(twice.stderr).toContain(':3: the card is on line 2 already')
    })

    it('reads Square activity JSON lines as the import does, matched as square events', async () => {
      const activity = (id: string, type: string, at: string, amount: number, balance: number) => ({
        id,
        type,
        gift_card_id: 'gftc:rec',
        location_id: 'loc_dt',
        created_at: at,
        gift_card_balance_money: { amount: balance, currency: 'USD' },
        [`${type.toLowerCase()}_activity_details`]: { amount_money: { amount, currency: 'USD' } },
      })
      const activate = activity('gcact_r1', 'ACTIVATE', '2026-11-10T10:00:00Z', 5000, 5000)
      const redeem = activity('gcact_r2', 'REDEEM', '2026-11-11T10:00:00Z', 2000, 3000)
      const later = activity('gcact_r3', 'REDEEM', '2026-11-12T10:00:00Z', 1000, 2000)
      const imported = file(
        'square.jsonl',
        `${JSON.stringify(activate)}\n${JSON.stringify(redeem)}\n`,
      )
      await importFile(database, imported, { format: 'square-jsonl' })
      expect((await reconcileFile(database, imported)).equal).toBe(true)
      const path = file(
        'square-more.jsonl',
        `${[activate, redeem, later].map((a) => JSON.stringify(a)).join('\n')}\n`,
      )
      const report = await reconcileFile(database, path)
      expect(report).toMatchObject({ format: 'square-jsonl', source: 'square', events: 3 })
      expect(report.missingFromLedger).toEqual([
        expect.objectContaining({
          eventId: 'gcact_r3',
          cardId: 'gftc:rec',
          amountCents: -1000,
          line: 3,
        }),
      ])
      // The balance Square reports after r3 is $10 under the ledger's, all of it by r3.
      expect(report.balances).toEqual([
        expect.objectContaining({
          cardId: 'gftc:rec',
          fileCents: 2000,
          ledgerCents: 3000,
          differenceCents: -1000,
          explainedCents: -1000,
        }),
      ])
      expect(report.netDifferenceCents).toBe(-1000)
      expect(report.onlyInLedger).toEqual([])
    })
  })
}

for (const dialect of DIALECTS)
  describe(`reconcile --source clover against the loopback Clover API on ${dialect.name}`, () => {
    let database: Database
    let clover: FakeClover
    let env: Record<string, string>
    const MERCHANT = 'ZZ1PW2VCQJTKM'
    useDatabase(dialect, async (d) => {
      database = d
      clover = await startFakeClover({ [MERCHANT]: 'clover-token' })
      const cards = join(dir, 'clover-cards.csv')
      writeFileSync(cards, 'card_id,last4,token\ncv-same,1111,clv_same\ncv-spent,2222,clv_spent\n')
      env = {
        DATABASE_URL: databaseUrl(d),
        AUDIT_CHECKPOINT_FILE: 'off',
        CLOVER_MERCHANTS: `${MERCHANT}=clover-token`,
        CLOVER_GIFT_CARD_BASE_URL: clover.url,
        CLOVER_GIFT_CARDS_FILE: cards,
      }
      await applyBatch(d, {
        events: ['cv-same', 'cv-spent'].map((id) =>
          event('clover', `act-${id}`, id, 'activate', 5000, '2026-11-01T10:00:00Z'),
        ),
        cards: [],
      })
    })
    afterAll(async () => clover.close())

    it('reports the card whose Clover balance differs, exit 1, and adjusts nothing; an unread card exits 2', async () => {
      clover.balances.set('clv_same', 5000)
      clover.balances.set('clv_spent', 3000)
      const run = await runCli(['reconcile', '--source', 'clover', '--json'], env)
      expect(run.code).toBe(1)
      const report = JSON.parse(run.stdout) as ReconcileReport
      expect(report).toMatchObject({
        format: 'clover-api',
        cardsCompared: 2,
        netDifferenceCents: -2000,
      })
      expect(report.balances).toEqual([
        expect.objectContaining({
          cardId: 'cv-spent',
          fileCents: 3000,
          ledgerCents: 5000,
          differenceCents: -2000,
        }),
      ])
      expect(clover.requests.filter((r) => r.path === '/v1/balance_inquiry')).toHaveLength(2)
      const rows = await database.db
        .selectFrom('gift_card_transactions')
        .select('event_id')
        .execute()
      expect(rows).toHaveLength(2)
      clover.balances.set('clv_spent', 5000)
      expect((await runCli(['reconcile', '--source', 'clover'], env)).code).toBe(0)
      clover.balances.delete('clv_spent')
      const unread = await runCli(['reconcile', '--source', 'clover'], env)
      expect(unread.code).toBe(2)
      expect(unread.stderr).toContain('not read: cv-spent: ')
      const both = await runCli(['reconcile', 'x.csv', '--source', 'clover'], env)
      expect(both.code).toBe(2)
      expect(both.stderr).toContain('give a FILE or --source clover, one of the two')
    })
  })
