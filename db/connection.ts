import { Kysely, type LogEvent } from 'kysely'
import { type DatabaseTarget, GiftCardError } from '../core/index.ts'
import { restorePendingIndexes } from './bulk-load.ts'
import type { EngineAdapter, EngineName } from './engines/engine.ts'
import { openPostgres } from './engines/postgres.ts'
import { openSqlite } from './engines/sqlite.ts'
import { migrateToLatest } from './migrate.ts'
import type { DB } from './schema.ts'

/** An open ledger: the typed query builder, the engine adapter and a way to close both. */
export interface Database {
  readonly engine: EngineName
  readonly db: Kysely<DB>
  readonly adapter: EngineAdapter
  /** Human-readable location (file path, or the URL without its password). */
  readonly describe: string
  /** PostgreSQL: the schema every connection uses, when one was pinned. */
  readonly searchPath?: string
  /** Where it lives: other stores kept beside the ledger (the agent's checkpoints) use it too. */
  readonly target: DatabaseTarget
  close(): Promise<void>
}

export type OpenOptions = {
  /** Run pending migrations on open (default true: migrations run on first use). */
  migrate?: boolean
  /** PostgreSQL only: the schema every connection uses (tests isolate runs with it). */
  searchPath?: string
  /** PostgreSQL only: pool size. */
  poolSize?: number
  /** Called after every query with its SQL and duration (profiling, tracing). */
  log?: (event: LogEvent) => void
}

/**
 * The connection factory: SQLite (WAL, foreign keys, busy timeout) or a PostgreSQL pool,
 * chosen by the parsed DATABASE_URL, migrated to the latest schema unless told not to.
 */
export async function openDatabase(
  target: DatabaseTarget,
  options: OpenOptions = {},
): Promise<Database> {
  const database = connect(target, options)
  if (options.migrate ?? true) {
    try {
      await migrateToLatest(database.db, database.adapter, database.searchPath)
      await restorePendingIndexes(database)
    } catch (err) {
      await database.close()
      throw err
    }
  }
  return database
}

function connect(target: DatabaseTarget, options: OpenOptions): Database {
  if (target.engine === 'sqlite') {
    let opened: ReturnType<typeof openSqlite>
    try {
      opened = openSqlite(target.path)
    } catch (err) {
      throw new GiftCardError(
        'DB_ERROR',
        `cannot open SQLite file ${target.path}: ${String(err)}`,
        {
          cause: err,
        },
      )
    }
    const db = new Kysely<DB>({
      dialect: opened.dialect,
      ...(options.log ? { log: options.log } : {}),
    })
    return {
      engine: 'sqlite',
      db,
      adapter: opened.adapter,
      describe: `sqlite:${target.path}`,
      target,
      close: () => db.destroy(),
    }
  }
  const opened = openPostgres(target.url, {
    ...(options.searchPath ? { searchPath: options.searchPath } : {}),
    ...(options.poolSize ? { max: options.poolSize } : {}),
  })
  const db = new Kysely<DB>({
    dialect: opened.dialect,
    ...(options.log ? { log: options.log } : {}),
  })
  return {
    engine: 'postgres',
    db,
    adapter: opened.adapter,
    describe: target.url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@'),
    ...(options.searchPath ? { searchPath: options.searchPath } : {}),
    target,
    close: () => db.destroy(),
  }
}
