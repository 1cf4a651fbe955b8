import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely'
import { GiftCardError } from '../core/index.ts'
import type { EngineAdapter } from './engines/engine.ts'
import { initialMigration } from './migrations/0001-initial.ts'
import { ingestMigration } from './migrations/0002-ingest.ts'
import { facesMigration } from './migrations/0003-faces.ts'
import { slackSyncMigration } from './migrations/0004-slack-sync.ts'
import { ledgerCoverMigration } from './migrations/0005-ledger-cover.ts'
import { dailyRollupMigration } from './migrations/0006-daily-rollup.ts'
import { holdReleasesMigration } from './migrations/0007-hold-releases.ts'
import { checkoutPromptsMigration } from './migrations/0009-checkout-prompts.ts'
import { ledgerVoidsMigration } from './migrations/0010-ledger-voids.ts'
import { masterDataMigration } from './migrations/0011-master-data.ts'
import { sourceFreshnessMigration } from './migrations/0012-source-freshness.ts'
import { posHoldsMigration } from './migrations/0013-pos-holds.ts'
import { caseDeliveriesMigration } from './migrations/0015-case-deliveries.ts'
import { dashboardSessionsMigration } from './migrations/0016-dashboard-sessions.ts'
import { journalPostingsMigration } from './migrations/0017-journal-postings.ts'
import { jobRunsMigration } from './migrations/0018-job-runs.ts'
import { slackMessagesMigration } from './migrations/0019-slack-messages.ts'
import { instancesMigration } from './migrations/0020-instances.ts'
import { campaignHandoffMigration } from './migrations/0021-campaign-handoff.ts'
import type { DB } from './schema.ts'

/** Every migration in order; names sort in the order they run. */
function allMigrations(adapter: EngineAdapter): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(adapter),
    '0002-ingest': ingestMigration(adapter),
    '0003-faces': facesMigration(adapter),
    '0004-slack-sync': slackSyncMigration(adapter),
    '0005-ledger-cover': ledgerCoverMigration(adapter),
    '0006-daily-rollup': dailyRollupMigration(adapter),
    '0007-hold-releases': holdReleasesMigration(adapter),
    '0009-checkout-prompts': checkoutPromptsMigration(adapter),
    '0010-ledger-voids': ledgerVoidsMigration(adapter),
    '0011-master-data': masterDataMigration(adapter),
    '0012-source-freshness': sourceFreshnessMigration(adapter),
    '0013-pos-holds': posHoldsMigration(adapter),
    '0015-case-deliveries': caseDeliveriesMigration(adapter),
    '0016-dashboard-sessions': dashboardSessionsMigration(adapter),
    '0017-journal-postings': journalPostingsMigration(adapter),
    '0018-job-runs': jobRunsMigration(adapter),
    '0019-slack-messages': slackMessagesMigration(adapter),
    '0020-instances': instancesMigration(adapter),
    '0021-campaign-handoff': campaignHandoffMigration(adapter),
  }
}

export type MigrationReport = { applied: string[]; current: string | undefined }

/**
 * Brings the schema to the latest version. Safe to call on every start: it takes Kysely's
 * migration lock, applies only what is missing and reports what it applied.
 */
export async function migrateToLatest(
  db: Kysely<DB>,
  adapter: EngineAdapter,
  /** PostgreSQL: the schema the migration tables live in (else Kysely may see another schema's). */
  schema?: string,
): Promise<MigrationReport> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => allMigrations(adapter) },
    // 0006 (the rollup) and 0007 (hold releases) were written side by side and touch different
    // tables: a database that has 0007 still takes 0006 when it arrives. Later migrations written
    // side by side in the same way are numbered apart (0008, 0009) and touch different tables.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
  const result: MigrationResultSet = await migrator.migrateToLatest()
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName
    throw new GiftCardError(
      'DB_ERROR',
      `migration ${failed ?? '(unknown)'} failed: ${errorMessage(result.error)}`,
      { cause: result.error },
    )
  }
  const applied = (result.results ?? [])
    .filter((r) => r.status === 'Success')
    .map((r) => r.migrationName)
  const all = await migrator.getMigrations()
  const executed = all.filter((m) => m.executedAt !== undefined)
  return { applied, current: executed.at(-1)?.name }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
