import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerMigrate(program: Command, ctx: () => CliContext): void {
  program
    .command('migrate')
    .description(
      'bring the database schema to the latest version (also done on first use); with GIFTCARDS_ADMIN, name the first admin',
    )
    .action(async () => (await import('../actions/migrate.ts')).runMigrate(ctx))
}
