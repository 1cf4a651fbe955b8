import type { ColumnDataType, ColumnDefinitionBuilder, Expression, Kysely } from 'kysely'
import type { DB } from '../schema.ts'

/** The database engines the product runs on. */
export const ENGINES = ['sqlite', 'postgres'] as const
export type EngineName = (typeof ENGINES)[number]

/** A secondary index as the engine reports it, with the SQL that recreates it. */
export type IndexDefinition = { name: string; table: string; sql: string }

/**
 * Writes many rows fast, for the seed and for imports. Rows are positional arrays in the
 * column order given to `createBulkWriter`. `write` may buffer; callers await `flush` when
 * `wantsFlush` is true (PostgreSQL) and once at the end.
 */
export interface BulkWriter {
  write(table: string, row: readonly unknown[]): void
  readonly wantsFlush: boolean
  flush(): Promise<void>
  /** Discards what is buffered or uncommitted (after a failure). */
  abort(): Promise<void>
  /** Rows written so far, per table. */
  readonly counts: Readonly<Record<string, number>>
}

/**
 * How a column of a columnar scan travels: text repeated across rows (types, stores,
 * terminals) as codes into a dictionary sent once, other text as it is, numbers as doubles.
 */
export type ColumnKind = 'dictionary' | 'text' | 'number'

/** A page of a columnar scan: text columns as arrays (null for NULL), numbers as doubles (NaN for NULL). */
export type ColumnPage = { rows: number; columns: ((string | null)[] | Float64Array)[] }

/** How a deferred write transaction ended. */
export type DeferredCommit =
  | { ok: true }
  /** Rolled back: a statement failed, or an `exact` one found a row already there. */
  | { ok: false; reason: 'not written' | 'error'; message: string }

/**
 * A write transaction whose statements run on another thread, in the order queued: `runEach`
 * and `execute` return at once (`runEach` with the number of rows queued), and what they did
 * is known at `commit`. Rows a caller must insert (no conflict skipped) are queued `exact`:
 * the commit fails if one was skipped. One transaction at a time: `begin`, queue, then
 * `commit` or `rollback`.
 */
export interface DeferredWriter {
  /** Opens the transaction, waiting until it holds the database's write lock. */
  begin(): Promise<void>
  runEach(text: string, rows: readonly (readonly unknown[])[], exact?: boolean): number
  execute(text: string, parameters: readonly unknown[]): void
  /** Waits until at most `rows` queued rows are still to be written. */
  drain(rows?: number): Promise<void>
  commit(): Promise<DeferredCommit>
  rollback(): Promise<void>
  close(): Promise<void>
}

/**
 * A connection of its own for one long write transaction that loads rows with COPY (an
 * import on PostgreSQL): `db` runs the transaction's statements on that connection, and
 * `copy` streams rows into a table inside the same transaction (db/engines/postgres-copy.ts).
 * A row COPY cannot take (a key already there, a constraint, a trigger) fails the statement
 * and the transaction, back to its last savepoint, like any failed statement on PostgreSQL.
 */
