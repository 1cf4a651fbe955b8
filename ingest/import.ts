import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { ControlledTransaction, Kysely } from 'kysely'
import { describeError, GiftCardError, toIso } from '../core/index.ts'
import {
  CopyLedgerWriter,
  type CopySession,
  type Database,
  type DB,
  DEFAULT_ATTEMPTS,
  DeferredLedgerWriter,
  type DeferredWriter,
  fixTimezone,
  inSavepoint,
  isTransientDbError,
  retryDelayMs,
  TransactionalLedgerWriter,
  tooBusy,
  transientKind,
  withBulkLoad,
} from '../db/index.ts'
import {
  ApplyAgain,
  applyInTransaction,
  type BatchResult,
  CardCache,
  type KnownIds,
} from './apply.ts'
import type { AppliedEvent, EventListener } from './hooks.ts'
import { type ImportFormat, type Parsed, type Row, readRows } from './read-rows.ts'

export type RejectedRow = { line: number; reason: string }

export type ImportReport = {
  path: string
  format: ImportFormat
  /** Data rows read in this run (after any resume point). */
  rows: number
  applied: number
  duplicates: number
  rejected: RejectedRow[]
  /** The last committed line of an earlier, interrupted run this one resumed after (0 if none). */
  resumedAfterLine: number
  /** When this very file (same path, size and time) was fully imported before, if it was. */
  completedBefore: string | null
  /** Rows rejected in all runs of this file, the earlier ones included. */
  rejectedTotal: number
  seconds: number
}

export type ImportOptions = {
  format: ImportFormat
  /**
   * Rows per database transaction: each commit saves the checkpoint a killed run resumes
   * from. Fewer commits write each index page fewer times; on SQLite other writers wait for
   * the open one (about a second per 50,000 rows).
   */
  batchSize?: number
  /** Called with the events once their transaction committed. */
  listeners?: readonly EventListener[]
  onProgress?: (bytesRead: number, totalBytes: number) => void
  onRejected?: (row: RejectedRow) => void
  /** The key of stub customers' pseudonyms: PII_TOKEN_KEY (`applyBatch`'s `piiKey`). */
  piiKey?: string
  /**
   * The most one row may move or report as a balance (MAX_EVENT_CENTS); a larger one is
   * rejected by its line (default DEFAULT_MAX_EVENT_CENTS).
   */
  maxEventCents?: number
}

/** Rows a deferred writer may have still to write when the next chunk is applied. */
const QUEUED_ROWS = 20_000
/** Rows applied per `applyBatch` call inside a commit: what is held in memory at a time. */
const APPLY_ROWS = 10_000
/**
 * Fewer than one row in this many already in the ledger, and the next transaction is
 * expected new again (each event is looked up only while many are found).
 */
const DUPLICATES_TOLERATED = 100
/** Location and customer ids an import remembers as written, at most (about 4 MB). */
const KNOWN_IDS_KEPT = 50_000
/** Rejected rows kept in the report (all are counted and passed to `onRejected`). */
const KEPT_REJECTIONS = 10_000

/**
 * Imports an export file into the ledger, streaming (memory stays flat whatever the file size):
 * rows are validated one by one and applied 20,000 at a time, and a checkpoint is committed
 * with each transaction, so a run that is killed resumes after its last committed line.
 * Importing the same file again adds nothing (every event is idempotent on its id). Bad rows
 * are reported with their line number and reason while the good rows go in.
 */
