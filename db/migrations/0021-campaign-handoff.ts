import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * The marketing hand-off (docs/campaigns.md, issue 20):
 * - `customers.marketing_consent`: what the CRM says of marketing to a customer
 *   (`subscribed`, `unsubscribed`, `suppressed`; null when it never said). A launch leaves the
 *   unsubscribed and suppressed out and counts them.
 * - `campaign_members`: who a launch contacted and who it held out, card by card, so the
 *   campaign's lift (redemptions of the contacted against the holdout) can be measured later.
 * - on `campaigns`: where the audience went (`provider`, its ids there as JSON in
 *   `provider_ref`), the holdout share used, and the counts of the launch (contacted, held out,
 *   left out and why).
 */
export function campaignHandoffMigration(adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('customers').addColumn('marketing_consent', 'text').execute()
      await db.schema.alterTable('campaigns').addColumn('provider', 'text').execute()
      await db.schema.alterTable('campaigns').addColumn('provider_ref', 'text').execute()
      await db.schema
        .alterTable('campaigns')
        .addColumn('holdout_share', 'double precision')
        .execute()
      await db.schema.alterTable('campaigns').addColumn('launch_counts', 'text').execute()
      await db.schema
        .createTable('campaign_members')
        .addColumn('campaign_id', 'integer', (c) => c.notNull().references('campaigns.id'))
        .addColumn('card_id', 'text', (c) => c.notNull())
        .addColumn('arm', 'text', (c) => c.notNull())
        .addColumn('created_at', adapter.timestampType, (c) => c.notNull())
        .addPrimaryKeyConstraint('campaign_members_pk', ['campaign_id', 'card_id'])
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('campaign_members').execute()
      for (const column of ['launch_counts', 'holdout_share', 'provider_ref', 'provider'])
        await db.schema.alterTable('campaigns').dropColumn(column).execute()
      await db.schema.alterTable('customers').dropColumn('marketing_consent').execute()
    },
  }
}