export interface CopySession {
  readonly db: Kysely<DB>
  /** Streams `rows` (each in `columns` order) into `table`; resolves with the rows stored. */
  copy(
    table: keyof DB & string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<number>
  /** Gives the connection back (after the transaction ended). */
  release(): Promise<void>
}

/**
 * Everything that differs between SQLite and PostgreSQL lives behind this interface
 * (the Kysely model: one adapter with capability flags, never `if (sqlite)` in queries).
 */
export interface EngineAdapter {
  readonly engine: EngineName
  /**
   * Whether `select … for update` locks rows. PostgreSQL: yes, and concurrent writers need it.
   * SQLite: no such syntax, and no need (a write transaction excludes every other writer).
   */
  readonly supportsRowLocks: boolean
  /** The bind parameter for the n-th value (1-based): `?` on SQLite, `$n` on PostgreSQL. */
  placeholder(n: number): string
  /** Column type for money (integer cents, 64-bit). */
  readonly centsType: 'bigint'
  /** Makes `id` an auto-generated integer primary key. */
  autoId(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder
  /**
   * Text after `create table (…)` that keeps a table's rows in primary key order, for small
   * tables read by key ranges (the daily rollup). SQLite: `without rowid`; PostgreSQL: none.
   */
  readonly keyOrderedTable: string
  /** Column type for ISO timestamps (byte-order collation so text order is time order). */
  readonly timestampType: ColumnDataType | Expression<unknown>
  /** Secondary (non-constraint) indexes of these tables, with their CREATE statements. */
  listSecondaryIndexes(db: Kysely<DB>, tables: readonly string[]): Promise<IndexDefinition[]>
  /** Empties these tables fast (children before parents in the list). */
  truncate(db: Kysely<DB>, tables: readonly string[]): Promise<void>
  /** A bulk writer for tables with the given column lists. */
  createBulkWriter(columns: Readonly<Record<string, readonly string[]>>): BulkWriter
  /**
   * Tunes the connection for a long bulk load and restores it after. `durable: false` (the
   * seed, into an empty ledger) may skip syncs; `durable: true` (imports into a live ledger)
   * keeps every committed batch safe and only batches the checkpoint work.
   */
  beginBulkLoad(options: { durable: boolean }): Promise<void>
  endBulkLoad(): Promise<void>
  /**
   * Refreshes the planner's statistics after a large change (the seed). PostgreSQL also
   * vacuums, so index-only scans need no heap fetch (postgres.ts).
   */
  analyze(db: Kysely<DB>): Promise<void>
  /**
   * Makes appends to `table` inside `trx` one at a time until it commits (a hash chain reads
   * its last row and writes the next). PostgreSQL: a table lock that lets readers through;
   * SQLite: nothing to do, a write transaction already excludes every other writer.
   */
  serializeAppends(trx: Kysely<DB>, table: keyof DB & string): Promise<void>
  /**
   * Reads a large query a batch at a time without holding it all (one-pass analytics over the
   * ledger). SQLite reads on a second, read-only connection, which sees one snapshot while
   * writers go on; PostgreSQL through a server-side cursor in a read-only transaction.
   * Placeholders are the engine's own (`placeholder(n)`).
   */
  scan<Row>(
    /** `arrays`: rows as arrays of the selected columns, in order (cheaper than objects). */
    query: { sql: string; parameters: readonly unknown[]; arrays?: boolean },
    onBatch: (rows: Row[]) => void | Promise<void>,
    batchSize?: number,
  ): Promise<void>
  /**
   * Reads a large query on a worker thread, so the engine's sorting and row decoding run beside
   * the caller's work on the rows instead of before it (the batch fraud scan's ledger, 10M rows,
   * spends a third of its time there). Pages of columns, at most a few ahead of the caller
   * (db/engines/column-scan.ts). SQLite on a file: the worker's own read-only connection;
   * PostgreSQL: `COPY (query) TO STDOUT` on the worker's own connection, so the query takes no
   * parameters. Absent for SQLite in memory: use `scan`.
   */
  scanColumns?(
    query: { sql: string; parameters: readonly unknown[] },
    kinds: readonly ColumnKind[],
    onPage: (page: ColumnPage) => void,
    pageSize?: number,
  ): Promise<void>
  /**
   * Where the engine inserts faster one row per execution of a prepared statement than in
   * multi-row statements (SQLite: 1,000,000 ledger rows in 7.4 s against 9.7 s in statements
   * of 500 rows), runs the single-row statement `text` once per row on the connection of the
   * open transaction and returns the rows it changed. PostgreSQL leaves it out: a round trip
   * per row would cost far more than the statement.
   */
  runEach?(text: string, rows: readonly (readonly unknown[])[], exact?: boolean): number
  /**
   * A write transaction on a worker thread (SQLite on a file): long imports queue their
   * statements there and go on working while they run. Absent where the engine cannot.
   */
  openDeferredWriter?(): DeferredWriter
  /**
   * PostgreSQL: a connection whose transaction can load rows with COPY (`CopySession`), for
   * an import's bulk rows. Absent where the engine has no COPY.
   */
  openCopySession?(): Promise<CopySession>
  /**
   * `FROM` text for a pass that reads a whole table: SQLite is told not to walk an index (which
   * visits the table at random: an `issued_at` range over 1M cards took 4× a plain scan).
   * `alias` names it for a join.
   */
  fullScan(table: keyof DB & string, alias?: string): string
  /** `FROM` text for a pass that reads a table through one index (SQLite: `indexed by`). */
  byIndex(table: keyof DB & string, index: string): string
  /** SQL for the values of `expression` in a group joined by `separator` (a literal). */
  joinText(expression: string, separator: string): string
}
