import type { Command } from 'commander'
import { migrateToLatest } from '../../db/index.ts'
import { type CliContext, withDatabase } from '../context.ts'

export function registerMigrate(program: Command, ctx: () => CliContext): void {
  program
    .command('migrate')
    .description('bring the database schema to the latest version (also done on first use)')
    .action(async () => {
      const report = await withDatabase(
        ctx(),
        (database) => migrateToLatest(database.db, database.adapter, database.searchPath),
        { migrate: false },
      )
      console.log(
        report.applied.length > 0
          ? `applied ${report.applied.join(', ')}; schema is at ${report.current}`
          : `schema is up to date (${report.current ?? 'no migrations'})`,
      )
    })
}
