import { type Kysely, sql } from 'kysely'
import type { DB } from '../schema.ts'
import type { IndexDefinition } from './engine.ts'

/** Drops a secondary index (standard SQL on both engines). */
export async function dropIndex(db: Kysely<DB>, index: IndexDefinition): Promise<void> {
  await sql`drop index if exists ${sql.id(index.name)}`.execute(db)
}

/** Recreates an index from the definition its engine reported; does nothing if it exists. */
export async function createIndex(db: Kysely<DB>, index: IndexDefinition): Promise<void> {
  await sql
    .raw(index.sql.replace(/^create (unique )?index /i, 'create $1index if not exists '))
    .execute(db)
}
