import { describe } from 'vitest'
import type { Database } from '../../db/index.ts'
import { type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { cliAdapter, type ToolAdapter } from './adapters.ts'
import { toolContract } from './tools.case.ts'

for (const dialect of DIALECTS) {
  describe(`the CLI adapter on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let adapter: ToolAdapter
    let seededPii: string[]
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d)
      adapter = cliAdapter(d)
      const customers = await d.db
        .selectFrom('customers')
        .select(['email', 'phone'])
        .limit(200)
        .execute()
      seededPii = customers
        .flatMap((c) => [c.email, c.phone])
        .filter((v): v is string => Boolean(v))
    })
    toolContract(
      () => adapter,
      () => ({ database, fixture, seededPii }),
    )
  })
}
