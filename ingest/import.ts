import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { ControlledTransaction } from 'kysely'
import { z } from 'zod'
import {
  type CardEvent,
  describeError,
  GiftCardError,
  majorToCents,
  signedAmount,
  TRANSACTION_TYPES,
  toIso,
} from '../core/index.ts'
import { type Database, type DB, withBulkLoad } from '../db/index.ts'
import { applyBatch, type BatchResult, type KnownIds } from './apply.ts'
import { type CsvRecord, readCsv } from './csv.ts'
import type { AppliedEvent, EventListener } from './hooks.ts'
import { squareActivitySchema, squareActivityToEvents } from './sources/square.ts'

export const IMPORT_FORMATS = ['csv', 'square-jsonl'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]

/** Columns a CSV export must have; the others are optional. Order does not matter. */
export const CSV_REQUIRED = [
  'event_id',
  'occurred_at',
  'card_id',
  'type',
  'amount',
  'currency',
] as const
export const CSV_OPTIONAL = [
  'balance_after',
  'location_id',
  'terminal_id',
  'order_id',
  'customer_id',
  'employee_id',
  'items',
] as const

/** The ledger's types an export may carry (holds and expiry are the ledger's own doing). */
const csvType = z.enum(TRANSACTION_TYPES).exclude(['block', 'unblock', 'expire'])

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
}

/** Rows applied per `applyBatch` call inside a commit: what is held in memory at a time. */
const APPLY_ROWS = 20_000
/** Rejected rows kept in the report (all are counted and passed to `onRejected`). */
const KEPT_REJECTIONS = 10_000

type Parsed = { line: number; events: CardEvent[] }
/** A row read from the file: its events, or why it was rejected. */
type Row = Parsed | { line: number; error: string }

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

  const stream = createReadStream(path, { highWaterMark: 1 << 20 })
  const commit = new Committer(database, key, report, options.listeners ?? [], reject)
  const commitRows = options.batchSize ?? 100_000
  let chunk: Parsed[] = []
  let lastLine = checkpoint.line
  const flush = async (final: boolean) => {
    if (chunk.length > 0) await commit.apply(chunk)
    chunk = []
    if (final || commit.rows >= commitRows) {
      await commit.commit(lastLine)
      options.onProgress?.(stream.bytesRead, file.size)
    }
  }

  const rows = options.format === 'csv' ? csvRows(stream) : jsonlRows(stream)
  await withBulkLoad(database, async () => {
    try {
      for await (const read of rows) {
        for (const row of read) {
          lastLine = row.line
          if (row.line <= checkpoint.line) continue
          report.rows++
          if ('error' in row) {
            reject({ line: row.line, reason: row.error })
            continue
          }
          chunk.push(row)
          if (chunk.length >= Math.min(APPLY_ROWS, commitRows - commit.rows)) await flush(false)
        }
      }
      await flush(true)
    } catch (err) {
      await commit.rollback()
      throw err
    }
  })
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
 * The import's open transaction: chunks of rows are applied into it and `commit` saves the
 * checkpoint with them. A chunk that fails rolls the transaction back; the rows since the last
 * commit are then applied again carefully, each chunk in a savepoint and a failing one bisected,
 * so a bad row is found and left out without undoing the others. Listeners hear of the events
 * once they are committed.
 */
class Committer {
  /** Rows applied into the open transaction. */
  rows = 0
  private open: ControlledTransaction<DB> | undefined
  /** The rows of the open transaction, to apply again if one of them fails. */
  private uncommitted: Parsed[][] = []
  /** Set once a chunk of the open transaction failed: every chunk then goes in a savepoint. */
  private careful = false
  private applied: AppliedEvent[] = []
  private counts = { applied: 0, duplicates: 0 }
  /** Locations and customers in the ledger or the open transaction. */
  private known: KnownIds = { locations: new Set(), customers: new Set() }
  /** Until rows already in the ledger turn up (a copy of a file imported before). */
  private expectNew = true

  constructor(
    private readonly database: Database,
    private readonly key: string,
    private readonly report: ImportReport,
    private readonly listeners: readonly EventListener[],
    private readonly reject: (row: RejectedRow) => void,
  ) {}

  async apply(rows: Parsed[]): Promise<void> {
    this.open ??= await this.database.db.startTransaction().execute()
    this.rows += rows.length
    this.uncommitted.push(rows)
    if (this.careful) return this.applyCarefully(rows)
    try {
      this.count(await this.applyBatch(rows, false))
    } catch {
      // Undo the open transaction and apply its rows again, the failing ones left out.
      await this.rollback()
      this.open = await this.database.db.startTransaction().execute()
      this.careful = true
      for (const chunk of this.uncommitted) await this.applyCarefully(chunk)
    }
  }

