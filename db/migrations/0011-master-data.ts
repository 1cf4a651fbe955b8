import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Store and customer master data (docs/ingest.md, "Master data"): the columns an import of
 * `--format locations` / `--format customers` and `giftcards sync square` fill that the first
 * schema had no place for, so nothing a file gives is dropped. `master_data_at` says when a row
 * last came from master data: null for a stub an event made (docs/privacy.md), which is how the
 * reports tell a store of unknown jurisdiction from one that was loaded.
 */
export function masterDataMigration(adapter: EngineAdapter) {
  const ts = adapter.timestampType
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('locations').addColumn('postal_code', 'text').execute()
      await db.schema.alterTable('locations').addColumn('country', 'text').execute()
      await db.schema.alterTable('locations').addColumn('master_data_at', ts).execute()
      await db.schema.alterTable('customers').addColumn('postal_code', 'text').execute()
      await db.schema.alterTable('customers').addColumn('segment', 'text').execute()
      await db.schema.alterTable('customers').addColumn('master_data_at', ts).execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      for (const column of ['master_data_at', 'segment', 'postal_code'])
        await db.schema.alterTable('customers').dropColumn(column).execute()
      for (const column of ['master_data_at', 'country', 'postal_code'])
        await db.schema.alterTable('locations').dropColumn(column).execute()
    },
  }
}
