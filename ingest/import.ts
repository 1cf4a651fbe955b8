import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { type Options as CsvOptions, parse as parseCsv } from 'csv-parse'
import type { Transaction } from 'kysely'
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
import { applyBatch, type BatchResult } from './apply.ts'
import type { EventListener } from './hooks.ts'
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
  /** Rows applied per database transaction. */
  batchSize?: number
  listeners?: readonly EventListener[]
  onProgress?: (bytesRead: number, totalBytes: number) => void
  onRejected?: (row: RejectedRow) => void
}

type Parsed = { line: number; events: CardEvent[] }

/**
 * Imports an export file into the ledger, streaming (memory stays flat whatever the file size):
 * rows are validated one by one, applied in batches, and a checkpoint is committed with each
 * batch, so a run that is killed resumes after its last committed line. Importing the same
 * file again adds nothing (every event is idempotent on its id). Bad rows are reported with
 * their line number and reason while the good rows go in.
 */
export async function importFile(
  database: Database,
  path: string,
  options: ImportOptions,
): Promise<ImportReport> {
  const started = performance.now()
  const batchSize = options.batchSize ?? 20_000
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
    report.rejected.push(row)
    report.rejectedTotal++
    options.onRejected?.(row)
  }

  const stream = createReadStream(path)
  let batch: Parsed[] = []
  let lastLine = checkpoint.line
  const flush = async () => {
    if (batch.length === 0) return
    await applyRows(database, batch, key, lastLine, report, reject, options.listeners ?? [])
    batch = []
    options.onProgress?.(stream.bytesRead, file.size)
  }

  const rows = options.format === 'csv' ? csvRows(stream) : jsonlRows(stream)
  await withBulkLoad(database, async () => {
    for await (const row of rows) {
      lastLine = row.line
      if (row.line <= checkpoint.line) continue
      report.rows++
      if ('error' in row) {
        reject({ line: row.line, reason: row.error })
        continue
      }
      batch.push(row)
      if (batch.length >= batchSize) await flush()
    }
    await flush()
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

/** Applies a batch with its checkpoint in one transaction; on failure, row by row to find the bad ones. */
async function applyRows(
  database: Database,
  batch: Parsed[],
  key: string,
  lastLine: number,
  report: ImportReport,
  reject: (row: RejectedRow) => void,
  listeners: readonly EventListener[],
): Promise<void> {
  const saveCheckpoint = async (trx: Transaction<DB>, applied: number, duplicates: number) => {
    await trx
      .updateTable('import_checkpoints')
      .set((eb) => ({
        line: lastLine,
        applied: eb('applied', '+', applied),
        duplicates: eb('duplicates', '+', duplicates),
        rejected: report.rejectedTotal,
        updated_at: toIso(Date.now()),
      }))
      .where('key', '=', key)
      .execute()
  }
  const count = async (result: BatchResult) => {
    report.applied += result.applied.length
    report.duplicates += result.duplicates
    for (const event of result.applied)
      for (const listener of listeners) await listener.onEvent(event)
  }
  const events = batch.flatMap((r) => r.events)
  let whole: BatchResult | undefined
  try {
    whole = await applyBatch(database, { events, cards: [] }, (trx, result) =>
      saveCheckpoint(trx, result.applied.length, result.duplicates),
    )
  } catch {
    // Something in the batch cannot apply: bisect it so the good rows still go in.
  }
  if (whole) return count(whole)
  const totals = { applied: 0, duplicates: 0 }
  await bisect(database, batch, totals, count, reject)
  await database.db
    .transaction()
    .execute((trx) => saveCheckpoint(trx, totals.applied, totals.duplicates))
}

/**
 * Applies rows in halves until each part either applies or is a single bad row, which is
 * rejected: about log2(n) extra transactions per bad row, rows kept in their order.
 */
async function bisect(
  database: Database,
  rows: Parsed[],
  totals: { applied: number; duplicates: number },
  count: (result: BatchResult) => Promise<void>,
  reject: (row: RejectedRow) => void,
): Promise<void> {
  try {
    const result = await applyBatch(database, { events: rows.flatMap((r) => r.events), cards: [] })
    totals.applied += result.applied.length
    totals.duplicates += result.duplicates
    await count(result)
  } catch (err) {
    const [only] = rows
    if (rows.length === 1 && only) {
      reject({ line: only.line, reason: describeError(err) })
      return
    }
    const middle = Math.ceil(rows.length / 2)
    await bisect(database, rows.slice(0, middle), totals, count, reject)
    await bisect(database, rows.slice(middle), totals, count, reject)
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

const major = (field: string) =>
  z.string().transform((text, ctx) => {
    try {
      return majorToCents(text)
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `${field} must be a decimal amount with at most two decimals, got ${JSON.stringify(text)}`,
      })
      return z.NEVER
    }
  })

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))

