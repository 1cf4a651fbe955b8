export { insertMany, type OnConflict, selectIn } from './batch-sql.ts'
export * from './bulk-load.ts'
export * from './checkpointer.ts'
export * from './connection.ts'
export type {
  BulkWriter,
  ColumnKind,
  ColumnPage,
  CopySession,
  DeferredCommit,
  DeferredWriter,
  EngineAdapter,
  EngineName,
  IndexDefinition,
} from './engines/engine.ts'
export { ENGINES } from './engines/engine.ts'
export { createIndex, dropIndex } from './engines/indexes.ts'
export type { PostgresBulkMethod } from './engines/postgres.ts'
export { copyRows } from './engines/postgres-copy.ts'
export {
  type HorizonReading,
  LEADER_LOCK_KEYS,
  readHorizon,
  SessionLock,
  SettledHorizon,
} from './engines/postgres-leases.ts'
export * from './ledger-writer.ts'
export { type MigrationReport, migrateToLatest } from './migrate.ts'
export * from './queries/cards.ts'
export * from './queries/drift.ts'
export * from './queries/freshness.ts'
export * from './queries/job-runs.ts'
export * from './queries/ledger.ts'
export * from './queries/liability.ts'
export * from './queries/master-data.ts'
export * from './queries/metrics.ts'
export * from './queries/owners.ts'
export * from './retry.ts'
export * from './rollup.ts'
export type * from './schema.ts'
export { countAll, monthOf, sumCents } from './sql-helpers.ts'
