import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { type Kysely, SqliteDialect, sql } from 'kysely'
import type { DB } from '../schema.ts'
import { consumeColumnWorker } from './column-scan.ts'
import type {
  BulkWriter,
  ColumnKind,
  ColumnPage,
  EngineAdapter,
  IndexDefinition,
} from './engine.ts'
import { SqliteDeferredWriter } from './sqlite-writer.ts'

/** Page cache per connection (negative: KiB): 64 MiB keeps index pages hot during ingest. */
export const DEFAULT_CACHE_KIB = -65_536

/** Page cache of a connection that only looks rows up beside a deferred writer (8 MiB). */
const LOOKUP_CACHE_KIB = -8_192

/**
 * Page cache of a deferred writer's connection (32 MiB). Its thread and the importer's heap
 * come on top of the process's other memory, and an import must stay under 500 MB whatever
 * the file's size: a 3,000,000-row import peaked at 513-538 MB with 64 MiB here, 469 MB with
 * 48 and 439 MB with 32, for about 10% more time at 1,000,000 rows.
 */
const WRITER_CACHE_KIB = -32_768

/** Settings of every read-write connection (journal_mode = WAL is the file's own). */
const CONNECTION_PRAGMAS = [
  'foreign_keys = ON',
  'busy_timeout = 5000',
  'synchronous = NORMAL',
  `cache_size = ${DEFAULT_CACHE_KIB}`,
]

/** WAL pages between checkpoints during a bulk load (~160 MiB instead of 4 MiB). */
const BULK_AUTOCHECKPOINT_PAGES = 40_000

/** Rows per SQLite transaction during a bulk load: large enough to amortise the commit. */
const ROWS_PER_COMMIT = 250_000

/**
 * Opens a SQLite file (created with its folder if missing) with WAL, foreign keys and a busy
 * timeout, and returns the Kysely dialect and the engine adapter over the same handle.
 */
export function openSqlite(path: string): {
  dialect: SqliteDialect
  adapter: EngineAdapter
  raw: SqliteDatabase.Database
} {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const raw = new SqliteDatabase(path)
  raw.pragma('journal_mode = WAL')
  for (const pragma of CONNECTION_PRAGMAS) raw.pragma(pragma)
  const statements = withStatementCache(raw)
  return {
    dialect: new SqliteDialect({ database: statements }),
    adapter: sqliteAdapter(raw, path, statements),
    raw,
  }
}

function sqliteAdapter(
  raw: SqliteDatabase.Database,
  path: string,
  statements: ReturnType<typeof withStatementCache>,
): EngineAdapter {
  return {
    runEach(text, rows) {
      // The statement cache Kysely's queries use: the same connection, prepared once.
      const statement = statements.prepare(text)
      let changed = 0
      for (const row of rows) changed += statement.run(row as unknown[]).changes
      return changed
    },

    async scan<Row>(
      query: { sql: string; parameters: readonly unknown[]; arrays?: boolean },
      onBatch: (rows: Row[]) => void | Promise<void>,
      batchSize = 20_000,
    ) {
      // A private connection: the main one stays free for other queries while this one iterates.
      const reader = path === ':memory:' ? raw : new SqliteDatabase(path, { readonly: true })
      try {
        if (reader !== raw) for (const pragma of SCAN_PRAGMAS) reader.pragma(pragma)
        let batch: Row[] = []
        const statement = reader.prepare(query.sql)
        if (query.arrays) statement.raw(true)
        for (const row of statement.iterate(...query.parameters) as Iterable<Row>) {
          batch.push(row)
          if (batch.length >= batchSize) {
            await onBatch(batch)
            batch = []
          }
        }
        if (batch.length > 0) await onBatch(batch)
      } finally {
        if (reader !== raw) reader.close()
      }
    },

    fullScan: (table, alias) => `${quote(table)}${alias ? ` as ${alias}` : ''} not indexed`,
    byIndex: (table, index) => `${quote(table)} indexed by ${quote(index)}`,
    joinText: (expression, separator) => `group_concat(${expression}, '${separator}')`,

    engine: 'sqlite',
    supportsRowLocks: false,
    placeholder: () => '?',
    centsType: 'bigint',
    keyOrderedTable: 'without rowid',
    timestampType: 'text',
    autoId: (col) => col.primaryKey().autoIncrement(),

    async listSecondaryIndexes(db: Kysely<DB>, tables: readonly string[]) {
      const { rows } = await sql<IndexDefinition>`
        select name, tbl_name as "table", sql from sqlite_master
        where type = 'index' and sql is not null and tbl_name in (${sql.join(tables)})
        order by name`.execute(db)
      return rows
    },

    async serializeAppends(trx: Kysely<DB>, table: keyof DB & string) {
      // A write that changes nothing takes the write lock now, before the transaction reads:
      // a deferred transaction that reads first could not upgrade while another process writes.
      await sql`update ${sql.table(table)} set rowid = rowid where 0`.execute(trx)
    },

    async truncate(_db: Kysely<DB>, tables: readonly string[]) {
      // Foreign key checks would turn each DELETE into a row-by-row scan of its children.
      raw.pragma('foreign_keys = OFF')
      try {
        raw.transaction(() => {
          for (const table of tables) raw.prepare(`delete from ${quote(table)}`).run()
        })()
      } finally {
        raw.pragma('foreign_keys = ON')
      }
    },

    createBulkWriter(columns) {
      return sqliteBulkWriter(raw, columns)
    },

    // Work on a worker thread's own connection: a file can be opened twice, an in-memory
    // database cannot.
    ...(path === ':memory:'
      ? {}
      : {
          scanColumns: (
            query: { sql: string; parameters: readonly unknown[] },
            kinds: readonly ColumnKind[],
            onPage: (page: ColumnPage) => void,
            pageSize = 2_000,
          ) => scanColumnsOnWorker(path, query, kinds, onPage, pageSize),

          openDeferredWriter: () => {
            // While the writer works, this connection only looks cards up: its page cache
            // makes room for the writer's.
            raw.pragma(`cache_size = ${LOOKUP_CACHE_KIB}`)
            return new SqliteDeferredWriter(
              path,
              [
                ...CONNECTION_PRAGMAS,
                `cache_size = ${WRITER_CACHE_KIB}`,
                `wal_autocheckpoint = ${BULK_AUTOCHECKPOINT_PAGES}`,
              ],
              () => raw.pragma(`cache_size = ${DEFAULT_CACHE_KIB}`),
            )
          },
        }),

    async beginBulkLoad(options: { durable: boolean }) {
      if (!options.durable) {
        // The seed writes an empty ledger: no syncs, a large cache.
        raw.pragma('synchronous = OFF')
        raw.pragma('cache_size = -262144') // 256 MiB of page cache
      }
      // Checkpoint every ~160 MiB of WAL instead of every 4 MiB: a page written by many
      // batches reaches the database file once.
      raw.pragma(`wal_autocheckpoint = ${BULK_AUTOCHECKPOINT_PAGES}`)
    },

    async endBulkLoad() {
      raw.pragma('synchronous = NORMAL')
      raw.pragma(`cache_size = ${DEFAULT_CACHE_KIB}`)
      raw.pragma('wal_autocheckpoint = 1000')
      raw.pragma('wal_checkpoint(TRUNCATE)')
    },

    async analyze() {
      raw.exec('analyze')
    },
  }
}