export async function importFile(
  database: Database,
  path: string,
  options: ImportOptions,
): Promise<ImportReport> {
  const started = performance.now()
  const file = await stat(path).catch((err: unknown) => {
    throw new GiftCardError('INVALID_INPUT', `cannot read ${path}: ${describeError(err)}`)
  })
  const key = createHash('sha256')
    .update(`${await realpath(path)}\u0000${file.size}\u0000${file.mtimeMs}`)
    .digest('hex')
  const checkpoint = await loadCheckpoint(database, key, path, options.format)
  const report: ImportReport = {
    path,
    format: options.format,
    rows: 0,
    applied: 0,
    duplicates: 0,
    rejected: [],
    resumedAfterLine: checkpoint.completed_at ? 0 : checkpoint.line,
    completedBefore: checkpoint.completed_at,
    rejectedTotal: checkpoint.rejected,
    seconds: 0,
  }
  if (checkpoint.completed_at) {
    // The same bytes were imported to the end before: every row is in (or was rejected).
    report.seconds = (performance.now() - started) / 1000
    return report
  }
  const reject = (row: RejectedRow) => {
    if (report.rejected.length < KEPT_REJECTIONS) report.rejected.push(row)
    report.rejectedTotal++
    options.onRejected?.(row)
  }

  await fixTimezone(database.db, database.adapter)
  // PostgreSQL: the import's transactions run on a connection of their own, which COPYs.
  const session = await database.adapter.openCopySession?.()
  const commit = new Committer(
    database,
    session,
    key,
    report,
    options.listeners ?? [],
    reject,
    checkpoint.line,
    options.piiKey,
    options.maxEventCents,
  )
  const commitRows = options.batchSize ?? 100_000
  let lastLine = checkpoint.line
  try {
    await withBulkLoad(database, async () => {
      // Rows whose rejection or count is already in the report (a pass read again after a
      // rolled-back transaction reads them a second time).
      let reported = checkpoint.line
      for (;;) {
        const from = commit.committedLine
        const reader = readFrom(path, options.format, from, options.maxEventCents)
        let chunk: Parsed[] = []
        const flush = async (final: boolean): Promise<boolean> => {
          const ok = chunk.length === 0 || (await commit.apply(chunk, lastLine))
          chunk = []
          if (!ok) return false
          if (final || commit.rows >= commitRows) {
            if (!(await commit.commit(lastLine))) return false
            options.onProgress?.(reader.bytesRead, file.size)
          }
          return true
        }
        let ok = true
        try {
          read: for await (const read of reader.rows) {
            for (const row of read) {
              lastLine = row.line
              const fresh = row.line > reported
              if (fresh) {
                reported = row.line
                report.rows++
              }
              if ('error' in row) {
                if (fresh) reject({ line: row.line, reason: row.error })
                continue
              }
              chunk.push(row)
              if (chunk.length >= Math.min(APPLY_ROWS, commitRows - commit.rows)) {
                ok = await flush(false)
                if (!ok) break read
              }
            }
          }
          if (ok) ok = await flush(true)
        } catch (err) {
          await commit.rollback()
          throw err
        } finally {
          await reader.stop()
        }
        if (ok) break
        // A chunk or a commit failed and its transaction was rolled back: read again from the
        // last commit (carefully up to where it failed, unless it failed because rows of the
        // file were in the ledger already).
      }
    })
  } finally {
    try {
      await commit.close()
    } finally {
      await session?.release()
    }
  }
  await database.db
    .updateTable('import_checkpoints')
    .set({
      line: lastLine,
      rejected: report.rejectedTotal,
      completed_at: toIso(Date.now()),
      updated_at: toIso(Date.now()),
    })
    .where('key', '=', key)
    .execute()
  report.seconds = (performance.now() - started) / 1000
  return report
}

/**
 * The file's rows after line `after`, read and validated 64 KiB at a time: small reads keep
 * each piece's parsing garbage short-lived (read a megabyte at a time, the fields of ten
 * thousand rows outlive the young generation and the heap of a 1,000,000-row import grows
 * past 500 MB; this way it stays near 400).
 */
function readFrom(path: string, format: ImportFormat, after: number, maxEventCents?: number) {
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 })
  const limits = maxEventCents === undefined ? {} : { maxEventCents }
  async function* rows(): AsyncGenerator<Row[]> {
    for await (const read of readRows(stream, format, limits))
      yield after > 0 ? read.filter((r) => r.line > after) : read
  }
  return {
    rows: rows(),
    get bytesRead() {
      return stream.bytesRead
    },
    async stop() {
      stream.destroy()
    },
  }
}

