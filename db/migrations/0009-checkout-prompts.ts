import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * What the checkout endpoint (docs/checkout.md) keeps beside each prompt: where it came from
 * (`checkout` from the POS, `agent` when a person asked the tool to save one), the store, the
 * score the advice rested on, and when the cashier's outcome arrived. Old rows keep nulls.
 * `checkout_key` is the order id of a checkout prompt (null otherwise) and is unique, so a POS
 * that retries a checkout gets the prompt it was given, never a second one.
 */
export function checkoutPromptsMigration(_adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('gift_card_prompts').addColumn('source', 'text').execute()
      await db.schema.alterTable('gift_card_prompts').addColumn('location_id', 'text').execute()
      await db.schema.alterTable('gift_card_prompts').addColumn('score', 'real').execute()
      await db.schema.alterTable('gift_card_prompts').addColumn('outcome_at', 'text').execute()
      await db.schema.alterTable('gift_card_prompts').addColumn('checkout_key', 'text').execute()
      await db.schema
        .createIndex('gift_card_prompts_checkout_key_uq')
        .on('gift_card_prompts')
        .column('checkout_key')
        .unique()
        .execute()
      await db.schema
        .createIndex('gift_card_prompts_created_idx')
        .on('gift_card_prompts')
        .column('created_at')
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('gift_card_prompts_created_idx').execute()
      await db.schema.dropIndex('gift_card_prompts_checkout_key_uq').execute()
      for (const column of ['checkout_key', 'outcome_at', 'score', 'location_id', 'source'])
        await db.schema.alterTable('gift_card_prompts').dropColumn(column).execute()
    },
  }
}