  async commit(lastLine: number): Promise<void> {
    const trx = this.open ?? (await this.database.db.startTransaction().execute())
    this.open = undefined
    await trx
      .updateTable('import_checkpoints')
      .set((eb) => ({
        line: lastLine,
        applied: eb('applied', '+', this.counts.applied),
        duplicates: eb('duplicates', '+', this.counts.duplicates),
        rejected: this.report.rejectedTotal,
        updated_at: toIso(Date.now()),
      }))
      .where('key', '=', this.key)
      .execute()
    await trx.commit().execute()
    this.report.applied += this.counts.applied
    this.report.duplicates += this.counts.duplicates
    const applied = this.applied
    this.reset()
    for (const event of applied)
      for (const listener of this.listeners) await listener.onEvent(event)
  }

  /** Rolls back the open transaction and forgets what it applied. */
  async rollback(): Promise<void> {
    const trx = this.open
    this.open = undefined
    this.known = { locations: new Set(), customers: new Set() }
    this.applied = []
    this.counts = { applied: 0, duplicates: 0 }
    await trx?.rollback().execute()
  }

  private reset(): void {
    this.rows = 0
    this.uncommitted = []
    this.careful = false
    this.applied = []
    this.counts = { applied: 0, duplicates: 0 }
  }

  private applyBatch(rows: Parsed[], savepoint: boolean): Promise<BatchResult> {
    return applyBatch(
      this.database,
      { events: rows.flatMap((r) => r.events), cards: [] },
      { trx: this.open, savepoint, expectNew: this.expectNew, known: this.known },
    )
  }

  private count(result: BatchResult): void {
    this.counts.applied += result.applied.length
    this.counts.duplicates += result.duplicates
    if (result.duplicates > 0) this.expectNew = false
    if (this.listeners.length > 0) for (const event of result.applied) this.applied.push(event)
  }

