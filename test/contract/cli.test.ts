import { describe } from 'vitest'
import type { Database } from '../../db/index.ts'
import { type AgentFixture, seededPii, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { cliAdapter, type ToolAdapter } from './adapters.ts'
import { toolContract } from './tools.case.ts'

for (const dialect of DIALECTS) {
  describe(`the CLI adapter on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let adapter: ToolAdapter
    let seededPiiValues: string[]
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d)
      adapter = cliAdapter(d)
      seededPiiValues = await seededPii(d)
    })
    toolContract(
      () => adapter,
      () => ({ database, fixture, seededPii: seededPiiValues }),
    )
  })
}
