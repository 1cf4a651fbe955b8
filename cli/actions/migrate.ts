import { migrateToLatest } from '../../db/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { ensureFirstAdmin } from '../identity.ts'

export async function runMigrate(ctx: () => CliContext): Promise<void> {
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
}
