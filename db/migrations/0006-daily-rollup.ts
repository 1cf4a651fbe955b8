import { type Kysely, sql } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'
import { rebuildDailyRollup } from '../rollup.ts'

/**
 * The daily rollup (docs/rollups.md): `ledger_daily`, per chain-local day, store, event type,
 * card occasion and channel, with counts and sums, written with the ledger from now on; and
 * `ledger_rollup`, the time zone its days are in. Backfilled here from the ledger there is.
 */
export function dailyRollupMigration(adapter: EngineAdapter) {
  const cents = adapter.centsType
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('ledger_daily')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('location_id', 'text', (c) => c.notNull())
        .addColumn('occasion', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('count', cents, (c) => c.notNull())
        .addColumn('amount_cents', cents, (c) => c.notNull())
        .addColumn('cards_opened', cents, (c) => c.notNull())
        .addColumn('cards_closed', cents, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_daily_pkey', [
          'type',
          'day',
          'location_id',
          'occasion',
          'channel',
        ])
        .modifyEnd(sql.raw(adapter.keyOrderedTable))
        .execute()
      await db.schema
        .createTable('ledger_rollup')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('built_at', adapter.timestampType, (c) => c.notNull())
        .execute()
      const { n } = await db
        .selectFrom('gift_card_transactions')
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirstOrThrow()
      if (Number(n) > 0) await rebuildDailyRollup(db, adapter, { voids: false })
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('ledger_rollup').execute()
      await db.schema.dropTable('ledger_daily').execute()
    },
  }
}
