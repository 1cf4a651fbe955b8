import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Case files posted to the retail ops platform (CASE_WEBHOOK_URL, docs/fraud-cases.md): one
 * row per confirmed alert, written when it is confirmed, marked delivered once the platform
 * answered 2xx. The alert id is the key, so a case is posted once however often it is
 * confirmed; a failed post stays pending with its error until `fraud case deliver` retries it.
 */
export function caseDeliveriesMigration(adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('case_deliveries')
        .addColumn('alert_id', 'integer', (c) => c.primaryKey().references('fraud_alerts.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('created_at', adapter.timestampType, (c) => c.notNull())
        .addColumn('delivered_at', adapter.timestampType)
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('case_deliveries').execute()
    },
  }
}
