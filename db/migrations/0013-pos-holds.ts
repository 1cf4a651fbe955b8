import { type Kysely, sql } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Holds that take effect at the POS (issue 23, docs/approvals.md "Holds at the POS").
 *
 * `pos_hold_calls` records each call a hold or a release makes to a POS *before* it is made,
 * outside the transaction that records the hold: the idempotency key (`hold-approval-N`,
 * `release-approval-N`), the POS balance read first and the amount to move. A retried execution
 * (a recovery after a crash, a race) finds the row and repeats the same call with the same key
 * and amount, so the POS moves the money once; its `state` says how the call ended (`started`
 * until the hold is recorded, then `done`; `refused` or `unanswered` when the approval failed).
 *
 * `card_holds.pos_connector` says how the hold was enforced (`square`, `shopify`, `lightspeed`,
 * or `ledger-only`), so a release undoes it the same way whatever is configured by then;
 * `pos_balance_before_cents` is the POS balance read before the hold (null: ledger only).
 */
export function posHoldsMigration(adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('pos_hold_calls')
        .addColumn('idempotency_key', 'text', (c) => c.primaryKey())
        .addColumn('approval_id', 'integer', (c) => c.notNull().references('approval_requests.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('card_id', 'text', (c) => c.notNull().references('gift_cards.id'))
        .addColumn('connector', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('ledger_balance_cents', adapter.centsType, (c) => c.notNull())
        .addColumn('pos_balance_before_cents', adapter.centsType)
        .addColumn('amount_cents', adapter.centsType, (c) => c.notNull())
        .addColumn('pos_reference', 'text')
        .addColumn('error', 'text')
        .addColumn('started_at', adapter.timestampType, (c) => c.notNull())
        .addColumn('finished_at', adapter.timestampType)
        .execute()
      await db.schema
        .createIndex('pos_hold_calls_card_idx')
        .on('pos_hold_calls')
        .column('card_id')
        .execute()
      await db.schema
        .alterTable('card_holds')
        .addColumn('pos_connector', 'text', (c) => c.notNull().defaultTo('ledger-only'))
        .execute()
      await db.schema
        .alterTable('card_holds')
        .addColumn('pos_balance_before_cents', adapter.centsType)
        .execute()
      // Before 0013 only Square placed holds at a POS; its references are Square activity ids,
      // a ledger-only hold's start with `local:`.
      await sql`update card_holds set pos_connector = 'square' where pos_reference is not null and pos_reference not like 'local:%'`.execute(
        db,
      )
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('card_holds').dropColumn('pos_balance_before_cents').execute()
      await db.schema.alterTable('card_holds').dropColumn('pos_connector').execute()
      await db.schema.dropTable('pos_hold_calls').execute()
    },
  }
}
