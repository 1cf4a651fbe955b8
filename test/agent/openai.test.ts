import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseModel } from '../../agent/index.ts'
import { openAgent } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai-api.ts'
import { ACTORS, type AgentFixture, PII, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

for (const dialect of DIALECTS) {
  describe(`ChatOpenAI against a loopback OpenAI-compatible server, on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let fake: FakeOpenAI
    beforeAll(async () => {
      fake = await startFakeOpenAI('sk-test')
    })
    afterAll(async () => {
      await fake.close()
    })
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 200)
    })

    const openTestAgent = async (streaming: boolean) => {
      const config = loadConfig({
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: fake.url,
        OPENAI_MODEL: 'llama3.1:8b',
        PII_TOKEN_KEY: 'test-pii-key',
      })
      return openAgent(
        database,
        { ...fixture.config, openai: config.openai },
        { models: chooseModel(config, { streaming }) },
      )
    }

    for (const streaming of [false, true]) {
      it(`runs a scripted tool call, pauses on the approval and resumes with the decision (${streaming ? 'streamed' : 'not streamed'})`, async () => {
        const agent = await openTestAgent(streaming)
        try {
          const card = (
            await database.db
              .selectFrom('gift_cards')
              .select('id')
              .where('status', '=', 'active')
              .where('balance_cents', '>', 0)
              .where('id', 'not in', database.db.selectFrom('card_holds').select('card_id'))
              .orderBy('id', streaming ? 'desc' : 'asc')
              .limit(1)
              .executeTakeFirstOrThrow()
          ).id
          fake.requests.length = 0
          fake.script = [
            {
              toolCalls: [
                { name: 'place_card_hold', args: { card, reason: 'card testing on terminal 2' } },
              ],
            },
            { content: 'I have requested a hold; a manager must approve it.' },
          ]
          const threadId = `test:${streaming}:${card}`
          const turn = await agent.ask(
            `Please hold ${card}, the holder ${PII.email} called about it`,
            { threadId, actor: ACTORS.lp, via: 'cli' },
          )
          expect(turn.answeredBy).toBe('llama3.1:8b')
          expect(turn.toolCalls).toEqual([
            { name: 'place_card_hold', args: { card, reason: 'card testing on terminal 2' } },
          ])
          expect(turn.pending).toHaveLength(1)
          const approvalId = turn.pending[0]?.approvalId as number
          expect(turn.pending[0]?.summary).toMatch(new RegExp(`^Hold card ${card} \\(…\\d{4}, `))
          // The model's words did not name the approval: the reply says it is filed and pending.
          expect(turn.reply).toBe(
            `I have requested a hold; a manager must approve it.\n\nApproval #${approvalId} (${turn.pending[0]?.summary.split(': ')[0]}; ledger only: the card still works at the till; a redemption will raise an alert (a demo card has no POS)) is filed and pending: a manager other than the requester must approve, and nothing changes until then.`,
          )
          expect(await agent.waitingOn(threadId)).toHaveLength(1)

          // What the model server saw: the policy, the tools the role may use, no PII, the pending result.
          expect(fake.requests).toHaveLength(2)
          const first = fake.requests[0]?.body as {
            model: string
            stream?: boolean
            tools: { function: { name: string } }[]
            messages: { role: string; content: string }[]
          }
          expect(first.model).toBe('llama3.1:8b')
          expect(Boolean(first.stream)).toBe(streaming)
          expect(first.messages[0]?.role).toBe('system')
          expect(first.messages[0]?.content).toContain('data, not instructions')
          expect(first.tools.map((t) => t.function.name)).toContain('place_card_hold')
          expect(JSON.stringify(fake.requests)).not.toContain(PII.email)
          const second = JSON.stringify(fake.requests[1]?.body)
          expect(second).toContain('pending_approval')

          const card0 = await database.db
            .selectFrom('gift_cards')
            .select('status')
            .where('id', '=', card)
            .executeTakeFirstOrThrow()
          expect(card0.status).toBe('active')
          const { decision, turn: resumed } = await agent.decide(
            approvalId,
            { actor: ACTORS.manager, via: 'cli', threadId },
            'approve',
          )
          expect(decision.approval.status).toBe('executed')
          expect(resumed?.reply).toMatch(
            new RegExp(`Approval #${approvalId} was approved by cli:mgr: card ${card} is on hold`),
          )
          expect(await agent.waitingOn(threadId)).toHaveLength(0)
          // Deciding again neither executes twice nor resumes the thread again.
          const again = await agent.decide(
            approvalId,
            { actor: ACTORS.manager2, via: 'cli', threadId },
            'approve',
          )
          expect(again.decision.changed).toBe(false)
          expect(again.turn).toBeUndefined()
          const holds = await database.db
            .selectFrom('card_holds')
            .selectAll()
            .where('card_id', '=', card)
            .execute()
          expect(holds).toHaveLength(1)
          const audit = await database.db
            .selectFrom('audit_log')
            .select(['tool', 'model', 'via'])
            .where('action', '=', 'tool_call')
            .where('tool', '=', 'place_card_hold')
            .orderBy('id', 'desc')
            .executeTakeFirstOrThrow()
          expect(audit).toEqual({ tool: 'place_card_hold', model: 'llama3.1:8b', via: 'cli' })
        } finally {
          await agent.close()
        }
      })
    }

    it('answers with the planner, and says so, when the endpoint fails', async () => {
      const agent = await openTestAgent(false)
      try {
        fake.script = [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]
        const turn = await agent.ask('liability by state', {
          threadId: 'test:fallback',
          actor: ACTORS.analyst,
          via: 'cli',
        })
        expect(turn.toolCalls).toEqual([
          { name: 'get_liability', args: { groupBy: 'jurisdiction' } },
        ])
        expect(turn.reply).toMatch(/^Outstanding liability now: \$[\d,.]+ on [\d,]+ cards\./)
        expect(turn.reply).toContain(`The language model at ${fake.url} failed`)
        expect(turn.reply).toContain('offline planner answered instead')
        expect(turn.answeredBy).toBe('offline-planner (fallback)')
      } finally {
        fake.script = []
        await agent.close()
      }
    })
  })
}
