import { describe, expect, it } from 'vitest'
import { HOUR_MS, loadConfig } from '../../core/index.ts'
import { type Database, openDatabase } from '../../db/index.ts'
import {
  type ApprovalExecutor,
  ApprovalService,
  ledgerOnlyRouter,
  ONLY_ANOTHER_MANAGER,
  verifyAudit,
  whyCannotDecide,
} from '../../governance/index.ts'
import { applyBatch } from '../../ingest/index.ts'
import { createToolkit, type PendingApproval, type Toolkit } from '../../tools/index.ts'
import { type FakeSquare, startFakeSquare } from '../fakes/square-api.ts'
import { ACTORS, type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { eventually } from '../helpers/eventually.ts'
import { heldExecutors, squareRouter } from '../helpers/held-executors.ts'

for (const dialect of DIALECTS) {
  describe(`approvals on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let kit: Toolkit
    let clock = Date.now()
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 200)
      kit = createToolkit(d, fixture.config, { now: () => clock })
    })

    const requestHold = async (card: string) => {
      const outcome = await kit.executor.call(
        'place_card_hold',
        { card, reason: 'card testing on terminal 3' },
        { actor: ACTORS.lp, via: 'cli' },
      )
      if (!outcome.ok) throw new Error(outcome.error.message)
      return outcome.data as PendingApproval
    }
    const cardRow = (id: string) =>
      database.db
        .selectFrom('gift_cards')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    const holds = (id: string) =>
      database.db.selectFrom('card_holds').selectAll().where('card_id', '=', id).execute()
    const freshCard = async () => {
      const used = new Set(
        (await database.db.selectFrom('card_holds').select('card_id').execute()).map(
          (h) => h.card_id,
        ),
      )
      const rows = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('status', '=', 'active')
        .where('balance_cents', '>', 0)
        .orderBy('id')
        .execute()
      const row = rows.find((r) => !used.has(r.id) && r.id !== fixture.piiCard)
      if (!row) throw new Error('no fresh card')
      return row.id
    }

    it('one rule on every face: a manager or an admin who did not request it decides (docs/identity.md#roles)', async () => {
      // Every face (CLI, Slack, dashboard, MCP app) decides through ApprovalService.decide, and
      // shows its buttons from whyCannotDecide: this is the rule all of them get.
      const filed = await requestHold(await freshCard())
      const approval = await kit.approvals.get(filed.approvalId)
      expect(whyCannotDecide(ACTORS.manager, approval)).toBeNull()
      expect(whyCannotDecide(ACTORS.admin, approval)).toBeNull()
      expect(whyCannotDecide(ACTORS.lp, approval)).toBe(
        `${ONLY_ANOTHER_MANAGER} (cli:lp is loss_prevention; managers and admins decide approvals)`,
      )
      expect(whyCannotDecide(ACTORS.analyst, approval)).toBe(
        `${ONLY_ANOTHER_MANAGER} (cli:ana is analyst; managers and admins decide approvals)`,
      )
      expect(
        whyCannotDecide({ id: 'cli:root', role: 'admin' }, { id: 9, requestedBy: 'cli:root' }),
      ).toMatch(/requested by cli:root/)
      await expect(
        kit.approvals.decide(approval.id, {
          actor: ACTORS.analyst,
          via: 'cli',
          decision: 'approve',
        }),
      ).rejects.toThrow('cli:ana is analyst; managers and admins decide approvals')
      // An admin who is not a manager approves like one: the role table says roles grow.
      const decided = await kit.approvals.decide(approval.id, {
        actor: ACTORS.admin,
        via: 'dashboard',
        decision: 'approve',
      })
      expect(decided).toMatchObject({
        changed: true,
        approval: { status: 'executed', decidedBy: 'cli:root' },
      })
    })

    it('a write tool files a request with what a manager needs, and changes nothing yet', async () => {
      const card = await freshCard()
      const before = await cardRow(card)
      const pending = await requestHold(card)
      expect(pending).toMatchObject({ status: 'pending_approval', action: 'place_card_hold' })
      expect(pending.summary).toContain(card)
      expect(pending.details).toMatchObject({
        cardId: card,
        balance: { cents: before.balance_cents },
      })
      expect(pending.approvers).toContain('a manager other than cli:lp')
      expect((await cardRow(card)).status).toBe('active')
      expect(await holds(card)).toHaveLength(0)
    })

    it('the requester cannot approve, nor can an analyst or loss prevention; a manager can, once', async () => {
      const card = await freshCard()
      const { approvalId } = await requestHold(card)
      for (const actor of [ACTORS.lp, ACTORS.analyst]) {
        await expect(
          kit.approvals.decide(approvalId, { actor, via: 'slack', decision: 'approve' }),
        ).rejects.toThrow(ONLY_ANOTHER_MANAGER)
      }
      // A manager who requested cannot approve their own request either.
      const own = await kit.executor.call(
        'place_card_hold',
        { card: await freshCard(), reason: 'manager request' },
        { actor: ACTORS.manager, via: 'cli' },
      )
      const ownId = (own.ok ? (own.data as PendingApproval) : undefined)?.approvalId as number
      await expect(
        kit.approvals.decide(ownId, { actor: ACTORS.manager, via: 'cli', decision: 'approve' }),
      ).rejects.toThrow(ONLY_ANOTHER_MANAGER)

      const first = await kit.approvals.decide(approvalId, {
        actor: ACTORS.manager,
        via: 'slack',
        decision: 'approve',
      })
      expect(first.changed).toBe(true)
      expect(first.approval.status).toBe('executed')
      const second = await kit.approvals.decide(approvalId, {
        actor: ACTORS.manager2,
        via: 'slack',
        decision: 'approve',
      })
      expect(second.changed).toBe(false)
      expect(second.message).toContain('already executed by cli:mgr')
      expect(await holds(card)).toHaveLength(1)
      expect((await cardRow(card)).status).toBe('held')
      const refusals = await database.db
        .selectFrom('audit_log')
        .select('action')
        .where('approval_id', '=', approvalId)
        .execute()
      expect(refusals.map((r) => r.action)).toEqual(
        expect.arrayContaining([
          'approval_requested',
          'approval_refused',
          'approval_decided',
          'approval_executed',
        ]),
      )
    })

    it('two managers clicking at once place one hold', async () => {
      const card = await freshCard()
      const { approvalId } = await requestHold(card)
      const results = await Promise.all([
        kit.approvals.decide(approvalId, {
          actor: ACTORS.manager,
          via: 'slack',
          decision: 'approve',
        }),
        kit.approvals.decide(approvalId, {
          actor: ACTORS.manager2,
          via: 'slack',
          decision: 'approve',
        }),
        kit.approvals.execute(approvalId, ACTORS.manager, 'cli'),
      ])
      expect(results.filter((r) => 'changed' in r && r.changed)).toHaveLength(1)
      expect(await holds(card)).toHaveLength(1)
      const executed = await database.db
        .selectFrom('audit_log')
        .select('id')
        .where('approval_id', '=', approvalId)
        .where('action', '=', 'approval_executed')
        .execute()
      expect(executed).toHaveLength(1)
    })

    it('an expired request never executes', async () => {
      const card = await freshCard()
      const { approvalId } = await requestHold(card)
      clock += 25 * HOUR_MS
      try {
        const result = await kit.approvals.decide(approvalId, {
          actor: ACTORS.manager,
          via: 'cli',
          decision: 'approve',
        })
        expect(result.changed).toBe(false)
        expect(result.approval.status).toBe('expired')
        expect(await kit.approvals.execute(approvalId, ACTORS.manager, 'cli')).toMatchObject({
          status: 'expired',
        })
      } finally {
        clock = Date.now()
      }
      expect(await holds(card)).toHaveLength(0)
      expect((await cardRow(card)).status).toBe('active')
    })

    it('a rejection changes nothing, and cannot be turned into an approval', async () => {
      const card = await freshCard()
      const { approvalId } = await requestHold(card)
      const rejected = await kit.approvals.decide(approvalId, {
        actor: ACTORS.manager,
        via: 'cli',
        decision: 'reject',
        reason: 'the customer explained it',
      })
      expect(rejected.approval.status).toBe('rejected')
      const later = await kit.approvals.decide(approvalId, {
        actor: ACTORS.manager2,
        via: 'cli',
        decision: 'approve',
      })
      expect(later.changed).toBe(false)
      expect(await holds(card)).toHaveLength(0)
      expect((await cardRow(card)).status).toBe('active')
    })

    it('a release goes through approval too, and a redemption on a held card raises an alert', async () => {
      const card = await freshCard()
      const { approvalId } = await requestHold(card)
      await kit.approvals.decide(approvalId, {
        actor: ACTORS.manager,
        via: 'cli',
        decision: 'approve',
      })
      const before = await cardRow(card)
      await applyBatch(database, {
        events: [
          {
            source: 'generic',
            eventId: `held-redeem-${card}`,
            cardRef: card,
            type: 'redeem',
            amountCents: -100,
            currency: 'USD',
            occurredAt: new Date().toISOString(),
          },
        ],
        cards: [],
      })
      const alert = await database.db
        .selectFrom('fraud_alerts')
        .selectAll()
        .where('card_id', '=', card)
        .where('rule', '=', 'held_card_redemption')
        .executeTakeFirst()
      expect(alert?.score).toBe(1)
      expect(JSON.parse(alert?.evidence ?? '{}').events[0].eventId).toBe(`held-redeem-${card}`)
      expect((await cardRow(card)).balance_cents).toBe(before.balance_cents - 100)

      const release = await kit.executor.call(
        'release_card_hold',
        { card, reason: 'cleared by LP' },
        { actor: ACTORS.lp, via: 'cli' },
      )
      expect(release.ok).toBe(true)
      const releaseId = (release as { data: PendingApproval }).data.approvalId
      expect((await cardRow(card)).status).toBe('held')
      await kit.approvals.decide(releaseId, {
        actor: ACTORS.manager2,
        via: 'cli',
        decision: 'approve',
      })
      expect((await cardRow(card)).status).toBe('active')
      expect((await holds(card))[0]?.status).toBe('released')
    })

    it('holds a Square card with ADJUST_DECREMENT and releases it with ADJUST_INCREMENT at the POS', async () => {
      const square = await startFakeSquare('sq-token')
      try {
        const config = loadConfig({ SQUARE_ACCESS_TOKEN: 'sq-token', SQUARE_BASE_URL: square.url })
        const sqKit = createToolkit(
          database,
          { ...fixture.config, square: config.square },
          { pos: squareRouter(square.url, 'sq-token') },
        )
        const card = await freshCard()
        await database.db
          .updateTable('gift_cards')
          .set({ source: 'square' })
          .where('id', '=', card)
          .execute()
        const balance = (await cardRow(card)).balance_cents
        square.balances[card] = balance
        const hold = await sqKit.executor.call(
          'place_card_hold',
          { card, reason: 'chargeback pattern' },
          { actor: ACTORS.lp, via: 'cli' },
        )
        const holdId = (hold as { data: PendingApproval }).data.approvalId
        const placed = await sqKit.approvals.decide(holdId, {
          actor: ACTORS.manager,
          via: 'cli',
          decision: 'approve',
        })
        expect(placed.approval.status).toBe('executed')
        expect(square.created).toHaveLength(1)
        expect(square.created[0]).toMatchObject({
          idempotencyKey: `hold-approval-${holdId}`,
          activity: {
            type: 'ADJUST_DECREMENT',
            gift_card_id: card,
            adjust_decrement_activity_details: {
              amount_money: { amount: balance, currency: 'USD' },
              reason: 'SUSPICIOUS_ACTIVITY',
            },
          },
        })
        expect(placed.approval.outcome).toMatchObject({
          connector: 'square',
          posReference: 'gcact_1',
        })
        // A retry with the same approval id would reuse Square's activity, not move money twice.
        expect(square.requests.filter((r) => r.path === '/v2/gift-cards/activities')).toHaveLength(
          1,
        )

        const release = await sqKit.executor.call(
          'release_card_hold',
          { card, reason: 'resolved' },
          { actor: ACTORS.lp, via: 'cli' },
        )
        const releaseId = (release as { data: PendingApproval }).data.approvalId
        await sqKit.approvals.decide(releaseId, {
          actor: ACTORS.manager,
          via: 'cli',
          decision: 'approve',
        })
        expect(square.created[1]?.activity).toMatchObject({
          type: 'ADJUST_INCREMENT',
          adjust_increment_activity_details: {
            amount_money: { amount: balance },
            reason: 'SUPPORT_ISSUE',
          },
        })

        // Square refusing the hold leaves the approval failed and the ledger untouched.
        const other = await freshCard()
        await database.db
          .updateTable('gift_cards')
          .set({ source: 'square' })
          .where('id', '=', other)
          .execute()
        square.balances[other] = (await cardRow(other)).balance_cents
        square.failNext = [500]
        const failing = await sqKit.executor.call(
          'place_card_hold',
          { card: other, reason: 'test' },
          { actor: ACTORS.lp, via: 'cli' },
        )
        const failingId = (failing as { data: PendingApproval }).data.approvalId
        const failed = await sqKit.approvals.decide(failingId, {
          actor: ACTORS.manager,
          via: 'cli',
          decision: 'approve',
        })
        expect(failed.approval.status).toBe('failed')
        expect(String(failed.approval.outcome?.error)).toContain('Square answered HTTP 500')
        expect(await holds(other)).toHaveLength(0)
        expect((await cardRow(other)).status).toBe('active')
      } finally {
        await square.close()
      }
    })

    it('launches an approved campaign to a CSV of pseudonyms and the campaign webhook', async () => {
      const { createServer } = await import('node:http')
      const posted: {
        headers: Record<string, unknown>
        body: { audience: Record<string, unknown>[] }
      }[] = []
      const hook = createServer(async (req, res) => {
        let body = ''
        for await (const chunk of req) body += chunk
        posted.push({ headers: req.headers, body: JSON.parse(body) })
        res.writeHead(202).end()
      })
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
      try {
        const port = (hook.address() as { port: number }).port
        const config = {
          ...fixture.config,
          campaigns: {
            ...fixture.config.campaigns,
            provider: 'webhook' as const,
            webhookUrl: `http://127.0.0.1:${port}/hooks/braze`,
          },
        }
        const campKit = createToolkit(database, config)
        const draft = await campKit.executor.call(
          'draft_campaign',
          {
            audience: { minDaysInactive: 60, minBalanceCents: 500 },
            message: 'Your balance is waiting',
          },
          { actor: ACTORS.analyst, via: 'cli' },
        )
        expect(draft.ok).toBe(true)
        const campaignId = (draft as { data: { campaignId: number; targetCount: number } }).data
          .campaignId
        const launch = await campKit.executor.call(
          'launch_campaign',
          { campaignId },
          { actor: ACTORS.analyst, via: 'cli' },
        )
        const pending = (launch as { data: PendingApproval }).data
        expect(pending.summary).toMatch(/targeted cards hold more than \$50\.00/)
        const decided = await campKit.approvals.decide(pending.approvalId, {
          actor: ACTORS.manager,
          via: 'cli',
          decision: 'approve',
        })
        expect(decided.approval.status).toBe('executed')
        const { readFile } = await import('node:fs/promises')
        const csv = await readFile(String(decided.approval.outcome?.file), 'utf8')
        const lines = csv.trim().split('\n')
        expect(lines[0]).toBe('campaign_id,card_id,customer_pseudonym,balance_cents,message')
        expect(lines.length - 1).toBe(decided.approval.outcome?.audience)
        expect(csv).not.toMatch(/@example\.(com|org)|\+1-\d{3}/)
        expect(posted).toHaveLength(1)
        expect(posted[0]?.headers['idempotency-key']).toBe(
          `campaign-approval-${pending.approvalId}`,
        )
        expect(posted[0]?.body.audience.length).toBe(lines.length - 1)
        // The holdout is neither in the file nor posted (docs/campaigns.md#holdout).
        expect(decided.approval.outcome?.holdout).toBeGreaterThan(0)
        const again = await campKit.executor.call(
          'launch_campaign',
          { campaignId },
          { actor: ACTORS.analyst, via: 'cli' },
        )
        expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
      } finally {
        await new Promise<void>((resolve) => hook.close(() => resolve()))
      }
    })

    /**
     * A live execution stopped between its decision and its claim: the decision commits, its
     * preparation waits until `release` (as a process paused there, or killed, would).
     */
    const approveAndHold = async (approvalId: number, pos = ledgerOnlyRouter) => {
      let release = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const live = new ApprovalService(database, {
        executors: heldExecutors(fixture.config, pos, () => held),
        ttlHours: fixture.config.approvals.ttlHours,
      })
      const decision = live.decide(approvalId, {
        actor: ACTORS.manager,
        via: 'slack',
        decision: 'approve',
      })
      await eventually(async () =>
        expect((await kit.approvals.get(approvalId)).status).toBe('approved'),
      )
      return { release, decision }
    }
    const auditActions = async (approvalId: number) =>
      (
        await database.db
          .selectFrom('audit_log')
          .select('action')
          .where('approval_id', '=', approvalId)
          .orderBy('id')
          .execute()
      ).map((r) => r.action)

    /** A fresh card made a Square card, known to the fake Square with its ledger balance. */
    const squareCard = async (square: FakeSquare) => {
      const card = await freshCard()
      await database.db
        .updateTable('gift_cards')
        .set({ source: 'square' })
        .where('id', '=', card)
        .execute()
      square.balances[card] = (await cardRow(card)).balance_cents
      return card
    }
    const squareCalls = (square: FakeSquare) =>
      square.requests.filter((r) => r.path === '/v2/gift-cards/activities')

    it('an approval left unexecuted is resumed exactly once: two recoveries and the live execution race', async () => {
      const square = await startFakeSquare('sq-race')
      const pos = squareRouter(square.url, 'sq-race')
      const card = await squareCard(square)
      const { approvalId } = await requestHold(card)
      const live = await approveAndHold(approvalId, pos)
      expect(await holds(card)).toHaveLength(0)
      // On PostgreSQL a second pool, as a second process has, so the claims really race. Not on
      // SQLite: better-sqlite3 waits for a lock synchronously, so a second connection in this
      // thread would block the first from ever committing (the kill -9 tests in test/cli race
      // SQLite processes); there the two recoveries interleave on one connection.
      const other =
        dialect.name === 'postgres'
          ? await openDatabase(database.target, {
              migrate: false,
              ...(database.searchPath ? { searchPath: database.searchPath } : {}),
            })
          : database
      try {
        const kits = [database, other].map((d) => createToolkit(d, fixture.config, { pos }))
        const results = await Promise.all(
          kits.map((k, i) =>
            k.approvals.resumeApproved({ id: `system:recovery${i}`, role: null, via: 'cli' }),
          ),
        )
        for (const resumed of results) {
          const mine = resumed.find((r) => r.approval.id === approvalId)
          expect(mine?.error).toBeUndefined()
          expect(mine?.approval.status).toBe('executed')
        }
      } finally {
        if (other !== database) await other.close()
      }
      // The live execution wakes up, prepares and finds nothing left to claim: it calls nothing.
      const callsBefore = squareCalls(square).length
      live.release()
      expect((await live.decision).approval.status).toBe('executed')
      expect(squareCalls(square)).toHaveLength(callsBefore)
      await square.close()
      expect(await holds(card)).toHaveLength(1)
      expect((await cardRow(card)).status).toBe('held')
      // The two recoveries may both have asked Square, always with the one key: one activity.
      expect(new Set(square.created.map((c) => c.idempotencyKey))).toEqual(
        new Set([`hold-approval-${approvalId}`]),
      )
      expect(square.created).toHaveLength(1)
      expect(square.balances[card]).toBe(0)
      expect((await holds(card))[0]?.pos_reference).toBe(square.created[0]?.activity.id)
      const actions = await auditActions(approvalId)
      expect(actions.filter((a) => a === 'approval_executed')).toHaveLength(1)
      expect(actions.filter((a) => a === 'approval_resumed')).toHaveLength(1)
      // The execution stays the decider's; the resumption names who resumed it.
      const rows = await database.db
        .selectFrom('audit_log')
        .select(['action', 'actor'])
        .where('approval_id', '=', approvalId)
        .where('action', 'in', ['approval_executed', 'approval_resumed'])
        .orderBy('id')
        .execute()
      expect(rows[0]).toMatchObject({
        action: 'approval_resumed',
        actor: expect.stringMatching(/^system:recovery[01]$/),
      })
      expect(rows[1]).toMatchObject({ action: 'approval_executed', actor: ACTORS.manager.id })
    })

    it('a request left approved does not expire, cannot be rejected, and approving it again runs it once', async () => {
      const card = await freshCard()
      const { approvalId } = await requestHold(card)
      const live = await approveAndHold(approvalId)
      clock += 25 * HOUR_MS
      try {
        await kit.approvals.expireDue()
        expect((await kit.approvals.get(approvalId)).status).toBe('approved')
        const rejected = await kit.approvals.decide(approvalId, {
          actor: ACTORS.manager2,
          via: 'cli',
          decision: 'reject',
        })
        expect(rejected).toMatchObject({ changed: false, approval: { status: 'approved' } })
        expect(rejected.message).toContain('cannot be rejected now')
        const again = await kit.approvals.decide(approvalId, {
          actor: ACTORS.manager2,
          via: 'cli',
          decision: 'approve',
        })
        expect(again.approval.status).toBe('executed')
        expect(again.message).toBe(
          `approval #${approvalId} was already approved by ${ACTORS.manager.id} and executed`,
        )
      } finally {
        clock = Date.now()
      }
      live.release()
      await live.decision
      expect(await holds(card)).toHaveLength(1)
      expect(
        (await auditActions(approvalId)).filter((a) => a === 'approval_executed'),
      ).toHaveLength(1)
      // Nothing is left for a recovery.
      expect(
        (await kit.approvals.resumeApproved({ id: 'system:test', role: null, via: 'cli' })).map(
          (r) => r.approval.id,
        ),
      ).not.toContain(approvalId)
    })

    it('a failure around the action, not of it, leaves the request approved; the recovery runs it once', async () => {
      const square = await startFakeSquare('sq-around')
      const pos = squareRouter(square.url, 'sq-around')
      const card = await squareCard(square)
      const balance = (await cardRow(card)).balance_cents
      const { approvalId } = await requestHold(card)
      const real = heldExecutors(fixture.config, pos, async () => {})
      const hold = real.place_card_hold as ApprovalExecutor
      // The hold is placed at Square, then its record cannot be written: the transaction rolls back.
      const unrecordable = new ApprovalService(database, {
        executors: {
          ...real,
          place_card_hold: {
            ...hold,
            apply: async (...args) => ({ ...(await hold.apply(...args)), size: 1n }),
          },
        },
        ttlHours: fixture.config.approvals.ttlHours,
      })
      const decided = await unrecordable.decide(approvalId, {
        actor: ACTORS.manager,
        via: 'cli',
        decision: 'approve',
      })
      expect(decided.approval.status).toBe('approved')
      expect(decided.message).toContain(
        'could not run now (the database failed) and stays approved',
      )
      expect(await holds(card)).toHaveLength(0)
      expect(await auditActions(approvalId)).not.toContain('approval_failed')
      // Square moved the balance; the ledger has no hold yet, and the intent is on record.
      expect(square.balances[card]).toBe(0)

      const [resumed] = (
        await createToolkit(database, fixture.config, { pos }).approvals.resumeApproved({
          id: 'system:test',
          role: null,
          via: 'cli',
        })
      ).filter((r) => r.approval.id === approvalId)
      await square.close()
      expect(resumed?.approval.status).toBe('executed')
      const recorded = await holds(card)
      expect(recorded).toHaveLength(1)
      // The recovery used the amount recorded before the first call (Square reads $0.00 now),
      // and the POS was asked twice with one key and the same request: one activity.
      expect(recorded[0]?.amount_cents).toBe(balance)
      expect(squareCalls(square)).toHaveLength(2)
      expect(square.created).toHaveLength(1)
      expect(square.created[0]?.idempotencyKey).toBe(`hold-approval-${approvalId}`)
      expect(
        (await auditActions(approvalId)).filter((a) => a === 'approval_executed'),
      ).toHaveLength(1)
    })

    it('leaves an audit chain that verifies', async () => {
      expect(await verifyAudit(database.db)).toMatchObject({ ok: true, problems: [] })
    })
  })
}