  /**
   * Applies rows in a savepoint; if they fail, in halves until each part either applies or is
   * a single bad row, which is rejected: about log2(n) extra savepoints per bad row, rows kept
   * in their order.
   */
  private async applyCarefully(rows: Parsed[]): Promise<void> {
    try {
      this.count(await this.applyBatch(rows, true))
    } catch (err) {
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

// ── CSV ───────────────────────────────────────────────────────────────────────────────────

const DECIMAL = /^\d+(?:\.\d{1,2})?$/

/** A major-unit amount as the file writes it; converted to cents once valid. */
const decimal = (field: string) =>
  z.string().regex(DECIMAL, {
    error: (issue) =>
      String(issue.input).startsWith('-')
        ? `${field} must not be negative (the type gives the sign)`
        : `${field} must be a decimal amount with at most two decimals, got ${JSON.stringify(issue.input)}`,
  })

const optionalId = (field: string) =>
  z.string().max(200, `${field} is longer than 200 characters`).optional()

/**
 * One CSV row, fields trimmed and empty optional fields left out. Checks only (no transforms):
 * a million rows go through it, and zod's checks cost a fifth of its transforms.
 */
export const csvRowSchema = z.object({
  event_id: z
    .string()
    .min(1, 'event_id is empty')
    .max(200, 'event_id is longer than 200 characters'),
  occurred_at: z.iso.datetime({ offset: true, error: 'occurred_at must be an ISO 8601 timestamp' }),
  card_id: z.string().min(1, 'card_id is empty').max(200, 'card_id is longer than 200 characters'),
  type: z.enum(csvType.options, { error: `type must be one of ${csvType.options.join(', ')}` }),
  amount: decimal('amount'),
  currency: z.string().regex(/^[A-Za-z]{3}$/, 'currency must be a 3-letter code'),
  balance_after: decimal('balance_after').optional(),
  location_id: optionalId('location_id'),
  terminal_id: optionalId('terminal_id'),
  order_id: optionalId('order_id'),
  customer_id: optionalId('customer_id'),
  employee_id: optionalId('employee_id'),
  items: z.string().optional(),
})

/** `sku:category:amount` entries separated by `;`. */
function parseItems(text: string): { sku: string; category: string; amountCents: number }[] {
  return text
    .split(';')
    .filter((entry) => entry.trim() !== '')
    .map((entry) => {
      const [sku, category, amount] = entry.split(':').map((part) => part.trim())
      if (!sku || !category || amount === undefined) {
        throw new GiftCardError(
          'INVALID_INPUT',
          `items entry ${JSON.stringify(entry)} is not sku:category:amount`,
        )
      }
      try {
        return { sku, category, amountCents: majorToCents(amount) }
      } catch {
        throw new GiftCardError(
          'INVALID_INPUT',
          `items entry ${JSON.stringify(entry)} has a bad amount`,
        )
      }
    })
}

const REQUIRED = new Set<string>(CSV_REQUIRED)

async function* csvRows(stream: AsyncIterable<Buffer>): AsyncGenerator<Row[]> {
  let columns: string[] | undefined
  for await (const records of readCsv(stream)) {
    const rows: Row[] = []
    for (const record of records) {
      if ('error' in record) {
        rows.push(record)
        continue
      }
      if (!columns) {
        columns = checkHeader(record.fields)
        continue
      }
      rows.push(csvRow(columns, record))
    }
    yield rows
  }
}

function csvRow(columns: string[], { line, fields }: CsvRecord): Row {
  if (fields.length > columns.length) {
    return { line, error: `the row has ${fields.length} fields, the header ${columns.length}` }
  }
  const values: Record<string, string> = {}
  for (let c = 0; c < fields.length; c++) {
    const name = columns[c] as string
    const value = (fields[c] as string).trim()
    if (value !== '' || REQUIRED.has(name)) values[name] = value
  }
  const parsed = csvRowSchema.safeParse(values)
  if (!parsed.success) {
    return { line, error: parsed.error.issues.map((i) => i.message).join('; ') }
  }
  const r = parsed.data
  try {
    const event: CardEvent = {
      source: 'import',
      eventId: r.event_id,
      cardRef: r.card_id,
      type: r.type,
      amountCents: signedAmount(r.type, majorToCents(r.amount)),
      currency: r.currency.toUpperCase(),
      occurredAt: r.occurred_at,
    }
    if (r.balance_after !== undefined) event.balanceAfterCents = majorToCents(r.balance_after)
    if (r.location_id) event.locationId = r.location_id
    if (r.terminal_id) event.terminalId = r.terminal_id
    if (r.order_id) event.orderId = r.order_id
    if (r.customer_id) event.customerId = r.customer_id
    if (r.employee_id) event.employeeId = r.employee_id
    if (r.items) event.items = parseItems(r.items)
    return { line, events: [event] }
  } catch (err) {
    return { line, error: describeError(err).replace(/^INVALID_INPUT: /, '') }
  }
}

function checkHeader(header: string[]): string[] {
  const columns = header.map((h) => h.trim().toLowerCase())
  const missing = CSV_REQUIRED.filter((c) => !columns.includes(c))
  if (missing.length > 0) {
    throw new GiftCardError(
      'INVALID_INPUT',
      `the CSV header lacks ${missing.join(', ')} (it needs ${CSV_REQUIRED.join(', ')})`,
    )
  }
  const known = new Set<string>([...CSV_REQUIRED, ...CSV_OPTIONAL])
  const unknown = columns.filter((c) => !known.has(c))
  if (unknown.length > 0)
    throw new GiftCardError(
      'INVALID_INPUT',
      `the CSV header has unknown columns: ${unknown.join(', ')}`,
    )
  return columns
}

// ── Square JSON lines ─────────────────────────────────────────────────────────────────────

async function* jsonlRows(stream: AsyncIterable<Buffer>): AsyncGenerator<Row[]> {
  const decoder = new TextDecoder('utf-8')
  let text = ''
  let line = 0
  const take = (final: boolean): Row[] => {
    const rows: Row[] = []
    let pos = 0
    for (;;) {
      let end = text.indexOf('\n', pos)
      if (end === -1) {
        if (!final || pos >= text.length) break
        end = text.length
      }
      line++
      const row = jsonlRow(line, text.slice(pos, end))
      if (row) rows.push(row)
      pos = end + 1
    }
    text = text.slice(Math.min(pos, text.length))
    return rows
  }
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true })
    yield take(false)
  }
  text += decoder.decode()
  yield take(true)
}

function jsonlRow(line: number, text: string): Row | undefined {
  if (text.trim() === '') return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { line, error: 'not valid JSON' }
  }
  const parsed = squareActivitySchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { line, error: `${issue?.path.join('.') || 'activity'}: ${issue?.message}` }
  }
  const events = squareActivityToEvents(parsed.data)
  if (events.length === 0)
    return { line, error: `unknown Square activity type ${parsed.data.type}` }
  return { line, events }
}