/**
 * The import's open transaction: chunks of rows are applied into it and `commit` saves the
 * checkpoint with them. A chunk that fails rolls the whole transaction back (nothing of it is
 * kept in memory, so memory stays flat); the file is then read again from the last commit and
 * those rows applied carefully, each chunk in a savepoint and a failing one bisected, so a bad
 * row is found and left out without undoing the others. Listeners hear of the events once
 * they are committed.
 *
 * Where the engine has a deferred writer (SQLite on a file) and the rows are expected to be
 * new, the transaction's statements run on the writer's thread while this one validates and
 * works out the next rows. What the statements did is then known at commit: if one failed,
 * the transaction is rolled back and read again carefully as above; if rows were already in
 * the ledger (a file imported before), read again without the writer, looking up each event
 * until a transaction finds few of them.
 *
 * Where the engine COPYs (PostgreSQL), the transactions run on the `CopySession`'s own
 * connection, through the COPY writer (db/ledger-writer.ts): new cards, ledger rows and order
 * items go in by COPY; once rows already in the ledger turned up, by INSERT … ON CONFLICT.
 */
class Committer {
  /** Rows applied into the open transaction. */
  rows = 0
  /** The last line the ledger holds the outcome of (committed with the checkpoint). */
  committedLine: number
  private open: ControlledTransaction<DB> | undefined
  /** Lines up to which chunks go in a savepoint (those a failed transaction held). */
  private carefulThrough = 0
  private applied: AppliedEvent[] = []
  private counts = { applied: 0, duplicates: 0 }
  /** Cards of the open transaction, written once before it commits (none in careful mode). */
  private cards = new CardCache()
  /**
   * Locations and customers in the ledger or the open transaction (forgotten past
   * `KNOWN_IDS_KEPT`, so memory stays flat whatever the file size: a forgotten one is only
   * written again as a stub that is already there).
   */
  private known: KnownIds = { locations: new Set(), customers: new Set() }
  /** Unless rows already in the ledger turned up in the last transaction (a copy of a file imported before). */
  private expectNew = true
  /** The deferred writer, if the engine has one, and whether it holds the open transaction. */
  private readonly writer: DeferredWriter | undefined
  private writerOpen = false
  /** The ledger writer over the deferred writer (db/ledger-writer.ts). */
  private readonly deferred: DeferredLedgerWriter | undefined

  constructor(
    private readonly database: Database,
    /** The connection the transactions run on, where the engine COPYs (else the pool's). */
    private readonly session: CopySession | undefined,
    private readonly key: string,
    private readonly report: ImportReport,
    private readonly listeners: readonly EventListener[],
    private readonly reject: (row: RejectedRow) => void,
    startLine = 0,
    private readonly piiKey?: string,
    private readonly maxEventCents?: number,
  ) {
    this.committedLine = startLine
    this.writer = database.adapter.openDeferredWriter?.()
    // Reads go to this thread's connection, which sees the ledger as committed: the writer
    // holds the write lock, so no one else changes it, and every card this transaction
    // changed is in the cache.
    if (this.writer)
      this.deferred = new DeferredLedgerWriter(database.db, database.adapter, this.writer)
  }

  /** The transactional writer on the open transaction of this thread (COPYing, if it can). */
  private onThisThread(trx: ControlledTransaction<DB>): TransactionalLedgerWriter {
    const { adapter, db } = this.database
    return this.session
      ? new CopyLedgerWriter(trx, adapter, db, this.session)
      : new TransactionalLedgerWriter(trx, adapter, db)
  }

  /** A transaction on this thread: on the COPY session's connection, where there is one. */
  private begin(): Promise<ControlledTransaction<DB>> {
    return (this.session?.db ?? this.database.db).startTransaction().execute()
  }

