import { describe, expect, it } from 'vitest'
import type { Database } from '../../db/index.ts'
import { createToolkit } from '../../tools/index.ts'
import {
  ACTORS,
  type AgentFixture,
  PII,
  seededPii,
  setUpAgentFixture,
} from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { langGraphAdapter } from './adapters.ts'
import { sampleCalls, toolContract } from './tools.case.ts'

for (const dialect of DIALECTS) {
  describe(`the LangGraph adapter on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let adapter: ReturnType<typeof langGraphAdapter>
    let seededPiiValues: string[]
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d)
      adapter = langGraphAdapter(createToolkit(d, fixture.config))
      seededPiiValues = await seededPii(d)
    })
    toolContract(
      () => adapter,
      () => ({ database, fixture, seededPii: seededPiiValues }),
    )

    it('offers a model only the tools its actor may use', async () => {
      await adapter.call('get_liability', {}, ACTORS.analyst)
      expect(adapter.model.offered).not.toContain('place_card_hold')
      expect(adapter.model.offered).toContain('launch_campaign')
      await adapter.call('get_liability', {}, ACTORS.lp)
      expect(adapter.model.offered).toContain('place_card_hold')
    })

    it('never shows a model a name, email or phone from the ledger, nor an email or phone a person types', async () => {
      adapter.model.seen.length = 0
      adapter.say(`about the customer ${PII.email}, phone ${PII.phone}: run it`)
      try {
        for (const { tool, args } of sampleCalls(fixture))
          await adapter.call(tool, args, ACTORS.manager)
      } finally {
        adapter.say(undefined)
      }
      const visible = JSON.stringify(adapter.model.seen)
      for (const value of [PII.name, PII.email, PII.phone, ...seededPiiValues])
        expect(visible).not.toContain(value)
      expect(visible).toContain(PII.pseudonym)
    })
  })
}
