import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { appendAudit, readAudit } from '../../governance/index.ts'
import { createToolkit, MAX_AUDIT_INPUT_CHARS, type Toolkit } from '../../tools/index.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { writeLedgerFixture } from '../helpers/ledger-fixture.ts'

const MiB = 1 << 20

for (const dialect of DIALECTS) {
  describe(`what the audit log keeps of a call's input, on ${dialect.name} (issue 16)`, () => {
    let database: Database
    let kit: Toolkit
    useDatabase(dialect, async (d) => {
      database = d
      await writeLedgerFixture(d.db)
      kit = createToolkit(d, loadConfig({ PII_TOKEN_KEY: 'test-pii-key' }))
    })

    const lastRow = async (tool: string) => (await readAudit(database.db, { tool, limit: 1 }))[0]

    it('tokenises an email or phone number typed into an argument, and keeps every other word', async () => {
      const reason = 'customer called from 716 555 0179 and wrote from ann.lee@shop.example.org'
      const outcome = await kit.executor.call(
        'place_card_hold',
        { card: 'gc_a', reason },
        { actor: ACTORS.lp, via: 'cli' },
      )
      expect(outcome.ok).toBe(true)
      const row = await lastRow('place_card_hold')
      expect(JSON.parse(row?.input ?? '{}')).toEqual({
        card: 'gc_a',
        reason: `customer called from ${kit.pii.scrubText('716-555-0179')} and wrote from ${kit.pii.token('email', 'ann.lee@shop.example.org')}`,
      })
      // The request, its decision and its execution are audited without them too.
      const { approvalId } = (outcome as { data: { approvalId: number } }).data
      await kit.approvals.decide(approvalId, {
        decision: 'approve',
        actor: ACTORS.manager,
        via: 'cli',
        reason: 'ok, she confirmed on (716) 555-0179',
      })
      const rows = await readAudit(database.db, { approvalId })
      expect(rows.map((r) => r.action).sort()).toEqual([
        'approval_decided',
        'approval_executed',
        'approval_requested',
        'tool_call',
      ])
      for (const r of rows) {
        expect(r?.input).not.toMatch(/716|555|0179|ann\.lee|example\.org/)
        expect(r?.result_summary ?? '').not.toMatch(/716|555|0179|ann\.lee|example\.org/)
      }
      expect(rows.find((r) => r.action === 'approval_decided')?.input).toContain(
        'she confirmed on phone_',
      )
    })

    it('keeps at most MAX_AUDIT_INPUT_CHARS of a huge input, marked as truncated', async () => {
      const card = 'a'.repeat(3 * MiB)
      const outcome = await kit.executor.call(
        'get_gift_card',
        { card },
        { actor: ACTORS.analyst, via: 'mcp' },
      )
      expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
      const row = await lastRow('get_gift_card')
      expect(row?.input?.length).toBeLessThan(MAX_AUDIT_INPUT_CHARS + 100)
      const kept = JSON.parse(row?.input ?? '{}')
      expect(kept).toMatchObject({ truncated: true, chars: 3 * MiB + '{"card":""}'.length })
      expect(kept.head.startsWith('{"card":"aaaa')).toBe(true)
    })

    it('get_audit_log answers over a 3 MiB row written before the cap, showing it cut', async () => {
      await appendAudit(database, {
        actor: 'mcp:old',
        role: 'analyst',
        via: 'mcp',
        action: 'tool_call',
        tool: 'legacy_huge',
        input: { card: 'b'.repeat(3 * MiB) },
      })
      const outcome = await kit.executor.call(
        'get_audit_log',
        { tool: 'legacy_huge' },
        { actor: ACTORS.manager, via: 'cli' },
      )
      expect(outcome.ok).toBe(true)
      const rows = (outcome as { data: { rows: { input: unknown }[] } }).data.rows
      expect(rows[0]?.input).toMatchObject({ truncated: true, chars: 3 * MiB + 11 })
      // The audit row of this very call stays small too: its summary is capped by the log.
      expect(JSON.stringify(outcome).length).toBeLessThan(20_000)
    })
  })
}
