import { MemorySaver } from '@langchain/langgraph-checkpoint'
import { describe, expect, it } from 'vitest'
import { Agent } from '../../agent/index.ts'
import { createServices, startAgent } from '../../app/index.ts'
import type { Database } from '../../db/index.ts'
import { createCheckpointer } from '../../db/index.ts'
import { createToolkit } from '../../tools/index.ts'
import { ACTORS, type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

for (const dialect of DIALECTS) {
  describe(`the composition root (app/) on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 150)
    })

    it('builds the agent from the parts it is given: its threads go to that checkpointer', async () => {
      const saver = new MemorySaver()
      let closed = 0
      let reads = 0
      const agent = await Agent.create({
        toolkit: createToolkit(database, fixture.config),
        checkpointer: {
          saver,
          close: async () => {
            closed++
          },
        },
        config: fixture.config,
        readVocabulary: async () => {
          reads++
          return { stores: [], timezone: 'America/New_York' }
        },
      })
      const thread = { threadId: 'test:parts', actor: ACTORS.lp, via: 'cli' as const }
      const turn = await agent.ask(`what's the balance on ${fixture.piiCard}?`, thread)
      expect(turn.toolCalls).toEqual([{ name: 'get_gift_card', args: { card: fixture.piiCard } }])
      expect(reads).toBe(1)
      const stored = await saver.getTuple({ configurable: { thread_id: 'test:parts' } })
      expect(stored?.checkpoint.id).toBeTruthy()
      await agent.close()
      expect(closed).toBe(1)
    })

    it('makes the services once: one toolkit behind the approvals and the agent', async () => {
      const services = createServices(database, fixture.config)
      expect(services.approvals).toBe(services.toolkit.approvals)
      expect(services.database).toBe(database)
      const { agent, toolkit } = await startAgent(services)
      try {
        expect(agent.toolkit).toBe(toolkit)
        expect(toolkit).toBe(services.toolkit)
        const turn = await agent.ask('liability by state', {
          threadId: 'test:services',
          actor: ACTORS.manager,
          via: 'cli',
        })
        expect(turn.toolCalls.map((c) => c.name)).toEqual(['get_liability'])
      } finally {
        await agent.close()
      }
    })

    it('chooses the checkpointer by engine in db/: the ledger’s own file or database', async () => {
      const checkpointer = await createCheckpointer(database)
      try {
        const expected = dialect.name === 'postgres' ? 'PostgresSaver' : 'SqliteSaver'
        expect(checkpointer.saver.constructor.name).toBe(expected)
      } finally {
        await checkpointer.close()
      }
    })
  })
}
