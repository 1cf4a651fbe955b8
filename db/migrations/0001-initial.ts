import { type CreateTableBuilder, type Kysely, sql } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Every table of docs/architecture.md §2. Unique keys that act as idempotency keys are unique *indexes*
 * (not constraints) so a bulk load can drop and rebuild them like any other index.
 */
export function initialMigration(adapter: EngineAdapter) {
  const ts = adapter.timestampType
  const cents = adapter.centsType
  const withId = <T extends string>(table: CreateTableBuilder<T, never>) =>
    table.addColumn('id', 'integer', (c) => adapter.autoId(c))

  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('locations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('city', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('jurisdiction', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('latitude', 'double precision')
        .addColumn('longitude', 'double precision')
        .addColumn('opened_at', ts, (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('terminals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('employees')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hired_at', ts, (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('customers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('pseudonym', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('email', 'text')
        .addColumn('phone', 'text')
        .addColumn('address_state', 'text')
        .addColumn('home_location_id', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('customers_pseudonym_key')
        .unique()
        .on('customers')
        .column('pseudonym')
        .execute()

      await db.schema
        .createTable('gift_cards')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text')
        .addColumn('gan_last4', 'text', (c) => c.notNull())
        .addColumn('initial_value_cents', cents, (c) => c.notNull())
        .addColumn('balance_cents', cents, (c) => c.notNull().check(sql`balance_cents >= 0`))
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('issued_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts)
        .addColumn('issuing_location_id', 'text')
        .addColumn('purchaser_customer_id', 'text')
        .addColumn('holder_customer_id', 'text')
        .addColumn('channel', 'text')
        .addColumn('occasion', 'text')
        .addColumn('last_activity_at', ts)
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('gift_cards_last4_idx')
        .on('gift_cards')
        .column('gan_last4')
        .execute()
      await db.schema
        .createIndex('gift_cards_issued_idx')
        .on('gift_cards')
        .column('issued_at')
        .execute()
      await db.schema
        .createIndex('gift_cards_purchaser_idx')
        .on('gift_cards')
        .column('purchaser_customer_id')
        .execute()

      await withId(db.schema.createTable('gift_card_transactions'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('card_id', 'text', (c) => c.references('gift_cards.id'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull().defaultTo('ok'))
        .addColumn('amount_cents', cents, (c) => c.notNull())
        .addColumn('balance_after_cents', cents)
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('occurred_at', ts, (c) => c.notNull())
        .addColumn('location_id', 'text')
        .addColumn('terminal_id', 'text')
        .addColumn('order_id', 'text')
        .addColumn('customer_id', 'text')
        .addColumn('employee_id', 'text')
        .execute()
      await db.schema
        .createIndex('gift_card_transactions_event_key')
        .unique()
        .on('gift_card_transactions')
        .columns(['source', 'event_id'])
        .execute()
      await db.schema
        .createIndex('gift_card_transactions_card_idx')
        .on('gift_card_transactions')
        .columns(['card_id', 'occurred_at'])
        .execute()
      await db.schema
        .createIndex('gift_card_transactions_occurred_idx')
        .on('gift_card_transactions')
        .column('occurred_at')
        .execute()

      await withId(db.schema.createTable('order_items'))
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('sku', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('amount_cents', cents, (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('order_items_order_idx')
        .on('order_items')
        .column('order_id')
        .execute()

      await withId(db.schema.createTable('webhook_inbox'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text')
        .addColumn('received_at', ts, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error', 'text')
        .addColumn('raw_body', 'text', (c) => c.notNull())
        .addColumn('processed_at', ts)
        .execute()
      await db.schema
        .createIndex('webhook_inbox_event_key')
        .unique()
        .on('webhook_inbox')
        .columns(['source', 'event_id'])
        .execute()
      await db.schema
        .createIndex('webhook_inbox_status_idx')
        .on('webhook_inbox')
        .column('status')
        .execute()

      await withId(db.schema.createTable('fraud_alerts'))
        .addColumn('card_id', 'text', (c) => c.notNull().references('gift_cards.id'))
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('score', 'double precision', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('detected_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .addColumn('note', 'text')
        .execute()
      await db.schema
        .createIndex('fraud_alerts_card_rule_key')
        .unique()
        .on('fraud_alerts')
        .columns(['card_id', 'rule'])
        .execute()
      await db.schema
        .createIndex('fraud_alerts_status_idx')
        .on('fraud_alerts')
        .column('status')
        .execute()

      await withId(db.schema.createTable('approval_requests'))
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('args', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('requested_via', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', ts)
        .addColumn('decision_reason', 'text')
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('executed_at', ts)
        .addColumn('outcome', 'text')
        .addColumn('slack_channel', 'text')
        .addColumn('slack_ts', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('approval_requests_status_idx')
        .on('approval_requests')
        .column('status')
        .execute()

      await withId(db.schema.createTable('card_holds'))
        .addColumn('card_id', 'text', (c) => c.notNull().references('gift_cards.id'))
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('approval_id', 'integer', (c) => c.references('approval_requests.id'))
        .addColumn('amount_cents', cents, (c) => c.notNull())
        .addColumn('placed_at', ts, (c) => c.notNull())
        .addColumn('released_at', ts)
        .addColumn('pos_reference', 'text')
        .addColumn('release_pos_reference', 'text')
        .execute()
      await db.schema
        .createIndex('card_holds_card_idx')
        .on('card_holds')
        .column('card_id')
        .execute()

      await withId(db.schema.createTable('campaigns'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('segment', 'text', (c) => c.notNull())
        .addColumn('offer', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('target_count', 'integer', (c) => c.notNull())
        .addColumn('target_liability_cents', cents, (c) => c.notNull())
        .addColumn('predicted_uptake', 'double precision', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('approval_id', 'integer', (c) => c.references('approval_requests.id'))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('launched_at', ts)
        .execute()

      await withId(db.schema.createTable('forecasts'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('model_version', 'text', (c) => c.notNull())
        .addColumn('data_watermark', ts)
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute()

      await withId(db.schema.createTable('gift_card_prompts'))
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('recommended', 'integer', (c) => c.notNull())
        .addColumn('amount_cents', cents, (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('actors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute()

      await withId(db.schema.createTable('api_tokens'))
        .addColumn('actor_id', 'text', (c) => c.notNull().references('actors.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('last_used_at', ts)
        .addColumn('revoked_at', ts)
        .execute()
      await db.schema
        .createIndex('api_tokens_hash_key')
        .unique()
        .on('api_tokens')
        .column('token_hash')
        .execute()

      // Index definitions dropped for a bulk load and not yet rebuilt (see db/bulk-load.ts).
      await db.schema
        .createTable('bulk_load_indexes')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('table_name', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .execute()

      await withId(db.schema.createTable('audit_log'))
        .addColumn('at', ts, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('role', 'text')
        .addColumn('via', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('tool', 'text')
        .addColumn('input', 'text')
        .addColumn('result_summary', 'text')
        .addColumn('approval_id', 'integer')
        .addColumn('model', 'text')
        .addColumn('data_watermark', ts)
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute()
    },

    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      for (const table of [
        'audit_log',
        'bulk_load_indexes',
        'api_tokens',
        'actors',
        'gift_card_prompts',
        'forecasts',
        'campaigns',
        'card_holds',
        'approval_requests',
        'fraud_alerts',
        'webhook_inbox',
        'order_items',
        'gift_card_transactions',
        'gift_cards',
        'customers',
        'employees',
        'terminals',
        'locations',
      ]) {
        await db.schema.dropTable(table).execute()
      }
    },
  }
}
