import type { Database } from './connection.ts'
import type { IndexDefinition } from './engines/engine.ts'
import { createIndex, dropIndex } from './engines/indexes.ts'

/**
 * Runs `load` with the secondary indexes of `tables` dropped and rebuilds them afterwards: one
 * sort per index instead of millions of random index inserts. The dropped definitions are
 * written down first, so a load killed half-way has its indexes rebuilt on the next open
 * (`restorePendingIndexes`) and the idempotency keys are never lost.
 */
export async function withIndexesDropped<T>(
  database: Database,
  tables: readonly string[],
  load: () => Promise<T>,
): Promise<T> {
  const { db, adapter } = database
  await restorePendingIndexes(database)
  const indexes = await adapter.listSecondaryIndexes(db, tables)
  if (indexes.length > 0) {
    await db
      .insertInto('bulk_load_indexes')
      .values(indexes.map((i) => ({ name: i.name, table_name: i.table, definition: i.sql })))
      .execute()
  }
  await adapter.beginBulkLoad({ durable: false })
  try {
    for (const index of indexes) await dropIndex(db, index)
    return await load()
  } finally {
    await restorePendingIndexes(database)
    await adapter.endBulkLoad()
  }
}

/** Rebuilds indexes a bulk load dropped (after a crash, or at the end of the load). */
export async function restorePendingIndexes(database: Database): Promise<number> {
  const { db } = database
  const pending = await db.selectFrom('bulk_load_indexes').selectAll().orderBy('name').execute()
  for (const row of pending) {
    const index: IndexDefinition = { name: row.name, table: row.table_name, sql: row.definition }
    await createIndex(db, index)
    await db.deleteFrom('bulk_load_indexes').where('name', '=', row.name).execute()
  }
  return pending.length
}

/** Runs a long, durable load (an import into a live ledger) with the engine tuned for it. */
export async function withBulkLoad<T>(database: Database, load: () => Promise<T>): Promise<T> {
  await database.adapter.beginBulkLoad({ durable: true })
  try {
    return await load()
  } finally {
    await database.adapter.endBulkLoad()
  }
}