/** Prepared single-row inserts inside large transactions: the fastest path better-sqlite3 has. */
function sqliteBulkWriter(
  raw: SqliteDatabase.Database,
  columns: Readonly<Record<string, readonly string[]>>,
): BulkWriter {
  const statements = new Map<string, SqliteDatabase.Statement>()
  for (const [table, cols] of Object.entries(columns)) {
    const placeholders = cols.map(() => '?').join(', ')
    statements.set(
      table,
      raw.prepare(
        `insert into ${quote(table)} (${cols.map(quote).join(', ')}) values (${placeholders})`,
      ),
    )
  }
  const counts: Record<string, number> = {}
  let sinceCommit = 0
  let open = false
  return {
    counts,
    wantsFlush: false,
    write(table, row) {
      const statement = statements.get(table)
      if (!statement) throw new Error(`bulk writer has no columns for table ${table}`)
      if (!open) {
        raw.exec('begin')
        open = true
      }
      statement.run(row as unknown[])
      counts[table] = (counts[table] ?? 0) + 1
      if (++sinceCommit >= ROWS_PER_COMMIT) {
        raw.exec('commit')
        open = false
        sinceCommit = 0
      }
    },
    async flush() {
      if (open) raw.exec('commit')
      open = false
      sinceCommit = 0
    },
    async abort() {
      if (open && raw.inTransaction) raw.exec('rollback')
      open = false
      sinceCommit = 0
    },
  }
}

/**
 * The settings of a scan's private read connection: large sorts (a whole ledger in time order)
 * on two threads, in small runs. At 1M cards a 32 MiB cache sorts as fast as 128 MiB and holds
 * 400 MB less.
 */
const SCAN_PRAGMAS = ['cache_size = -32768', 'threads = 2']

/** The caller's half of `scanColumns`: see sqlite-scan-worker.mjs for the reading half. */
function scanColumnsOnWorker(
  path: string,
  query: { sql: string; parameters: readonly unknown[] },
  kinds: readonly ColumnKind[],
  onPage: (page: ColumnPage) => void,
  pageSize: number,
): Promise<void> {
  return consumeColumnWorker(
    new URL('./sqlite-scan-worker.mjs', import.meta.url),
    { path, sql: query.sql, parameters: query.parameters, pragmas: SCAN_PRAGMAS },
    kinds,
    onPage,
    pageSize,
  )
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}

/** How many distinct SQL texts keep their prepared statement. */
const STATEMENT_CACHE_SIZE = 500

/**
 * Kysely prepares every query anew; preparing is most of the cost of a small SQLite query.
 * Queries whose SQL text repeats (the same builder with other values) reuse one statement.
 */
function withStatementCache(raw: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>()
  return {
    close: () => raw.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText)
      if (statement) {
        // Map keeps insertion order: re-inserting marks it most recently used.
        cache.delete(sqlText)
      } else {
        statement = raw.prepare(sqlText)
        if (cache.size >= STATEMENT_CACHE_SIZE) {
          const oldest = cache.keys().next().value
          if (oldest !== undefined) cache.delete(oldest)
        }
      }
      cache.set(sqlText, statement)
      return statement
    },
  }
}
