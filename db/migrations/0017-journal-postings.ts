import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Journal entries posted to QuickBooks Online (docs/finance.md): one row per month and entry
 * (`breakage`, `escheat`, `true_up`), written as soon as QuickBooks answered with the entry's
 * id. The key (month, entry) is what makes posting once per month: a second approved post of a
 * month finds its rows and posts nothing, and a post that failed half way posts only the entries
 * it has no row for (each with the same `requestid`, so QuickBooks replays rather than repeats).
 */
export function journalPostingsMigration(adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('journal_postings')
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('entry', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('approval_id', 'integer', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('remote_id', 'text', (c) => c.notNull())
        .addColumn('amount_cents', adapter.centsType, (c) => c.notNull())
        .addColumn('response', 'text', (c) => c.notNull())
        .addColumn('posted_at', adapter.timestampType, (c) => c.notNull())
        .addPrimaryKeyConstraint('journal_postings_pk', ['month', 'entry'])
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('journal_postings').execute()
    },
  }
}
