import type { Kysely } from 'kysely'
import type { EngineAdapter } from '../engines/engine.ts'

/**
 * Signed-in dashboard sessions (docs/dashboard.md). A row per sign-in: the SHA-256 of the
 * session id the cookie carries (the id itself is never stored), the bearer token it was opened
 * with (revoking the token ends the session), the form token every post must carry (CSRF), and
 * when it expires or was ended by signing out.
 */
export function dashboardSessionsMigration(adapter: EngineAdapter) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('dashboard_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('token_id', 'integer', (c) => c.notNull().references('api_tokens.id'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', adapter.timestampType, (c) => c.notNull())
        .addColumn('expires_at', adapter.timestampType, (c) => c.notNull())
        .addColumn('ended_at', adapter.timestampType)
        .execute()
      await db.schema
        .createIndex('dashboard_sessions_expires')
        .on('dashboard_sessions')
        .column('expires_at')
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('dashboard_sessions').execute()
    },
  }
}
