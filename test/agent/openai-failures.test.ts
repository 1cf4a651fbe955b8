import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Agent, chooseModel, MAX_TOOL_ROUNDS, type TurnResult } from '../../agent/index.ts'
import { openAgent } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import type { Actor } from '../../governance/index.ts'
import { type FakeOpenAI, type ScriptedReply, startFakeOpenAI } from '../fakes/openai-api.ts'
import { ACTORS, type AgentFixture, PII, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/** A message of a chat request as the fake received it. */
type SentMessage = {
  role: string
  content: string | null
  tool_call_id?: string
  tool_calls?: { id: string; function: { name: string; arguments: string } }[]
}

const MODEL = 'llama3.1:8b'

/**
 * The LLM path against a real endpoint's misbehaviour: ChatOpenAI talks to the loopback fake,
 * which times out, rate-limits, fails, and answers with broken, unknown, hallucinated, parallel,
 * unasked-for and endless tool calls. Each case checks what the person is told, what ran, what
 * was audited and what the endpoint received (never a name, an email or a phone number).
 */
for (const dialect of DIALECTS) {
  describe(`the LLM path when the endpoint or the model misbehaves, on ${dialect.name}`, () => {
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

    let threads = 0
    /**
     * One turn with the agent over ChatOpenAI and the fake: the script in, the turn and what the
     * fake received out; afterwards no PII has reached the endpoint.
     */
    const turnWith = async (
      script: ScriptedReply[],
      text: string,
      options: {
        actor?: Actor
        streaming?: boolean
        env?: Record<string, string>
        andThen?: (agent: Agent, threadId: string) => Promise<void>
      } = {},
    ): Promise<{ turn: TurnResult; sent: SentMessage[][]; ms: number }> => {
      const config = loadConfig({
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: fake.url,
        OPENAI_MODEL: MODEL,
        PII_TOKEN_KEY: 'test-pii-key',
        ...options.env,
      })
      const agent = await openAgent(
        database,
        { ...fixture.config, openai: config.openai },
        { models: chooseModel(config, { streaming: options.streaming ?? false }) },
      )
      fake.requests.length = 0
      fake.script = [...script]
      const threadId = `test:failures:${++threads}`
      try {
        const started = Date.now()
        const turn = await agent.ask(text, {
          threadId,
          actor: options.actor ?? ACTORS.lp,
          via: 'cli',
        })
        const ms = Date.now() - started
        await options.andThen?.(agent, threadId)
        const received = JSON.stringify(fake.requests)
        for (const secret of [PII.name, PII.email, PII.phone])
          expect(received).not.toContain(secret)
        return {
          turn,
          sent: fake.requests.map((r) => (r.body.messages ?? []) as SentMessage[]),
          ms,
        }
      } finally {
        fake.script = []
        await agent.close()
      }
    }

    /** The tool results a request carried, by tool_call_id, parsed. */
    const toolResults = (messages: SentMessage[] | undefined) =>
      new Map(
        (messages ?? [])
          .filter((m) => m.role === 'tool')
          .map((m) => [
            m.tool_call_id,
            JSON.parse(String(m.content)) as {
              ok: boolean
              data?: Record<string, unknown>
              error?: { code: string; message: string }
            },
          ]),
      )

    const lastAudit = (n: number) =>
      database.db
        .selectFrom('audit_log')
        .select(['tool', 'model', 'result_summary', 'input'])
        .where('action', '=', 'tool_call')
        .orderBy('id', 'desc')
        .limit(n)
        .execute()
        .then((rows) => rows.reverse())

    describe('a request timeout (OPENAI_TIMEOUT_MS)', () => {
      it('defaults to 30 s and is bounded', () => {
        expect(loadConfig({}).openai.timeoutMs).toBe(30_000)
        expect(loadConfig({ OPENAI_TIMEOUT_MS: '2500' }).openai.timeoutMs).toBe(2500)
        expect(() => loadConfig({ OPENAI_TIMEOUT_MS: '50' })).toThrow(/^OPENAI_TIMEOUT_MS .*"50"/)
        expect(() => loadConfig({ OPENAI_TIMEOUT_MS: '600001' })).toThrow(/^OPENAI_TIMEOUT_MS /)
        expect(() => loadConfig({ OPENAI_TIMEOUT_MS: 'soon' })).toThrow(/^OPENAI_TIMEOUT_MS /)
      })

      for (const [hang, streaming] of [
        ['request', false],
        ['stream', true],
      ] as const) {
        it(`answers with the planner once an endpoint that ${hang === 'request' ? 'never answers' : 'stalls mid-stream'} times out, and says so in one line`, async () => {
          const { turn, ms } = await turnWith([{ hang }], 'liability by state', {
            actor: ACTORS.analyst,
            streaming,
            env: { OPENAI_TIMEOUT_MS: '400' },
            andThen: async (agent, threadId) => {
              // One request: a timed-out call is not retried, and the planner finishes the turn.
              expect(fake.requests).toHaveLength(1)
              // The next message asks the model again.
              fake.script = [{ content: 'Anything else?' }]
              const next = await agent.ask('thanks', {
                threadId,
                actor: ACTORS.analyst,
                via: 'cli',
              })
              expect(next.reply).toBe('Anything else?')
              expect(next.answeredBy).toBe(MODEL)
            },
          })
          expect(ms).toBeLessThan(5_000)
          expect(turn.answeredBy).toBe('offline-planner (fallback)')
          expect(turn.toolCalls).toEqual([
            { name: 'get_liability', args: { groupBy: 'jurisdiction' } },
          ])
          expect(turn.reply).toMatch(/^Outstanding liability now: \$[\d,.]+ on [\d,]+ cards\./)
          expect(turn.reply.split('\n').at(-1)).toBe(
            `(The language model at ${fake.url} timed out after 0.4 s; the offline planner answered instead.)`,
          )
        })
      }
    })

    describe('retries', () => {
      it('retries 5xx with backoff, then takes the answer', async () => {
        const { turn } = await turnWith(
          [{ status: 503 }, { status: 502 }, { content: 'All quiet today.' }],
          'anything new?',
        )
        expect(fake.requests.map((r) => r.status)).toEqual([503, 502, 200])
        const [a, b, c] = fake.requests.map((r) => r.at) as [number, number, number]
        expect(b - a).toBeGreaterThanOrEqual(350) // 0.5 s less up to a quarter
        expect(c - b).toBeGreaterThanOrEqual(700) // then 1 s
        expect(turn.reply).toBe('All quiet today.')
        expect(turn.answeredBy).toBe(MODEL)
      })

      it("waits as long as a 429's Retry-After says", async () => {
        const { turn } = await turnWith(
          [{ status: 429, headers: { 'retry-after': '1' } }, { content: 'Sorry for the wait.' }],
          'anything new?',
        )
        expect(fake.requests.map((r) => r.status)).toEqual([429, 200])
        const [a, b] = fake.requests.map((r) => r.at) as [number, number]
        expect(b - a).toBeGreaterThanOrEqual(950)
        expect(turn.reply).toBe('Sorry for the wait.')
      })

      it('does not wait for a Retry-After longer than 8 s: the planner answers at once', async () => {
        const { turn, ms } = await turnWith(
          [{ status: 429, headers: { 'retry-after': '120' } }],
          'liability by state',
          { actor: ACTORS.analyst },
        )
        expect(fake.requests).toHaveLength(1)
        expect(ms).toBeLessThan(3_000)
        expect(turn.answeredBy).toBe('offline-planner (fallback)')
        expect(turn.reply).toContain(`(The language model at ${fake.url} failed: 429 `)
        expect(turn.reply).toContain('it asked to wait 120 s, longer than the 8 s allowed')
      })

      it('gives up after two retries', async () => {
        const { turn } = await turnWith(
          [{ status: 500 }, { status: 500 }, { status: 500 }, { content: 'never sent' }],
          'liability by state',
          { actor: ACTORS.analyst },
        )
        expect(fake.requests.map((r) => r.status)).toEqual([500, 500, 500])
        expect(turn.reply).toContain(
          `(The language model at ${fake.url} failed: 500 the model server is overloaded (3 attempts); the offline planner answered instead.)`,
        )
      })

      for (const [status, extra] of [
        [400, {}],
        [404, {}],
        [429, { code: 'insufficient_quota', message: 'You exceeded your current quota.' }],
      ] as const) {
        it(`does not retry ${status}${'code' in extra ? ` ${extra.code}` : ''}`, async () => {
          const { turn } = await turnWith([{ status, ...extra }], 'liability by state', {
            actor: ACTORS.analyst,
          })
          expect(fake.requests.map((r) => r.status)).toEqual([status])
          expect(turn.answeredBy).toBe('offline-planner (fallback)')
          expect(turn.reply).toContain(`(The language model at ${fake.url} failed: ${status} `)
        })
      }

      it('retries a refused connection, then answers with the planner', async () => {
        const gone = await startFakeOpenAI('sk-test')
        await gone.close()
        const { turn } = await turnWith([], 'liability by state', {
          actor: ACTORS.analyst,
          env: { OPENAI_BASE_URL: gone.url },
        })
        expect(fake.requests).toHaveLength(0)
        expect(turn.reply).toContain(
          `(The language model at ${gone.url} failed: Connection error. (3 attempts); the offline planner answered instead.)`,
        )
      })

      it('does not retry 401 (a wrong key)', async () => {
        const { turn } = await turnWith([], 'liability by state', {
          actor: ACTORS.analyst,
          env: { OPENAI_API_KEY: 'sk-wrong' },
        })
        expect(fake.requests.map((r) => r.status)).toEqual([401])
        expect(turn.reply).toContain('failed: 401 Incorrect API key provided')
      })
    })

    describe('tool calls a real model makes', () => {
      for (const streaming of [false, true]) {
        it(`tells the model once that its tool-call arguments were not JSON, and it recovers (${streaming ? 'streamed' : 'not streamed'})`, async () => {
          const card = fixture.activeCard
          const { turn, sent } = await turnWith(
            [
              // A key without quotes: JSON.parse refuses it, and so does the partial-JSON parser
              // LangChain completes streamed arguments with.
              { toolCalls: [{ name: 'get_gift_card', arguments: `{card: "${card}"}` }] },
              { toolCalls: [{ name: 'get_gift_card', args: { card } }] },
              { content: `Card ${card} is active.` },
            ],
            `what's on ${card}?`,
            { streaming },
          )
          expect(turn.reply).toBe(`Card ${card} is active.`)
          expect(turn.answeredBy).toBe(MODEL)
          expect(sent).toHaveLength(3)
          // The broken call goes back with {} as its arguments, its result an error that says why.
          const assistant = sent[1]?.find((m) => m.role === 'assistant')
          const call = assistant?.tool_calls?.[0]
          expect(call?.function).toEqual({ name: 'get_gift_card', arguments: '{}' })
          const result = toolResults(sent[1]).get(call?.id)
          expect(result?.ok).toBe(false)
          expect(result?.error?.code).toBe('INVALID_INPUT')
          expect(result?.error?.message).toContain(
            'the arguments of get_gift_card were not valid JSON',
          )
          expect(result?.error?.message).toContain('Nothing was run')
          // Both calls audited: the refused one with what the model sent.
          const audit = await lastAudit(2)
          expect(audit.map((a) => [a.tool, a.model, a.result_summary?.split(':')[0]])).toEqual([
            ['get_gift_card', MODEL, 'INVALID_INPUT'],
            ['get_gift_card', MODEL, 'ok'],
          ])
          expect(audit[0]?.input).toContain(card)
        })
      }

      it('hands the turn to the planner when the arguments are broken twice', async () => {
        const card = fixture.activeCard
        const bad = { toolCalls: [{ name: 'get_gift_card', arguments: `{'card': '${card}'}` }] }
        const { turn } = await turnWith([bad, bad], `look up ${card}`)
        expect(fake.requests).toHaveLength(2)
        expect(turn.answeredBy).toBe('offline-planner (fallback)')
        expect(turn.toolCalls.at(-1)).toEqual({
          name: 'get_gift_card',
          args: expect.objectContaining({ card }),
        })
        expect(turn.reply).toContain(card)
        expect(turn.reply).not.toContain('not valid JSON')
        expect(turn.reply.split('\n').at(-1)).toBe(
          `(The language model at ${fake.url} sent tool-call arguments that were not JSON again; the offline planner answered instead.)`,
        )
      })

      it('refuses a tool that does not exist; the model sees why and recovers', async () => {
        const { turn, sent } = await turnWith(
          [
            { toolCalls: [{ name: 'delete_all_cards', args: { confirm: true } }] },
            { toolCalls: [{ name: 'get_liability', args: {} }] },
            { content: 'Liability is as shown.' },
          ],
          'what do we owe?',
          { actor: ACTORS.analyst },
        )
        expect(turn.reply).toBe('Liability is as shown.')
        const [refused] = [...toolResults(sent[1]).values()]
        expect(refused).toEqual({
          ok: false,
          error: { code: 'NOT_FOUND', message: 'there is no tool named "delete_all_cards"' },
        })
        expect([...toolResults(sent[2]).values()].at(-1)?.ok).toBe(true)
        const audit = await lastAudit(2)
        expect(audit.map((a) => [a.tool, a.result_summary?.split(':')[0]])).toEqual([
          ['delete_all_cards', 'NOT_FOUND'],
          ['get_liability', 'ok'],
        ])
      })

      it('answers a hallucinated card id with CARD_NOT_FOUND as a tool result, not a stack trace', async () => {
        const { turn, sent } = await turnWith(
          [
            { toolCalls: [{ name: 'get_gift_card', args: { card: 'gc_99999999' } }] },
            { content: 'There is no card gc_99999999.' },
          ],
          'balance of gc_99999999?',
        )
        expect(turn.reply).toBe('There is no card gc_99999999.')
        const tool = sent[1]?.find((m) => m.role === 'tool')
        const result = toolResults(sent[1]).get(tool?.tool_call_id)
        expect(result?.ok).toBe(false)
        expect(result?.error?.code).toBe('CARD_NOT_FOUND')
        expect(result?.error?.message).toContain('gc_99999999')
        expect(String(tool?.content)).not.toMatch(/\n\s+at |Error:|\.ts:\d+/)
      })

      it('runs parallel tool calls, each audited, results matched by tool_call_id', async () => {
        const { activeCard, piiCard } = fixture
        const { turn, sent } = await turnWith(
          [
            {
              toolCalls: [
                { name: 'get_gift_card', args: { card: activeCard } },
                { name: 'get_gift_card', args: { card: piiCard } },
                { name: 'get_liability', args: {} },
              ],
            },
            { content: 'Here are both cards and the liability.' },
          ],
          `compare ${activeCard} and ${piiCard} (the holder is ${PII.email}, ${PII.phone}) and liability`,
        )
        expect(turn.reply).toBe('Here are both cards and the liability.')
        expect(turn.toolCalls.map((c) => c.name)).toEqual([
          'get_gift_card',
          'get_gift_card',
          'get_liability',
        ])
        const calls = sent[1]?.find((m) => m.role === 'assistant')?.tool_calls ?? []
        expect(calls).toHaveLength(3)
        const results = toolResults(sent[1])
        expect([...results.keys()]).toEqual(calls.map((c) => c.id))
        expect(results.get(calls[0]?.id)?.data?.cardId).toBe(activeCard)
        expect(results.get(calls[1]?.id)?.data?.cardId).toBe(piiCard)
        expect(results.get(calls[2]?.id)?.data).toHaveProperty('total')
        expect(JSON.stringify(results.get(calls[1]?.id))).toContain(PII.pseudonym)
        const audit = await lastAudit(3)
        expect(audit.map((a) => [a.tool, a.model])).toEqual([
          ['get_gift_card', MODEL],
          ['get_gift_card', MODEL],
          ['get_liability', MODEL],
        ])
      })

      it('only files an approval when the model calls a write tool for a question, and the reply says it is pending', async () => {
        const card = fixture.activeCard
        const { turn } = await turnWith(
          [
            { toolCalls: [{ name: 'place_card_hold', args: { card, reason: 'checking it' } }] },
            { content: `Card ${card} has a balance.` },
          ],
          `what is the balance of ${card}?`,
        )
        expect(turn.pending).toHaveLength(1)
        const approval = turn.pending[0]
        expect(turn.reply.split('\n')[0]).toBe(`Card ${card} has a balance.`)
        expect(turn.reply).toMatch(
          new RegExp(
            `\\n\\nApproval #${approval?.approvalId} \\(Hold card ${card} [^\\n]*\\) is filed and pending: a manager other than the requester must approve, and nothing changes until then\\.$`,
          ),
        )
        const holds = await database.db
          .selectFrom('card_holds')
          .select('id')
          .where('card_id', '=', card)
          .execute()
        expect(holds).toHaveLength(0)
        const row = await database.db
          .selectFrom('approval_requests')
          .select(['status', 'action'])
          .where('id', '=', approval?.approvalId as number)
          .executeTakeFirstOrThrow()
        expect(row).toEqual({ status: 'pending', action: 'place_card_hold' })
        const status = await database.db
          .selectFrom('gift_cards')
          .select('status')
          .where('id', '=', card)
          .executeTakeFirstOrThrow()
        expect(status.status).toBe('active')
      })

      it(`stops a model looping on tool calls after ${MAX_TOOL_ROUNDS} rounds, and says so`, async () => {
        const loop = Array.from({ length: 20 }, () => ({
          toolCalls: [{ name: 'get_liability', args: {} }],
        }))
        const { turn } = await turnWith(loop, 'what do we owe?', { actor: ACTORS.analyst })
        expect(fake.requests).toHaveLength(MAX_TOOL_ROUNDS)
        expect(turn.toolCalls).toHaveLength(MAX_TOOL_ROUNDS)
        expect(turn.reply).toBe(
          `I stopped after ${MAX_TOOL_ROUNDS} rounds of tool calls without reaching an answer (at most ${MAX_TOOL_ROUNDS} per message); nothing more was run. Ask again, more narrowly.`,
        )
        const audit = await lastAudit(MAX_TOOL_ROUNDS)
        expect(audit.every((a) => a.tool === 'get_liability' && a.model === MODEL)).toBe(true)
      })

      it('answers with the planner when the model says nothing at all', async () => {
        const { turn } = await turnWith([{ content: '' }], 'liability by state', {
          actor: ACTORS.analyst,
        })
        expect(turn.answeredBy).toBe('offline-planner (fallback)')
        expect(turn.reply).toMatch(/^Outstanding liability now: /)
        expect(turn.reply).toContain('returned an empty answer')
      })
    })
  })
}
