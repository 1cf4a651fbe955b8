import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * The card index of the ledger also carries each row's amount and result, so a pass over the
 * ledger card by card (the breakage forecast's) reads the index alone, in order, instead of
 * sorting the whole table: at 10M rows 2.9 s against 6.9 s on SQLite. Lookups by card and time
 * use it as before.
 */
export function ledgerCoverMigration(_adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('gift_card_transactions_card_idx').execute()
      await db.schema
        .createIndex('gift_card_transactions_card_idx')
        .on('gift_card_transactions')
        .columns(['card_id', 'occurred_at', 'amount_cents', 'result'])
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('gift_card_transactions_card_idx').execute()
      await db.schema
        .createIndex('gift_card_transactions_card_idx')
        .on('gift_card_transactions')
        .columns(['card_id', 'occurred_at'])
        .execute()
    },
  }
}