  /**
   * Applies a chunk whose last line is `through`. Returns false if it failed outside careful
   * mode: the open transaction was rolled back and the caller must read again from
   * `committedLine`.
   */
  async apply(rows: Parsed[], through: number): Promise<boolean> {
    const deferred = this.useWriter(through)
    if (deferred && !this.writerOpen) {
      await (this.writer as DeferredWriter).begin()
      this.writerOpen = true
    } else if (!deferred) this.open ??= await this.begin()
    this.rows += rows.length
    try {
      if (through <= this.carefulThrough) {
        await this.applyCarefully(rows)
        return true
      }
      this.count(await this.applyBatch(rows, false))
      // The writer may fall behind by a chunk or two, no more (memory stays flat).
      if (deferred) await (this.writer as DeferredWriter).drain(QUEUED_ROWS)
      return true
    } catch (err) {
      await this.rollback()
      if (isTransientDbError(err)) {
        // Another writer's transaction and this one wanted the same rows: no row is at fault.
        // Back off and read again from the last commit, as carefully as before.
        await this.backOff(err)
        return false
      }
      if (through <= this.carefulThrough) throw err
      this.readAgain(err instanceof ApplyAgain && err.why === 'not new', through)
      return false
    }
  }

  /** Transactions rolled back in a row for contention (a commit starts the count again). */
  private contended = 0

