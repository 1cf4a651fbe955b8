import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import type { Database } from './connection.ts'

/** Where an agent keeps its conversations, and how to let go of it. */
export type Checkpointer = { saver: BaseCheckpointSaver; close(): Promise<void> }

/**
 * Where conversations are kept between turns and across an approval's wait: the SQLite saver
 * on the ledger's own file, or the Postgres saver in the ledger's database (and schema); an
 * in-memory ledger keeps them in memory. The engine is db's to know (docs/architecture.md §1.2),
 * so the choice is made here and the agent receives the result. The savers (and LangChain under
 * them) are imported here, when an agent starts: every other user of db/ runs without them.
 */
export async function createCheckpointer(database: Database): Promise<Checkpointer> {
  const { target } = database
  if (target.engine === 'sqlite') {
    if (target.path === ':memory:') {
      const { MemorySaver } = await import('@langchain/langgraph-checkpoint')
      return { saver: new MemorySaver(), close: async () => {} }
    }
    const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite')
    const saver = SqliteSaver.fromConnString(target.path)
    return {
      saver,
      close: async () => {
        saver.db.close()
      },
    }
  }
  const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres')
  const saver = PostgresSaver.fromConnString(target.url, {
    schema: database.searchPath ?? 'public',
  })
  await saver.setup()
  return { saver, close: () => saver.end() }
}
