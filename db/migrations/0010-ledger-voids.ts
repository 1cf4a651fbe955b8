import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Voids (docs/pos-vocabulary.md): each ledger row of type `void` reverses one earlier event of
 * its source, named here. The key `(source, original_event_id)` lets an event be voided once;
 * `original_type` is what the void is rolled up against (a voided redemption is a redemption
 * less, docs/rollups.md), found by the void's own key.
 */
export function ledgerVoidsMigration(adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('ledger_voids')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('original_event_id', 'text', (c) => c.notNull())
        .addColumn('void_event_id', 'text', (c) => c.notNull())
        .addColumn('card_id', 'text', (c) => c.notNull())
        .addColumn('original_type', 'text', (c) => c.notNull())
        .addColumn('voided_at', adapter.timestampType, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_voids_pkey', ['source', 'original_event_id'])
        .execute()
      await db.schema
        .createIndex('ledger_voids_void_key')
        .unique()
        .on('ledger_voids')
        .columns(['source', 'void_event_id'])
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('ledger_voids').execute()
    },
  }
}
