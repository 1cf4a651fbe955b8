import { z } from 'zod'
import {
  type CardEvent,
  describeError,
  eventFieldProblem,
  GiftCardError,
  majorToCents,
  signedAmount,
  TRANSACTION_TYPES,
} from '../core/index.ts'
import { type CsvRecord, readCsv, readText } from './csv.ts'
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

/** A row of the file that holds events, with its line number. */
export type Parsed = { line: number; events: CardEvent[] }
/** A row read from the file: its events, or why it was rejected. */
export type Row = Parsed | { line: number; error: string }

/** Reads an export file's rows, validated, a chunk of the file at a time. */
export function readRows(
  stream: AsyncIterable<Buffer>,
  format: ImportFormat,
): AsyncGenerator<Row[]> {
  return format === 'csv' ? csvRows(stream) : jsonlRows(stream)
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

/** Cents of a decimal the schema has checked (`DECIMAL`): no second regular expression per field. */
function decimalCents(text: string): number {
  const dot = text.indexOf('.')
  const cents =
    dot === -1
      ? Number(text) * 100
      : Number(text.slice(0, dot)) * 100 + Number(text.slice(dot + 1).padEnd(2, '0'))
  if (!Number.isSafeInteger(cents))
    throw new GiftCardError('INVALID_INPUT', `amount ${JSON.stringify(text)} is too large`)
  return cents
}

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
      amountCents: signedAmount(r.type, decimalCents(r.amount)),
      currency: r.currency.toUpperCase(),
      occurredAt: r.occurred_at,
    }
    if (r.balance_after !== undefined) event.balanceAfterCents = decimalCents(r.balance_after)
    if (r.location_id) event.locationId = r.location_id
    if (r.terminal_id) event.terminalId = r.terminal_id
    if (r.order_id) event.orderId = r.order_id
    if (r.customer_id) event.customerId = r.customer_id
    if (r.employee_id) event.employeeId = r.employee_id
    if (r.items) event.items = parseItems(r.items)
    const problem = eventFieldProblem(event)
    return problem ? { line, error: problem } : { line, events: [event] }
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

function jsonlRows(stream: AsyncIterable<Buffer>): AsyncGenerator<Row[]> {
  let line = 0
  return readText(stream, (text, atEnd) => {
    const rows: Row[] = []
    let pos = 0
    for (;;) {
      let end = text.indexOf('\n', pos)
      if (end === -1) {
        if (!atEnd || pos >= text.length) break
        end = text.length
      }
      line++
      const row = jsonlRow(line, text.slice(pos, end))
      if (row) rows.push(row)
      pos = end + 1
    }
    return { items: rows, consumed: Math.min(pos, text.length) }
  })
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
  for (const event of events) {
    const problem = eventFieldProblem(event)
    if (problem) return { line, error: problem }
  }
  return { line, events }
}
