import { Kysely, type LogEvent, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { DB } from '../schema.ts'
import { consumeColumnWorker } from './column-scan.ts'
import type { BulkWriter, CopySession, EngineAdapter, IndexDefinition } from './engine.ts'
import { copyRows } from './postgres-copy.ts'

/** PostgreSQL's limit on bind parameters in one statement. */
const MAX_PARAMETERS = 65_535
/** Rows buffered before a bulk writer asks to be flushed (one transaction per flush). */
const ROWS_PER_STATEMENT = 2_000
/** COPY streams any number of rows in one statement: it flushes larger batches. */
const ROWS_PER_COPY = 20_000

/**
 * How the bulk writer (the seed) loads rows: `copy` (the default, db/engines/postgres-copy.ts)
 * or `insert`, multi-row INSERTs, kept as the benchmark's baseline (`npm run bench -- copy`).
 */
export type PostgresBulkMethod = 'copy' | 'insert'

const INT8_OID = 20

/**
 * A pg pool whose bigint (int8) columns come back as JS numbers (cents fit safely), and the
 * engine adapter over it. `searchPath` pins every connection to one schema (tests use it
 * to isolate runs).
 */
export function openPostgres(
  url: string,
  options: {
    searchPath?: string
    max?: number
    bulkMethod?: PostgresBulkMethod
    /** The Kysely `log` of the database, for the COPY session's own Kysely too. */
    log?: (event: LogEvent) => void
  } = {},
): { dialect: PostgresDialect; adapter: EngineAdapter; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  })
  return {
    dialect: new PostgresDialect({ pool }),
    adapter: postgresAdapter(
      pool,
      options.bulkMethod ?? 'copy',
      {
        connectionString: url,
        ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
      },
      options.log,
    ),
    pool,
  }
}

/**
 * Settings of a columnar scan's own connection. The whole ledger in time order is one large
 * sort: with the default 4 MB of work_mem it is merged from hundreds of runs on disk.
 */
const SCAN_SETTINGS = ["set work_mem = '64MB'"]

function postgresAdapter(
  pool: pg.Pool,
  bulkMethod: PostgresBulkMethod,
  connection: { connectionString: string; options?: string },
  log: ((event: LogEvent) => void) | undefined,
): EngineAdapter {
  return {
    scanColumns(query, kinds, onPage, pageSize = 2_000) {
      // COPY binds no parameters: the one caller (the batch fraud scan) has none.
      if (query.parameters.length > 0)
        throw new Error('a columnar scan on PostgreSQL takes a query without parameters')
      return consumeColumnWorker(
        new URL('./postgres-scan-worker.mjs', import.meta.url),
        { ...connection, sql: query.sql, settings: SCAN_SETTINGS },
        kinds,
        onPage,
        pageSize,
      )
    },

    async scan<Row>(
      query: { sql: string; parameters: readonly unknown[]; arrays?: boolean },
      onBatch: (rows: Row[]) => void | Promise<void>,
      batchSize = 20_000,
    ) {
      const client = await pool.connect()
      try {
        await client.query('begin read only')
        await client.query(`declare scan_cursor no scroll cursor for ${query.sql}`, [
          ...query.parameters,
        ])
        for (;;) {
          const { rows } = await client.query({
            text: `fetch ${batchSize} from scan_cursor`,
            ...(query.arrays ? { rowMode: 'array' as const } : {}),
          })
          if (rows.length === 0) break
          await onBatch(rows as Row[])
        }
        await client.query('commit')
      } catch (err) {
        await client.query('rollback').catch(() => undefined)
        throw err
      } finally {
        client.release()
      }
    },

    fullScan: (table, alias) => `"${table}"${alias ? ` as ${alias}` : ''}`,
    byIndex: (table) => `"${table}"`,
    joinText: (expression, separator) => `string_agg(${expression}, '${separator}')`,

    engine: 'postgres',
    supportsRowLocks: true,
    placeholder: (n) => `$${n}`,
    centsType: 'bigint',
    keyOrderedTable: '',
    timestampType: sql`text collate "C"`,
    autoId: (col) => col.primaryKey().generatedByDefaultAsIdentity(),

    async listSecondaryIndexes(db: Kysely<DB>, tables: readonly string[]) {
      const { rows } = await sql<IndexDefinition>`
        select i.indexname as name, i.tablename as "table", i.indexdef as sql
        from pg_indexes i
        where i.schemaname = current_schema() and i.tablename in (${sql.join(tables)})
          and not exists (
            select 1 from pg_constraint c
            where c.conname = i.indexname and c.connamespace = current_schema()::regnamespace)
        order by i.indexname`.execute(db)
      return rows
    },

    async serializeAppends(trx: Kysely<DB>, table: keyof DB & string) {
      await sql`lock table ${sql.table(table)} in share row exclusive mode`.execute(trx)
    },

    async truncate(db: Kysely<DB>, tables: readonly string[]) {
      await sql`truncate table ${sql.join(tables.map((t) => sql.table(t)))} restart identity cascade`.execute(
        db,
      )
    },

    createBulkWriter(columns) {
      return postgresBulkWriter(pool, columns, bulkMethod)
    },

    openCopySession: () => openCopySession(pool, log),

    async beginBulkLoad(_options: { durable: boolean }) {},
    async endBulkLoad() {},

    async analyze(db: Kysely<DB>) {
      // This schema's tables only (a bare ANALYZE would read every schema of the database).
      // VACUUM too: after a bulk load no page is marked all-visible until a vacuum runs (and
      // autovacuum may be off, or hours behind), so the breakage forecast's pass card by card
      // could not read the card index alone. Measured at 760,000 cards (8M rows) on a loaded
      // machine: an index-only scan with no heap fetch, 10.3 s, once vacuumed; before, a hash
      // aggregate that spilled 643 MB to disk (25.1 s), or the index with 8M heap fetches (23.5 s).
      const { rows } = await sql<{ name: string }>`
        select quote_ident(schemaname) || '.' || quote_ident(tablename) as name
        from pg_tables where schemaname = current_schema()`.execute(db)
      if (rows.length > 0)
        await sql.raw(`vacuum (analyze) ${rows.map((r) => r.name).join(', ')}`).execute(db)
    },
  }
}

