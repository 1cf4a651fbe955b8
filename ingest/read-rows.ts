import { z } from 'zod'
import {
  type CardEvent,
  DEFAULT_MAX_EVENT_CENTS,
  describeError,
  type EventLimits,
  eventFieldProblem,
  GiftCardError,
  isTooFarAhead,
  majorToCents,
  meaningOf,
  signedAmount,
  TRANSACTION_TYPES,
  type TransactionResult,
  type TransactionType,
  transactionWordList,
} from '../core/index.ts'
import { type CsvRecord, LINE_TOO_LONG, MAX_LINE_CHARS, readCsv, readText } from './csv.ts'
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
  'original_event_id',
  'result',
] as const

/**
 * The words `result` may be, and what each means (docs/ingest.md §CSV): empty is `ok`. Only a
 * balance inquiry or a redemption may be declined; a declined row moves nothing.
 */
const CSV_RESULTS: ReadonlyMap<string, TransactionResult> = new Map([
  ['ok', 'ok'],
  ['approved', 'ok'],
  ['declined', 'declined'],
  ['denied', 'declined'],
])
const DECLINABLE: ReadonlySet<TransactionType> = new Set(['balance_check', 'redeem'])
const CSV_RESULT_ERROR = `result must be one of ${[...CSV_RESULTS.keys()].join(', ')} (or empty: ok)`

/** The ledger's types an export may carry (holds and expiry are the ledger's own doing). */
const CSV_TYPES: ReadonlySet<TransactionType> = new Set(
  TRANSACTION_TYPES.filter((t) => t !== 'block' && t !== 'unblock' && t !== 'expire'),
)
/** What a bad `type` is told: every word the vocabulary has for those types. */
const CSV_TYPE_ERROR = `type must be one of ${transactionWordList([...CSV_TYPES])} (docs/pos-vocabulary.md)`

/** A row of the file that holds events, with its line number. */
export type Parsed = { line: number; events: CardEvent[] }
/** A row read from the file: its events, or why it was rejected. */
export type Row = Parsed | { line: number; error: string }

/**
 * Reads an export file's rows, validated, a chunk of the file at a time. `limits.maxEventCents`
 * bounds each row's amount and balance (MAX_EVENT_CENTS); a row dated more than a day ahead of
 * now, or a line longer than 1 MiB, is rejected by its line number.
 */
export function readRows(
  stream: AsyncIterable<Buffer>,
  format: ImportFormat,
  limits: Pick<EventLimits, 'maxEventCents'> = {},
): AsyncGenerator<Row[]> {
  return format === 'csv' ? csvRows(stream, limits) : jsonlRows(stream, limits)
}

// ── CSV ───────────────────────────────────────────────────────────────────────────────────

const DECIMAL = /^\d+(?:\.\d{1,2})?$/
/** `amount` may carry a sign, for an `adjustment` only (its direction). */
const SIGNED_DECIMAL = /^-?\d+(?:\.\d{1,2})?$/

/** A major-unit amount as the file writes it; converted to cents once valid. */
const decimal = (field: string, pattern = DECIMAL) =>
  z.string().regex(pattern, {
    error: (issue) =>
      String(issue.input).startsWith('-')
        ? `${field} must not be negative (the type gives the sign)`
        : `${field} must be a decimal amount with at most two decimals, got ${JSON.stringify(issue.input)}`,
  })

const optionalId = (field: string) =>
  z.string().max(200, `${field} is longer than 200 characters`).optional()

/**
 * One CSV row, fields trimmed and empty optional fields left out. Checks only (no transforms):
 * a million rows go through it, and zod's checks cost a fifth of its transforms. `type` is a
 * word of the vocabulary (docs/pos-vocabulary.md), read in `csvRow`.
 */
