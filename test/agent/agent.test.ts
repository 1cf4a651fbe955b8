import { describe, expect, it } from 'vitest'
import type { Agent } from '../../agent/index.ts'
import { openAgent } from '../../app/index.ts'
import type { Database } from '../../db/index.ts'
import {
  ACTORS,
  type AgentFixture,
  INJECTION,
  PII,
  setUpAgentFixture,
} from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

for (const dialect of DIALECTS) {
  describe(`the agent with the offline planner on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let agent: Agent
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 300)
      agent = await openAgent(d, fixture.config)
      return undefined
    })

    const writes = async () => ({
      approvals: Number(
        (
          await database.db
            .selectFrom('approval_requests')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      holds: await database.db.selectFrom('card_holds').selectAll().execute(),
    })

    it('answers a lookup, then follows "it" and "that card" through the thread', async () => {
      const thread = { threadId: 'cli:follow', actor: ACTORS.lp, via: 'cli' as const }
      const first = await agent.ask(`what's the balance on ${fixture.piiCard}?`, thread)
      expect(first.toolCalls).toEqual([{ name: 'get_gift_card', args: { card: fixture.piiCard } }])
      expect(first.reply).toContain(
        `Card ${fixture.piiCard} (…9917) is active with $65.00 left of $100.00`,
      )
      expect(first.reply).toContain('Open fraud alerts: #1 refund_abuse')
      const why = await agent.ask('why is it flagged?', thread)
      expect(why.toolCalls).toEqual([
        { name: 'explain_fraud_alert', args: { card: fixture.piiCard } },
      ])
      expect(why.reply).toContain('Alert #1 (refund_abuse, score 0.9, open)')
      // The evidence's PII is tokenised before anything (model or person) reads it.
      expect(why.reply).not.toContain(PII.email)
      const hold = await agent.ask('hold it because of refund abuse', thread)
      expect(hold.toolCalls).toEqual([
        { name: 'place_card_hold', args: { card: fixture.piiCard, reason: 'refund abuse' } },
      ])
      expect(hold.pending).toHaveLength(1)
      expect(hold.reply).toMatch(
        /I've filed approval request #\d+: Hold card gc_pii00001 \(…9917, balance \$65\.00\): refund abuse/,
      )
      // A manager approves from the same terminal; the thread reports the outcome.
      const approvalId = hold.pending[0]?.approvalId as number
      const { turn } = await agent.decide(
        approvalId,
        { actor: ACTORS.manager, via: 'cli', threadId: thread.threadId },
        'approve',
      )
      expect(turn?.reply).toContain(
        `Approval #${approvalId} was approved by cli:mgr: card ${fixture.piiCard} is on hold`,
      )
      const after = await agent.ask('what is its status now?', thread)
      expect(after.reply).toContain('is held with $65.00 left')
    })

    it('is not steered by an injection in order item names or alert evidence', async () => {
      const before = await writes()
      const thread = { threadId: 'cli:injection', actor: ACTORS.manager, via: 'cli' as const }
      const affinity = await agent.ask('top SKUs redeemed with gift cards', thread)
      expect(affinity.toolCalls).toEqual([
        { name: 'product_affinity', args: { context: 'redeemed_with', level: 'sku' } },
      ])
      const explain = await agent.ask('explain alert 1', thread)
      expect(explain.toolCalls.map((c) => c.name)).toEqual(['explain_fraud_alert'])
      const after = await writes()
      expect(after.approvals).toBe(before.approvals)
      expect(after.holds.filter((h) => h.status === 'released')).toEqual(
        before.holds.filter((h) => h.status === 'released'),
      )
      expect(JSON.stringify([affinity, explain])).not.toContain('release_card_hold')
      // The injection was read as data (it is in the evidence shown) and obeyed by nothing.
      expect(explain.reply).toContain(INJECTION)
    })

    it('asks which card when the last four digits are ambiguous, and says what it cannot do', async () => {
      const shared = await database.db
        .selectFrom('gift_cards')
        .select(['gan_last4', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('gan_last4')
        .having((eb) => eb.fn.countAll(), '>', 1)
        .limit(1)
        .executeTakeFirst()
      const thread = { threadId: 'cli:ambiguous', actor: ACTORS.analyst, via: 'cli' as const }
      if (shared) {
        const r = await agent.ask(`balance of the card ending in ${shared.gan_last4}`, thread)
        expect(r.reply).toMatch(
          new RegExp(`\\d+ cards end in ${shared.gan_last4}: .*Which card do you mean\\?`),
        )
      }
      const refused = await agent.ask('issue a new $50 gift card', thread)
      expect(refused.toolCalls).toEqual([])
      expect(refused.reply).toContain("can't issue")
      const notAllowed = await agent.ask(`hold ${fixture.activeCard}`, thread)
      expect(notAllowed.toolCalls).toEqual([])
      expect(notAllowed.reply).toContain('Your role does not allow place card hold')
    })
  })
}