const csvRowSchema = z.object({
  event_id: z.string().trim().min(1, 'event_id is empty').max(200),
  occurred_at: z.iso.datetime({ offset: true, error: 'occurred_at must be an ISO 8601 timestamp' }),
  card_id: z.string().trim().min(1, 'card_id is empty').max(200),
  type: z.enum(csvType.options, { error: `type must be one of ${csvType.options.join(', ')}` }),
  amount: major('amount').refine(
    (c) => c >= 0,
    'amount must not be negative (the type gives the sign)',
  ),
  currency: z.string().trim().length(3, 'currency must be a 3-letter code'),
  balance_after: optionalText.pipe(major('balance_after').optional()),
  location_id: optionalText,
  terminal_id: optionalText,
  order_id: optionalText,
  customer_id: optionalText,
  employee_id: optionalText,
  items: optionalText,
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

async function* csvRows(
  stream: NodeJS.ReadableStream,
): AsyncGenerator<Parsed | { line: number; error: string }> {
  // Arrays, not objects, and the line number from `on_record`: csv-parse's cheapest mode.
  const options: CsvOptions = {
    skip_empty_lines: true,
    relax_column_count: true,
    // The record's line number rides along as its last element (popped below).
    on_record: (record: string[], context: { lines: number }) => {
      record.push(String(context.lines))
      return record
    },
  }
  let columns: string[] | undefined
  for await (const record of stream.pipe(parseCsv(options)) as AsyncIterable<string[]>) {
    const line = Number(record.pop())
    if (!columns) {
      columns = checkHeader(record)
      continue
    }
    const fields: Record<string, string> = {}
    for (let c = 0; c < columns.length; c++) {
      const value = record[c]
      if (value !== undefined) fields[columns[c] as string] = value
    }
    const parsed = csvRowSchema.safeParse(fields)
    if (!parsed.success) {
      yield { line, error: parsed.error.issues.map((i) => i.message).join('; ') }
      continue
    }
    const r = parsed.data
    try {
      const items = r.items ? parseItems(r.items) : undefined
      yield {
        line,
        events: [
          {
            source: 'import',
            eventId: r.event_id,
            cardRef: r.card_id,
            type: r.type,
            amountCents: signedAmount(r.type, r.amount),
            currency: r.currency.toUpperCase(),
            occurredAt: r.occurred_at,
            ...(r.balance_after !== undefined ? { balanceAfterCents: r.balance_after } : {}),
            ...(r.location_id ? { locationId: r.location_id } : {}),
            ...(r.terminal_id ? { terminalId: r.terminal_id } : {}),
            ...(r.order_id ? { orderId: r.order_id } : {}),
            ...(r.customer_id ? { customerId: r.customer_id } : {}),
            ...(r.employee_id ? { employeeId: r.employee_id } : {}),
            ...(items ? { items } : {}),
          },
        ],
      }
    } catch (err) {
      yield { line, error: describeError(err).replace(/^INVALID_INPUT: /, '') }
    }
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

async function* jsonlRows(
  stream: NodeJS.ReadableStream,
): AsyncGenerator<Parsed | { line: number; error: string }> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })
  let line = 0
  for await (const text of lines) {
    line++
    if (text.trim() === '') continue
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      yield { line, error: 'not valid JSON' }
      continue
    }
    const parsed = squareActivitySchema.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      yield { line, error: `${issue?.path.join('.') || 'activity'}: ${issue?.message}` }
      continue
    }
    const events = squareActivityToEvents(parsed.data)
    if (events.length === 0) {
      yield { line, error: `unknown Square activity type ${parsed.data.type}` }
      continue
    }
    yield { line, events }
  }
}
