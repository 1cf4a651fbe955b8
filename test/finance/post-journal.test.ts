import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Scheduler } from '../../app/index.ts'
import { type Config, loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { type Actor, grantRole } from '../../governance/index.ts'
import { createToolkit, type PendingApproval, type Toolkit } from '../../tools/index.ts'
import { type FakeQuickBooks, startFakeQuickBooks } from '../fakes/quickbooks-api.ts'
import { DIALECTS, type Dialect, useDatabase } from '../helpers/dialects.ts'
import { writeHandLedger } from './hand-ledger.ts'

const REALM = '9130357992221046'
const TOKEN = 'qbo-test-access-token'
const ANALYST: Actor = { id: 'cli:ann', role: 'analyst' }
const MANAGER: Actor = { id: 'cli:max', role: 'manager' }

/** The QuickBooks accounts and the stores as Departments (QuickBooks "Locations"). */
const ACCOUNTS = {
  giftCardLiability: { name: 'Gift Card Liability', quickbooksId: '87' },
  breakageRevenue: { name: 'Breakage Revenue', quickbooksId: '88' },
  unclaimedPropertyPayable: { name: 'Unclaimed Property Payable', quickbooksId: '89' },
  unclaimedPropertyByState: { 'US-NY': { name: 'NY Unclaimed Property', quickbooksId: '90' } },
  locations: { loc_a: { quickbooksId: '1' }, loc_b: { quickbooksId: '2' } },
}

type Line = {
  Description: string
  Amount: number
  DetailType: string
  JournalEntryLineDetail: {
    PostingType: string
    AccountRef: { value: string; name: string }
    DepartmentRef?: { value: string }
  }
}
const line = (
  amount: number,
  posting: string,
  account: [string, string],
  dept: string,
  d: string,
) => ({
  Description: d,
  Amount: amount,
  DetailType: 'JournalEntryLineDetail',
  JournalEntryLineDetail: {
    PostingType: posting,
    AccountRef: { value: account[0], name: account[1] },
    DepartmentRef: { value: dept },
  },
})
const GCL: [string, string] = ['87', 'Gift Card Liability']
const REV: [string, string] = ['88', 'Breakage Revenue']

/** What each suite below works with: the hand-built ledger, a QuickBooks fake, the toolkit. */
type Setup = { database: Database; qbo: FakeQuickBooks; kit: Toolkit; config: Config }

/**
 * Registers the hooks that write the hand-built ledger (with a manager), start the QuickBooks
 * fake and configure the accounts and a stated 20% breakage rate (the same estimate both month
 * ends, so every figure is worked by hand); the returned object is filled in when they run.
 */
function useJournalLedger(dialect: Dialect, env: Record<string, string> = {}): Setup {
  const setup = {} as Setup
  let dir = ''
  beforeAll(async () => {
    setup.qbo = await startFakeQuickBooks({
      realmId: REALM,
      token: TOKEN,
      accounts: ['87', '88', '89', '90'],
    })
  })
  afterAll(async () => {
    await setup.qbo.close()
    rmSync(dir, { recursive: true, force: true })
  })
  useDatabase(dialect, async (d) => {
    setup.database = d
    await writeHandLedger(d)
    await grantRole(d, MANAGER.id, 'manager')
    dir = mkdtempSync(join(tmpdir(), 'giftcards-journal-'))
    writeFileSync(join(dir, 'accounts.json'), JSON.stringify(ACCOUNTS))
    setup.config = loadConfig({
      JOURNAL_ACCOUNTS: join(dir, 'accounts.json'),
      JOURNAL_BREAKAGE_RATE: '0.2',
      QUICKBOOKS_BASE_URL: setup.qbo.url,
      QUICKBOOKS_REALM_ID: REALM,
      QUICKBOOKS_ACCESS_TOKEN: TOKEN,
      ...env,
    })
    setup.kit = createToolkit(d, setup.config)
  })
  return setup
}

for (const dialect of DIALECTS) {
  describe(`posting October 2026 to a QuickBooks fake on ${dialect.name}`, () => {
    const setup = useJournalLedger(dialect)
    const call = async (tool: string, args: unknown, actor: Actor) => {
      const outcome = await setup.kit.executor.call(tool, args, { actor, via: 'cli' })
      if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`)
      return outcome.data
    }

    it('files for approval, posts once when another manager approves, body field by field', async () => {
      // An analyst may ask; nothing reaches QuickBooks on asking.
      const pending = (await call(
        'post_journal_entries',
        { month: '2026-10' },
        ANALYST,
      )) as PendingApproval
      expect(pending.status).toBe('pending_approval')
      expect(pending.summary).toBe(
        'Post the gift card journal entries of 2026-10 to QuickBooks: GCJ-2026-10-BRK $6.36, GCJ-2026-10-ESC $82.00, GCJ-2026-10-TRU $3.52',
      )
      expect(setup.qbo.requests).toHaveLength(0)
      // The requester cannot approve their own request.
      await expect(
        setup.kit.approvals.decide(pending.approvalId, {
          actor: ANALYST,
          via: 'cli',
          decision: 'approve',
        }),
      ).rejects.toThrow()
      // QuickBooks fails once: the retry carries the same requestid and makes one entry.
      setup.qbo.failNext.push(503)
      const decided = await setup.kit.approvals.decide(pending.approvalId, {
        actor: MANAGER,
        via: 'cli',
        decision: 'approve',
      })
      expect(decided.approval.status).toBe('executed')
      expect(setup.qbo.requests).toHaveLength(4)
      const [failed, retried] = setup.qbo.requests
      expect(retried?.query.get('requestid')).toBe(failed?.query.get('requestid'))
      for (const r of setup.qbo.requests) {
        expect(r.method).toBe('POST')
        expect(r.path).toBe(`/v3/company/${REALM}/journalentry`)
        expect(r.authorization).toBe(`Bearer ${TOKEN}`)
        expect(r.contentType).toBe('application/json')
        expect(r.query.get('minorversion')).toBe('75')
        expect(r.query.get('requestid')).toMatch(/^GCJ-2026-10-(BRK|ESC|TRU)-[0-9a-f]{16}$/)
      }
      expect(setup.qbo.entries).toHaveLength(3)
      const bodies = setup.qbo.requests.slice(1).map((r) => r.body)
      const brk = 'Gift card breakage 2026-10 (ASC 606-10-55-48 proportional method)'
      const esc =
        'Gift card balances past their unclaimed-property deadline 2026-10 (ASC 606-10-55-49)'
      const tru = 'Gift card breakage true-up 2026-10: change of estimate to date'
      // At 20% both days (the pools worked in test/finance/journal.test.ts, at 20% → 25% there):
      // loc_a/US-FL/2025-01 recognises 1000 × 1200 / 8800 = 136; S₁ = 1000 × 5000 / 9000 = 556,
      // true-up 556 − 545 − 136 = −125. loc_b/US-FL/2026-09: 2000 × 1000 / 4000 = 500; S₁ =
      // 600 × 2000 / 4400 = 273, true-up 273 − 0 − 500 = −227; the other pools' S do not move.
      expect(bodies[0]).toEqual({
        DocNumber: 'GCJ-2026-10-BRK',
        TxnDate: '2026-10-31',
        PrivateNote: brk,
        Line: [
          line(1.36, 'Debit', GCL, '1', `${brk} (Albany)`),
          line(1.36, 'Credit', REV, '1', `${brk} (Albany)`),
          line(5, 'Debit', GCL, '2', `${brk} (Boca Raton)`),
          line(5, 'Credit', REV, '2', `${brk} (Boca Raton)`),
        ],
      })
      const ny = 'US-NY unclaimed property: 1 card past deadline'
      const de = 'US-DE unclaimed property: 1 card past deadline'
      expect(bodies[1]).toEqual({
        DocNumber: 'GCJ-2026-10-ESC',
        TxnDate: '2026-10-31',
        PrivateNote: esc,
        Line: [
          line(70, 'Debit', GCL, '1', `${ny} (Albany)`),
          // New York's own payable account; Delaware falls back to the one.
          line(70, 'Credit', ['90', 'NY Unclaimed Property'], '1', `${ny} (Albany)`),
          line(12, 'Debit', GCL, '2', `${de} (Boca Raton)`),
          line(12, 'Credit', ['89', 'Unclaimed Property Payable'], '2', `${de} (Boca Raton)`),
        ],
      })
      // A negative true-up reverses: Dr breakage revenue, Cr gift card liability.
      expect(bodies[2]).toEqual({
        DocNumber: 'GCJ-2026-10-TRU',
        TxnDate: '2026-10-31',
        PrivateNote: tru,
        Line: [
          line(1.25, 'Credit', GCL, '1', `${tru} (Albany)`),
          line(1.25, 'Debit', REV, '1', `${tru} (Albany)`),
          line(2.27, 'Credit', GCL, '2', `${tru} (Boca Raton)`),
          line(2.27, 'Debit', REV, '2', `${tru} (Boca Raton)`),
        ],
      })
      for (const b of bodies as { Line: Line[] }[]) {
        const sum = (t: string) =>
          b.Line.filter((l) => l.JournalEntryLineDetail.PostingType === t).reduce(
            (s, l) => s + Math.round(l.Amount * 100),
            0,
          )
        expect(sum('Debit')).toBe(sum('Credit'))
      }
      const rows = await setup.database.db
        .selectFrom('journal_postings')
        .select(['month', 'entry', 'external_id', 'remote_id', 'amount_cents', 'approval_id'])
        .orderBy('external_id')
        .execute()
      expect(
        rows.map((r) => ({
          ...r,
          amount_cents: Number(r.amount_cents),
          approval_id: Number(r.approval_id),
        })),
      ).toEqual([
        {
          month: '2026-10',
          entry: 'breakage',
          external_id: 'GCJ-2026-10-BRK',
          remote_id: '100',
          amount_cents: 636,
          approval_id: pending.approvalId,
        },
        {
          month: '2026-10',
          entry: 'escheat',
          external_id: 'GCJ-2026-10-ESC',
          remote_id: '101',
          amount_cents: 8200,
          approval_id: pending.approvalId,
        },
        {
          month: '2026-10',
          entry: 'true_up',
          external_id: 'GCJ-2026-10-TRU',
          remote_id: '102',
          amount_cents: 352,
          approval_id: pending.approvalId,
        },
      ])
      expect(decided.approval.outcome).toEqual({
        month: '2026-10',
        posted: [
          { externalId: 'GCJ-2026-10-BRK', quickbooksId: '100', amount: '$6.36' },
          { externalId: 'GCJ-2026-10-ESC', quickbooksId: '101', amount: '$82.00' },
          { externalId: 'GCJ-2026-10-TRU', quickbooksId: '102', amount: '$3.52' },
        ],
        alreadyPosted: [],
      })
    })

    it('refuses a second post of a posted month, asked for or already approved', async () => {
      const outcome = await setup.kit.executor.call(
        'post_journal_entries',
        { month: '2026-10' },
        { actor: ANALYST, via: 'cli' },
      )
      expect(outcome.ok).toBe(false)
      if (!outcome.ok) {
        expect(outcome.error.code).toBe('CONFLICT')
        expect(outcome.error.message).toMatch(/posted already .*GCJ-2026-10-BRK as QuickBooks #100/)
      }
      expect(setup.qbo.entries).toHaveLength(3)
      // Two requests for September filed before either ran: the second approved one posts nothing.
      const first = (await call(
        'post_journal_entries',
        { month: '2026-09' },
        ANALYST,
      )) as PendingApproval
      const second = (await call(
        'post_journal_entries',
        { month: '2026-09' },
        ANALYST,
      )) as PendingApproval
      const approve = (id: number) =>
        setup.kit.approvals.decide(id, { actor: MANAGER, via: 'cli', decision: 'approve' })
      expect((await approve(first.approvalId)).approval.status).toBe('executed')
      const posted = setup.qbo.entries.length
      const again = await approve(second.approvalId)
      expect(again.approval.status).toBe('failed')
      expect(JSON.stringify(again.approval.outcome)).toMatch(/2026-09 are posted already/)
      expect(setup.qbo.entries).toHaveLength(posted)
    })

    it('lets an analyst prepare the entries in chat; a read that posts and stores nothing', async () => {
      const before = setup.qbo.requests.length
      const view = (await call('prepare_journal_entries', { month: '2026-10' }, ANALYST)) as {
        entries: { externalId: string; total: { cents: number } }[]
        owedToStates: { jurisdiction: string; due: { cents: number } }[]
        method: { estimator: { name: string } }
      }
      expect(view.entries.map((e) => [e.externalId, e.total.cents])).toEqual([
        ['GCJ-2026-10-BRK', 636],
        ['GCJ-2026-10-ESC', 8200],
        ['GCJ-2026-10-TRU', 352],
      ])
      expect(view.owedToStates.map((s) => [s.jurisdiction, s.due.cents])).toEqual([
        ['US-DE', 3700],
        ['US-NY', 7000],
      ])
      expect(view.method.estimator.name).toBe('fixed breakage rate 0.2')
      expect(setup.qbo.requests.length).toBe(before)
      const bad = await setup.kit.executor.call(
        'prepare_journal_entries',
        { month: 'november' },
        { actor: ANALYST, via: 'cli' },
      )
      expect(bad.ok).toBe(false)
      if (!bad.ok) expect(bad.error.code).toBe('INVALID_INPUT')
    })
  })
}

for (const dialect of DIALECTS) {
  describe(`the monthly close job on ${dialect.name}`, () => {
    const setup = useJournalLedger(dialect, { AUDIT_CHECKPOINT_FILE: 'off' })
    let clock = new Date('2026-11-02T11:00:00Z')

    it("files last month's close for a manager's approval; a posted month is said, not filed again", async () => {
      const jobs = new Scheduler(
        { database: setup.database, config: setup.config, toolkit: setup.kit },
        { now: () => clock, instance: 'journal-job' },
      )
      const october = await jobs.runNow('journal-close', { requestedBy: 'cli:ops' })
      expect(october.status).toBe('succeeded')
      expect(october.summary).toBe(
        '2026-10: 3 entries (fixed breakage rate 0.2): GCJ-2026-10-BRK $6.36, GCJ-2026-10-ESC $82.00, GCJ-2026-10-TRU $3.52; filed for approval as #1',
      )
      // Filed, not posted: QuickBooks has heard nothing until a manager approves.
      expect(setup.qbo.requests).toHaveLength(0)
      expect(await setup.kit.approvals.get(1)).toMatchObject({
        status: 'pending',
        requestedBy: 'system:scheduler',
        action: 'post_journal_entries',
      })
      const decided = await setup.kit.approvals.decide(1, {
        actor: MANAGER,
        via: 'cli',
        decision: 'approve',
      })
      expect(decided.approval.status).toBe('executed')
      expect(setup.qbo.entries).toHaveLength(3)
      // A second run of the same month (jobs run, a minute later) files nothing and says why.
      clock = new Date('2026-11-02T11:01:00Z')
      const again = await jobs.runNow('journal-close', { requestedBy: 'cli:ops' })
      expect(again.status).toBe('succeeded')
      expect(again.summary).toMatch(
        /^2026-10: 3 entries .*; not filed: post_journal_entries: CONFLICT: /,
      )
      // November saw no redemption or deadline: nothing to post, nothing filed.
      clock = new Date('2026-12-02T11:00:00Z')
      const november = await jobs.runNow('journal-close', { requestedBy: 'cli:ops' })
      expect(november.summary).toMatch(/^2026-11: 0 entries .*; nothing to post$/)
      expect(setup.qbo.entries).toHaveLength(3)
    })
  })
}
