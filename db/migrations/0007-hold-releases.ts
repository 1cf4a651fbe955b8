import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * What a hold's release needs on record: who asked for it, in their own words, and the approval
 * that allowed it (who approved it is on that approval). A hold requested without a reason keeps
 * `reason` empty (the column has been NOT NULL since 0001); it reads back as no reason.
 */
export function holdReleasesMigration(_adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('card_holds').addColumn('released_by', 'text').execute()
      await db.schema.alterTable('card_holds').addColumn('release_reason', 'text').execute()
      await db.schema
        .alterTable('card_holds')
        .addColumn('release_approval_id', 'integer', (c) => c.references('approval_requests.id'))
        .execute()
      await db.schema
        .createIndex('card_holds_placed_idx')
        .on('card_holds')
        .column('placed_at')
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('card_holds_placed_idx').execute()
      await db.schema.alterTable('card_holds').dropColumn('release_approval_id').execute()
      await db.schema.alterTable('card_holds').dropColumn('release_reason').execute()
      await db.schema.alterTable('card_holds').dropColumn('released_by').execute()
    },
  }
}
