import { afterAll, describe } from 'vitest'
import type { Database } from '../../db/index.ts'
import { createToolkit } from '../../tools/index.ts'
import { type AgentFixture, seededPii, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { mcpAdapter } from './adapters.ts'
import { toolContract } from './tools.case.ts'

for (const dialect of DIALECTS) {
  describe(`the MCP adapter on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let adapter: ReturnType<typeof mcpAdapter>
    let seededPiiValues: string[]
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d)
      adapter = mcpAdapter(createToolkit(d, fixture.config))
      seededPiiValues = await seededPii(d)
    })
    afterAll(async () => {
      await adapter?.close()
    })
    toolContract(
      () => adapter,
      () => ({ database, fixture, seededPii: seededPiiValues }),
    )
  })
}
