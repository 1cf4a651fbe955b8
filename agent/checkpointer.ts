import { type BaseCheckpointSaver, MemorySaver } from '@langchain/langgraph'
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres'
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite'
import type { Database } from '../db/index.ts'

/**
 * Where conversations are kept between turns and across an approval's wait: the SQLite saver
 * on the ledger's own file, or the Postgres saver in the ledger's database (and schema).
 */
export async function createCheckpointer(
  database: Database,
): Promise<{ saver: BaseCheckpointSaver; close(): Promise<void> }> {
  const { target } = database
  if (target.engine === 'sqlite') {
    if (target.path === ':memory:') return { saver: new MemorySaver(), close: async () => {} }
    const saver = SqliteSaver.fromConnString(target.path)
    return {
      saver,
      close: async () => {
        saver.db.close()
      },
    }
  }
  const saver = PostgresSaver.fromConnString(target.url, {
    schema: database.searchPath ?? 'public',
  })
  await saver.setup()
  return { saver, close: () => saver.end() }
}
