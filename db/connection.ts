import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  type LogEvent,
  type QueryCompiler,
  type TransactionSettings,
} from 'kysely'
import { type DatabaseTarget, GiftCardError } from '../core/index.ts'
import { restorePendingIndexes } from './bulk-load.ts'
import type { EngineAdapter, EngineName } from './engines/engine.ts'
import { openPostgres, type PostgresBulkMethod } from './engines/postgres.ts'
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
  /** PostgreSQL only: how the bulk writer loads rows (default COPY; db/engines/postgres-copy.ts). */
  postgresBulkMethod?: PostgresBulkMethod
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
      dialect: withImmediateWrites(opened.dialect),
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
    ...(options.postgresBulkMethod ? { bulkMethod: options.postgresBulkMethod } : {}),
    ...(options.log ? { log: options.log } : {}),
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

/**
 * SQLite's dialect with write transactions that take the write lock as they begin (`begin
 * immediate`) instead of at their first write (Kysely's `begin`, deferred). In WAL mode a
 * deferred transaction that reads first and then writes cannot wait for another process's
 * writer: SQLite fails the write at once with SQLITE_BUSY ("database is locked"), whatever the
 * busy timeout, because the snapshot it read may be stale. An immediate one waits for the lock
 * (up to `busy_timeout`) before it reads anything. Transactions declared read only
 * (`setAccessMode('read only')`) stay deferred. See docs/concurrency.md.
 */
function withImmediateWrites(dialect: Dialect): Dialect {
  return {
    createDriver: () => new ImmediateWriteDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  }
}

/** A driver that begins SQLite write transactions `immediate` and otherwise defers to its own. */
class ImmediateWriteDriver implements Driver {
  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init()
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return this.inner.acquireConnection()
  }

  async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    if (settings.accessMode === 'read only')
      return this.inner.beginTransaction(connection, settings)
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection)
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection)
  }

  savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.savepoints().savepoint(connection, name, compile)
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.savepoints().rollbackToSavepoint(connection, name, compile)
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.savepoints().releaseSavepoint(connection, name, compile)
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(connection)
  }

  destroy(): Promise<void> {
    return this.inner.destroy()
  }

  /** The inner driver's savepoint methods (Kysely's SQLite driver has them all). */
  private savepoints(): Required<
    Pick<Driver, 'savepoint' | 'rollbackToSavepoint' | 'releaseSavepoint'>
  > {
    const { inner } = this
    if (!inner.savepoint || !inner.rollbackToSavepoint || !inner.releaseSavepoint)
      throw new GiftCardError('DB_UNSUPPORTED', 'this SQLite driver has no savepoints')
    return {
      savepoint: inner.savepoint.bind(inner),
      rollbackToSavepoint: inner.rollbackToSavepoint.bind(inner),
      releaseSavepoint: inner.releaseSavepoint.bind(inner),
    }
  }
}