  /**
   * Waits before the open transaction is tried again after contention (a deadlock, a
   * serialisation failure, SQLite busy: docs/concurrency.md); gives up with a `DB_ERROR` after
   * `DEFAULT_ATTEMPTS` in a row (the import then resumes from its checkpoint when run again).
   */
  private async backOff(err: unknown): Promise<void> {
    this.contended++
    if (this.contended >= DEFAULT_ATTEMPTS)
      throw tooBusy(transientKind(err) ?? 'contention', this.contended, err)
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(this.contended)))
  }

  /**
   * Saves the checkpoint with the rows applied and commits. Returns false if the deferred
   * writer's transaction failed: it was rolled back and the caller must read again from
   * `committedLine`.
   */
  async commit(lastLine: number): Promise<boolean> {
    const checkpoint = (db: Kysely<DB>) =>
      db
        .updateTable('import_checkpoints')
        .set((eb) => ({
          line: lastLine,
          applied: eb('applied', '+', this.counts.applied),
          duplicates: eb('duplicates', '+', this.counts.duplicates),
          rejected: this.report.rejectedTotal,
          updated_at: toIso(Date.now()),
        }))
        .where('key', '=', this.key)
    if (this.writerOpen) {
      const writer = this.writer as DeferredWriter
      this.writerOpen = false
      await this.cards.write(this.deferred as DeferredLedgerWriter)
      const query = checkpoint(this.database.db).compile()
      writer.execute(query.sql, query.parameters)
      const outcome = await writer.commit()
      if (!outcome.ok) {
        this.forget()
        this.readAgain(outcome.reason === 'not written', lastLine)
        return false
      }
    } else {
      const trx = this.open ?? (await this.begin())
      this.open = undefined
      await this.cards.write(this.onThisThread(trx))
      await checkpoint(trx).execute()
      await trx.commit().execute()
    }
    this.committedLine = lastLine
    this.contended = 0
    if (this.known.locations.size + this.known.customers.size > KNOWN_IDS_KEPT) this.forgetKnown()
    this.report.applied += this.counts.applied
    this.report.duplicates += this.counts.duplicates
    // Rows already in the ledger were few (a repeated row), or have come to an end (an export
    // that overlapped an earlier one): expect new rows again, and the writer's thread with them.
    if (!this.expectNew && this.counts.duplicates * DUPLICATES_TOLERATED < this.rows)
      this.expectNew = true
    const applied = this.applied
    this.reset()
    for (const event of applied)
      for (const listener of this.listeners) await listener.onEvent(event)
    return true
  }

  /** Rolls back the open transaction and forgets what it applied. */
  async rollback(): Promise<void> {
    const trx = this.open
    this.open = undefined
    const writerOpen = this.writerOpen
    this.writerOpen = false
    this.forget()
    await trx?.rollback().execute()
    if (writerOpen) await (this.writer as DeferredWriter).rollback()
  }

  /**
   * How the lines of a rolled-back transaction, through `through`, are read again: looking each
   * event up if some were in the ledger already (a file imported before), else carefully.
   */
  private readAgain(notNew: boolean, through: number): void {
    if (notNew) this.expectNew = false
    else this.carefulThrough = through
  }

  /** Stops the deferred writer's thread (after the last commit, or a failure). */
  async close(): Promise<void> {
    await this.writer?.close()
  }

  /** Whether rows through `through` go to the deferred writer. */
  private useWriter(through: number): boolean {
    if (this.writerOpen) return true
    // Not while this thread holds a transaction (careful rows): one writer at a time.
    return (
      this.writer !== undefined &&
      this.open === undefined &&
      this.expectNew &&
      through > this.carefulThrough
    )
  }

  /** Forgets what a rolled-back transaction applied, stubs it made included. */
  private forget(): void {
    this.forgetKnown()
    this.reset()
  }

  private forgetKnown(): void {
    this.known = { locations: new Set(), customers: new Set() }
  }

  private reset(): void {
    // Cards are read afresh by the next transaction: other writers may change them between.
    this.cards = new CardCache()
    this.rows = 0
    this.applied = []
    this.counts = { applied: 0, duplicates: 0 }
  }

  private applyBatch(rows: Parsed[], savepoint: boolean): Promise<BatchResult> {
    const deferred = this.writerOpen
    const open = this.open as ControlledTransaction<DB>
    return applyInTransaction(
      deferred ? (this.deferred as DeferredLedgerWriter) : this.onThisThread(open),
      { events: rows.flatMap((r) => r.events), cards: [] },
      {
        // A savepoint rolled back would leave the cached states ahead of the ledger.
        ...(savepoint
          ? { savepoint: <T>(work: () => Promise<T>) => inSavepoint(open, work) }
          : { cache: this.cards }),
        // The writer's transaction stays expecting new rows to its commit, even after a repeat
        // within one batch: this connection could not see the events it has queued, so only
        // an exact insert catches one met twice.
        expectNew: deferred || this.expectNew,
        known: this.known,
        keepApplied: this.listeners.length > 0,
        ...(this.piiKey ? { piiKey: this.piiKey } : {}),
        ...(this.maxEventCents !== undefined ? { maxEventCents: this.maxEventCents } : {}),
      },
    )
  }

  private count(result: BatchResult): void {
    this.counts.applied += result.appliedCount
    this.counts.duplicates += result.duplicates
    if (result.duplicates > 0) this.expectNew = false
    for (const event of result.applied) this.applied.push(event)
  }

  /**
   * Applies rows in a savepoint; if they fail, in halves until each part either applies or is
   * a single bad row, which is rejected: about log2(n) extra savepoints per bad row, rows kept
   * in their order.
   */
  private async applyCarefully(rows: Parsed[]): Promise<void> {
    // Savepointed batches read and write cards in the ledger: cached states would go stale.
    await this.cards.write(this.onThisThread(this.open as ControlledTransaction<DB>))
    this.cards = new CardCache()
    try {
      this.count(await this.applyBatch(rows, true))
    } catch (err) {
      // Contention is no row's fault: the caller rolls back and tries the rows again.
      if (isTransientDbError(err)) throw err
      const [only] = rows
      if (rows.length === 1 && only) {
        this.reject({ line: only.line, reason: describeError(err) })
        return
      }
      const middle = Math.ceil(rows.length / 2)
      await this.applyCarefully(rows.slice(0, middle))
      await this.applyCarefully(rows.slice(middle))
    }
  }
}

async function loadCheckpoint(database: Database, key: string, path: string, format: ImportFormat) {
  const now = toIso(Date.now())
  await database.db
    .insertInto('import_checkpoints')
    .values({
      key,
      path,
      format,
      line: 0,
      applied: 0,
      duplicates: 0,
      rejected: 0,
      started_at: now,
      updated_at: now,
      completed_at: null,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
  const row = await database.db
    .selectFrom('import_checkpoints')
    .selectAll()
    .where('key', '=', key)
    .executeTakeFirstOrThrow()
  if (row.format !== format) {
    throw new GiftCardError(
      'INVALID_INPUT',
      `${path} was imported before as ${row.format}, not ${format}`,
    )
  }
  return row
}
