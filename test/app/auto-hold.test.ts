import { describe, expect, it } from 'vitest'
import { FRAUD_DETECTOR, fileAutoHoldRequests } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { grantRole } from '../../governance/index.ts'
import { createToolkit, type Toolkit } from '../../tools/index.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { writeLedgerFixture } from '../helpers/ledger-fixture.ts'

/**
 * AUTO_HOLD_MIN_SCORE on the hand-written ledger: gc_a has two open alerts (0.95 and 0.92),
 * gc_b a dismissed one (0.97), gc_c an open one below the bar (0.50). With 0.9 the detector asks
 * once, for gc_a, with the top alert's evidence as its reason; a manager decides as for any hold.
 */
for (const dialect of DIALECTS) {
  describe(`hold requests from alerts on ${dialect.name}`, () => {
    let database: Database
    let kit: Toolkit
    useDatabase(dialect, async (d) => {
      database = d
      await writeLedgerFixture(d.db)
      await grantRole(d, ACTORS.manager.id, ACTORS.manager.role)
      const alert = (
        card: string,
        rule: string,
        score: number,
        status: string,
        reason: string,
      ) => ({
        card_id: card,
        rule,
        score,
        status: status as 'open',
        evidence: JSON.stringify({ reason, eventIds: [] }),
        detected_at: '2025-04-02T10:00:00.000Z',
        updated_at: '2025-04-02T10:00:00.000Z',
        updated_by: null,
        note: null,
      })
      await d.db
        .insertInto('fraud_alerts')
        .values([
          alert('gc_a', 'card_testing', 0.95, 'open', 'declined checks from web-3 then a spend'),
          alert('gc_a', 'refund_abuse', 0.92, 'open', 'refund for an order it never paid for'),
          alert('gc_b', 'drain_after_activation', 0.97, 'dismissed', 'drained in minutes'),
          alert('gc_c', 'bulk_purchase', 0.5, 'open', 'six cards in one order'),
        ])
        .execute()
      kit = createToolkit(d, loadConfig({ PII_TOKEN_KEY: 'k' }))
    })

    it('files one hold request per card above the bar, with the alert as its reason', async () => {
      const first = await fileAutoHoldRequests({ database, toolkit: kit, minScore: 0.9 }, 'cli')
      expect(first.filed).toHaveLength(1)
      expect(first.filed[0]).toMatchObject({ alertId: 1, cardId: 'gc_a' })
      expect(first.skipped).toEqual([{ alertId: 2, cardId: 'gc_a', why: 'asked already' }])
      const approval = await kit.approvals.get(first.filed[0]?.approvalId as number)
      expect(approval).toMatchObject({
        action: 'place_card_hold',
        status: 'pending',
        requestedBy: FRAUD_DETECTOR.id,
      })
      expect(approval.reason).toBe(
        'Fraud alert #1 (card testing, score 0.95): declined checks from web-3 then a spend',
      )
      // Nothing is held until a manager approves.
      const holds = await database.db.selectFrom('card_holds').selectAll().execute()
      expect(holds).toEqual([])
      // The request was audited as the detector's.
      const audit = await database.db
        .selectFrom('audit_log')
        .select(['actor', 'action', 'tool'])
        .where('approval_id', '=', approval.id)
        .execute()
      expect(audit).toContainEqual({
        actor: FRAUD_DETECTOR.id,
        action: 'approval_requested',
        tool: 'place_card_hold',
      })

      // Once per card: a second sweep, even after the request is decided, asks nothing.
      const decided = await kit.approvals.decide(approval.id, {
        actor: ACTORS.manager,
        via: 'cli',
        decision: 'approve',
      })
      expect(decided.approval.status).toBe('executed')
      const held = await database.db
        .selectFrom('card_holds')
        .select(['card_id', 'status', 'reason'])
        .execute()
      expect(held).toEqual([{ card_id: 'gc_a', status: 'active', reason: approval.reason }])
      const second = await fileAutoHoldRequests({ database, toolkit: kit, minScore: 0.9 }, 'cli')
      expect(second.filed).toEqual([])
    })

    it('files nothing when AUTO_HOLD_MIN_SCORE is unset (the default)', async () => {
      const before = await kit.approvals.list()
      const none = await fileAutoHoldRequests(
        { database, toolkit: kit, minScore: undefined },
        'cli',
      )
      expect(none).toEqual({ filed: [], skipped: [] })
      expect(await kit.approvals.list()).toHaveLength(before.length)
      expect(loadConfig({}).fraud.autoHoldMinScore).toBeUndefined()
      expect(loadConfig({ AUTO_HOLD_MIN_SCORE: '0.9' }).fraud.autoHoldMinScore).toBe(0.9)
      expect(() => loadConfig({ AUTO_HOLD_MIN_SCORE: '1.5' })).toThrow(/AUTO_HOLD_MIN_SCORE/)
    })
  })
}