/**
 * One pooled connection for a transaction that COPYs (`CopySession`): a Kysely over that one
 * client runs the transaction's statements, so COPY, which Kysely cannot issue, goes to the
 * same connection and the same transaction. The client is given back to the pool by
 * `release`, not after each statement.
 */
async function openCopySession(
  pool: pg.Pool,
  log: ((event: LogEvent) => void) | undefined,
): Promise<CopySession> {
  const client = await pool.connect()
  const one = {
    connect: async () => ({
      query: client.query.bind(client),
      // Kept for the session: Kysely "releases" its connection after every statement.
      release: () => {},
    }),
    end: async () => {},
  }
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: one }),
    ...(log ? { log } : {}),
  })
  let released = false
  return {
    db,
    copy: (table, columns, rows) => copyRows(client, table, columns, rows),
    async release() {
      if (released) return
      released = true
      await db.destroy()
      // Never back to the pool inside a transaction: a rollback with none open only warns.
      // A connection that cannot even roll back is closed, not pooled.
      const broken = await client.query('rollback').then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      )
      client.release(broken)
    },
  }
}

/**
 * Buffers rows per table and writes them with COPY (or multi-row INSERTs), flushing tables in
 * the order their columns were given (parents before children, so foreign keys hold), each
 * flush in one transaction.
 */
function postgresBulkWriter(
  pool: pg.Pool,
  columns: Readonly<Record<string, readonly string[]>>,
  method: PostgresBulkMethod,
): BulkWriter {
  const buffers = new Map<string, unknown[][]>(Object.keys(columns).map((t) => [t, []]))
  const counts: Record<string, number> = {}
  let buffered = 0
  return {
    counts,
    get wantsFlush() {
      return buffered >= (method === 'copy' ? ROWS_PER_COPY : ROWS_PER_STATEMENT)
    },
    write(table, row) {
      const buffer = buffers.get(table)
      if (!buffer) throw new Error(`bulk writer has no columns for table ${table}`)
      buffer.push(row as unknown[])
      counts[table] = (counts[table] ?? 0) + 1
      buffered++
    },
    async abort() {
      for (const rows of buffers.values()) rows.length = 0
      buffered = 0
    },
    async flush() {
      const client = await pool.connect()
      try {
        await client.query('begin')
        for (const [table, rows] of buffers) {
          const cols = columns[table] ?? []
          if (method === 'copy') {
            await copyRows(client, table, cols, rows)
            rows.length = 0
            continue
          }
          const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / cols.length))
          for (let start = 0; start < rows.length; start += perStatement) {
            const chunk = rows.slice(start, start + perStatement)
            const values: unknown[] = []
            const tuples = chunk.map((row) => {
              const marks = row.map((value) => {
                values.push(value)
                return `$${values.length}`
              })
              return `(${marks.join(', ')})`
            })
            await client.query(
              `insert into "${table}" (${cols.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}`,
              values,
            )
          }
          rows.length = 0
        }
        await client.query('commit')
        buffered = 0
      } catch (err) {
        await client.query('rollback').catch(() => undefined)
        throw err
      } finally {
        client.release()
      }
    },
  }
}