export const csvRowSchema = z.object({
  event_id: z
    .string()
    .min(1, 'event_id is empty')
    .max(200, 'event_id is longer than 200 characters'),
  occurred_at: z.iso.datetime({ offset: true, error: 'occurred_at must be an ISO 8601 timestamp' }),
  card_id: z.string().min(1, 'card_id is empty').max(200, 'card_id is longer than 200 characters'),
  type: z.string().min(1, CSV_TYPE_ERROR).max(64, CSV_TYPE_ERROR),
  amount: decimal('amount', SIGNED_DECIMAL),
  currency: z.string().regex(/^[A-Za-z]{3}$/, 'currency must be a 3-letter code'),
  balance_after: decimal('balance_after').optional(),
  location_id: optionalId('location_id'),
  terminal_id: optionalId('terminal_id'),
  order_id: optionalId('order_id'),
  customer_id: optionalId('customer_id'),
  employee_id: optionalId('employee_id'),
  items: z.string().optional(),
  original_event_id: optionalId('original_event_id'),
  result: z.string().max(16, CSV_RESULT_ERROR).optional(),
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

/**
 * Cents of a decimal the schema has checked (`DECIMAL`, `SIGNED_DECIMAL`): no second regular
 * expression per field.
 */
function decimalCents(text: string): number {
  if (text.charCodeAt(0) === 45) return -decimalCents(text.slice(1))
  const dot = text.indexOf('.')
  const cents =
    dot === -1
      ? Number(text) * 100
      : Number(text.slice(0, dot)) * 100 + Number(text.slice(dot + 1).padEnd(2, '0'))
  if (!Number.isSafeInteger(cents))
    throw new GiftCardError('INVALID_INPUT', `amount ${JSON.stringify(text)} is too large`)
  return cents
}

async function* csvRows(
  stream: AsyncIterable<Buffer>,
  limits: Pick<EventLimits, 'maxEventCents'>,
): AsyncGenerator<Row[]> {
  let columns: string[] | undefined
  let layout: Layout = []
  const maxCents = limits.maxEventCents ?? DEFAULT_MAX_EVENT_CENTS
  for await (const records of readCsv(stream)) {
    const rows: Row[] = []
    // One clock reading per chunk of the file: "a day ahead" need not be finer.
    const now = Date.now()
    for (const record of records) {
      if (!columns) {
        // Without a header, no line can be read.
        if ('error' in record)
          throw new GiftCardError('INVALID_INPUT', `line ${record.line}: ${record.error}`)
        columns = checkHeader(record.fields)
        layout = layoutOf(columns)
        continue
      }
      rows.push('error' in record ? record : csvRow(columns, layout, record, maxCents, now))
    }
    yield rows
  }
}

/** What is wrong with a row's amounts or date, naming its column, or undefined. */
function csvBoundsProblem(
  r: { occurred_at: string },
  amountCents: number,
  balanceCents: number | undefined,
  maxCents: number,
  now: number,
): string | undefined {
  if (Math.abs(amountCents) > maxCents)
    return `amount is over the limit of ${maxCents} cents per event (MAX_EVENT_CENTS)`
  if (balanceCents !== undefined && balanceCents > maxCents)
    return `balance_after is over the limit of ${maxCents} cents a card may hold (MAX_EVENT_CENTS)`
  if (isTooFarAhead(r.occurred_at, now)) return 'occurred_at is more than a day in the future'
  return undefined
}

/**
 * A row's type from its `type` word and the amount's sign (an `adjustment` goes the way its
 * sign says; no other type takes a sign), or why it has none.
 */
function csvType(word: string, amountCents: number): { type: TransactionType } | { error: string } {
  const meaning = meaningOf(word)
  if (meaning === 'adjustment') return { type: amountCents < 0 ? 'adjust_down' : 'adjust_up' }
  if (!meaning || !CSV_TYPES.has(meaning))
    return { error: `${CSV_TYPE_ERROR}, got ${JSON.stringify(word)}` }
  if (amountCents < 0) return { error: 'amount must not be negative (the type gives the sign)' }
  return { type: meaning }
}

/** A row's fields by column name, as `csvRowSchema` outputs them. */
type CsvFields = z.infer<typeof csvRowSchema>
type CsvColumn = keyof CsvFields

/** Where each column of the header is: `[name, index]`, in the header's order. */
type Layout = [CsvColumn, number][]

export function layoutOf(columns: readonly string[]): Layout {
  return columns.map((name, i) => [name as CsvColumn, i])
}

const DATETIME = z.regexes.datetime({ offset: true })
const CURRENCY = /^[A-Za-z]{3}$/

/**
 * The row's fields as `csvRowSchema` would output them, when they are sure to pass it, else
 * undefined (then the schema reads the row, and says what is wrong). The same checks, by hand:
 * zod's object parsing was a fifth of the import's reading, for rows nearly all well formed.
 * The timestamp is held to the schema's own pattern (`z.regexes.datetime`, what
 * `z.iso.datetime` tests). test/ingest/csv-fast-path.test.ts holds the two to the same answers.
 */
export function wellFormed(layout: Layout, fields: readonly string[]): CsvFields | undefined {
  // A short row lacks a required field, or leaves optional ones out: the schema's case.
  if (fields.length !== layout.length) return undefined
  const r: Partial<Record<CsvColumn, string>> = {}
  for (const [name, i] of layout) {
    const value = (fields[i] as string).trim()
    if (value === '') {
      if (REQUIRED.has(name)) return undefined
      continue
    }
    switch (name) {
      case 'occurred_at':
        if (!DATETIME.test(value)) return undefined
        break
      case 'type':
        if (value.length > 64) return undefined
        break
      case 'amount':
        if (!SIGNED_DECIMAL.test(value)) return undefined
        break
      case 'balance_after':
        if (!DECIMAL.test(value)) return undefined
        break
      case 'currency':
        if (!CURRENCY.test(value)) return undefined
        break
      case 'items':
        break
      default:
        if (value.length > 200) return undefined
    }
    r[name] = value
  }
  return r as CsvFields
}

/** The schema's reading of a row, with its messages (the rows `wellFormed` leaves to it). */
export function schemaRead(
  columns: readonly string[],
  fields: readonly string[],
): CsvFields | { error: string } {
  const values: Record<string, string> = {}
  for (let c = 0; c < fields.length; c++) {
    const name = columns[c] as string
    const value = (fields[c] as string).trim()
    if (value !== '' || REQUIRED.has(name)) values[name] = value
  }
  // A balance inquiry moves nothing, so its amount may be left empty (docs/pos-vocabulary.md):
  // it reads as zero. Every other type needs its amount.
  if (
    values.amount === '' &&
    values.type !== undefined &&
    meaningOf(values.type) === 'balance_check'
  )
    values.amount = '0'
  const parsed = csvRowSchema.safeParse(values)
  if (!parsed.success) return { error: parsed.error.issues.map((i) => i.message).join('; ') }
  return parsed.data
}

function csvRow(
  columns: string[],
  layout: Layout,
  { line, fields }: CsvRecord,
  maxCents: number,
  now: number,
): Row {
  if (fields.length > columns.length) {
    return { line, error: `the row has ${fields.length} fields, the header ${columns.length}` }
  }
  const read = wellFormed(layout, fields) ?? schemaRead(columns, fields)
  if ('error' in read) return { line, error: read.error as string }
  const r = read
  try {
    const cents = decimalCents(r.amount)
    const typed = csvType(r.type, cents)
    if ('error' in typed) return { line, error: typed.error }
    const { type } = typed
    const result = r.result === undefined ? 'ok' : CSV_RESULTS.get(r.result.toLowerCase())
    if (result === undefined)
      return { line, error: `${CSV_RESULT_ERROR}, got ${JSON.stringify(r.result)}` }
    if (result === 'declined' && !DECLINABLE.has(type))
      return {
        line,
        error: `result declined is only for a balance inquiry or a redemption, not ${r.type}`,
      }
    const balance = r.balance_after !== undefined ? decimalCents(r.balance_after) : undefined
    const bounds = csvBoundsProblem(r, cents, balance, maxCents, now)
    if (bounds) return { line, error: bounds }
    const event: CardEvent = {
      source: 'import',
      eventId: r.event_id,
      cardRef: r.card_id,
      type,
      amountCents: signedAmount(type, cents),
      currency: r.currency.toUpperCase(),
      occurredAt: r.occurred_at,
    }
    if (balance !== undefined) event.balanceAfterCents = balance
    // A declined row is kept as the POS reported it, but moves nothing.
    if (result === 'declined') {
      event.result = 'declined'
      event.amountCents = 0
    }
    if (r.original_event_id) event.originalEventId = r.original_event_id
    if (r.location_id) event.locationId = r.location_id
    if (r.terminal_id) event.terminalId = r.terminal_id
    if (r.order_id) event.orderId = r.order_id
    if (r.customer_id) event.customerId = r.customer_id
    if (r.employee_id) event.employeeId = r.employee_id
    if (r.items) event.items = parseItems(r.items)
    const problem = eventFieldProblem(event, { maxEventCents: maxCents, now })
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

function jsonlRows(
  stream: AsyncIterable<Buffer>,
  limits: Pick<EventLimits, 'maxEventCents'>,
): AsyncGenerator<Row[]> {
  let line = 0
  return readText(
    stream,
    (text, atEnd) => {
      const rows: Row[] = []
      const now = Date.now()
      let pos = 0
      for (;;) {
        let end = text.indexOf('\n', pos)
        if (end === -1) {
          if (!atEnd || pos >= text.length) break
          end = text.length
        }
        line++
        const row =
          end - pos > MAX_LINE_CHARS
            ? { line, error: LINE_TOO_LONG }
            : jsonlRow(line, text.slice(pos, end), { ...limits, now })
        if (row) rows.push(row)
        pos = end + 1
      }
      return { items: rows, consumed: Math.min(pos, text.length) }
    },
    { tooLong: () => ({ line: ++line, error: LINE_TOO_LONG }) },
  )
}

function jsonlRow(line: number, text: string, limits: EventLimits): Row | undefined {
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
    const problem = eventFieldProblem(event, limits)
    if (problem) return { line, error: problem }
  }
  return { line, events }
}
