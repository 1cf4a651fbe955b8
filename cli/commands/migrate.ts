import type { Command } from 'commander'
import { migrateToLatest } from '../../db/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { ensureFirstAdmin } from '../identity.ts'

export function registerMigrate(program: Command, ctx: () => CliContext): void {
  program
    .command('migrate')
    .description(
      'bring the database schema to the latest version (also done on first use); with GIFTCARDS_ADMIN, name the first admin',
    )
    .action(async () => {
      const context = ctx()
      const report = await withDatabase(
        context,
        async (database) => {
          const done = await migrateToLatest(database.db, database.adapter, database.searchPath)
          await ensureFirstAdmin(database, context.identity)
          return done
        },
        { migrate: false },
      )
      console.log(
        report.applied.length > 0
          ? `applied ${report.applied.join(', ')}; schema is at ${report.current}`
          : `schema is up to date (${report.current ?? 'no migrations'})`,
      )
    })
}
