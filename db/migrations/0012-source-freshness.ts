import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Freshness per source (docs/reconciliation.md): `/healthz`, `giftcards status` and the tools
 * read each source's newest event time and newest delivery time on every call, so each is an
 * index probe (the max of `occurred_at` / `received_at` under one `source`), not a scan of the
 * ledger or the inbox.
 */
export function sourceFreshnessMigration(_adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('gift_card_transactions_source_occurred_idx')
        .on('gift_card_transactions')
        .columns(['source', 'occurred_at'])
        .execute()
      await db.schema
        .createIndex('webhook_inbox_source_received_idx')
        .on('webhook_inbox')
        .columns(['source', 'received_at'])
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('webhook_inbox_source_received_idx').execute()
      await db.schema.dropIndex('gift_card_transactions_source_occurred_idx').execute()
    },
  }
}
