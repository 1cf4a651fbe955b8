import {
  FRAUD_PATTERNS,
  type FraudLabel,
  type FraudPattern,
  parseDate,
  toIso,
} from '../../core/index.ts'
import {
  type ColumnKind,
  type Database,
  LEDGER_COLUMNS,
  transactionsInTimeOrder,
} from '../../db/index.ts'
import {
  FRAUD_THRESHOLDS,
  type FraudAlert,
  type FraudContext,
  FraudEngine,
  type ScoredEvent,
} from './engine.ts'

/** Loads what the detectors look up: store coordinates and when each customer was first known. */
export async function loadFraudContext(database: Database): Promise<FraudContext> {
  const locations = new Map<string, { latitude: number; longitude: number }>()
  for (const l of await database.db
    .selectFrom('locations')
    .select(['id', 'latitude', 'longitude'])
    .execute()) {
    if (l.latitude !== null && l.longitude !== null)
      locations.set(l.id, { latitude: l.latitude, longitude: l.longitude })
  }
  const customers = new Map<string, number>()
  for (const c of await database.db.selectFrom('customers').select(['id', 'created_at']).execute())
    customers.set(c.id, parseDate(c.created_at))
  return { location: (id) => locations.get(id), customerSince: (id) => customers.get(id) }
}

/**
 * Runs every detector over the ledger in time order and returns the alerts, one per card and
 * rule. With `since` (an instant), only events from then on raise alerts, judged with what came
 * before (FRAUD_WARMUP_MS of the ledger, and the paid orders of the cards refunded). Memory
 * grows with the number of cards, not of events.
 */
export async function scanLedger(
  database: Database,
  options: { since?: string; onProgress?: (events: number) => void } = {},
): Promise<FraudAlert[]> {
  const engine = new FraudEngine(await loadFraudContext(database))
  const alerts: FraudAlert[] = []
  let seen = 0
  /** Observes the `count` events of a page, the i-th made by `eventAt(i)`. */
  const observe = (count: number, eventAt: (i: number) => ScoredEvent) => {
    for (let i = 0; i < count; i++)
      for (const alert of engine.observe(eventAt(i))) alerts.push(alert)
    seen += count
    options.onProgress?.(seen)
  }
  if (options.since) {
    // A window: the detectors warm up on what came before it, raising nothing there, so that
    // an event inside is judged with its history (a refund with its card's sale, a drain with
    // its activation, a burst that began before midnight).
    const since = Date.parse(options.since)
    const warmFrom = toIso(since - FRAUD_WARMUP_MS)
    await preloadPaidOrders(database, engine, options.since, warmFrom)
    for await (const page of transactionsInTimeOrder(database.db, { from: warmFrom }))
      observe(page.length, (i) => {
        const event = toScored(page[i] as (typeof page)[number])
        engine.quiet = event.at < since
        return event
      })
    engine.quiet = false
    return alerts
  }
  // The whole ledger: sorting it in the engine and streaming it beats walking the time index,
  // which visits the table at random (1M cards: 40 s against 64 s to read it). Rows come as
  // arrays (a third cheaper to read than objects) in small pages, so each page dies young.
  const { adapter } = database
  const query = {
    sql: `select ${SCAN_COLUMNS.join(', ')}
      from ${adapter.fullScan('gift_card_transactions')}
      order by occurred_at, id`,
    parameters: [],
  }
  if (adapter.scanColumns) {
    // Sorted and read on a worker thread while the detectors run here (SQLite on a file, and
    // PostgreSQL through COPY; the engines sort the same: timestamps in byte order, then id).
    const row: ScanRow = new Array(SCAN_COLUMNS.length)
    await adapter.scanColumns(query, SCAN_KINDS, (page) =>
      observe(page.rows, (r) => {
        for (let c = 0; c < row.length; c++) {
          const value = (page.columns[c] as (string | null)[] | Float64Array)[r]
          row[c] = typeof value === 'number' && Number.isNaN(value) ? null : value
        }
        return fromArray(row)
      }),
    )
    return alerts
  }
  await adapter.scan<ScanRow>(
    { ...query, arrays: true },
    (page) => observe(page.length, (i) => fromArray(page[i] as ScanRow)),
    1_000,
  )
  return alerts
}

/**
 * How far before a window a scan starts watching: the longest any detector looks back from an
 * event (a burst's checked card spent up to two days later, a bulk buyer's cards drained within
 * a day, a trip's hours), with a day to spare. Refund abuse looks back further, to the card's
 * sales: preloadPaidOrders reads those.
 */
export const FRAUD_WARMUP_MS =
  Math.max(
    FRAUD_THRESHOLDS.enumerationFollowMs,
    FRAUD_THRESHOLDS.bulkDrainWithinMs + FRAUD_THRESHOLDS.bulkGapMs,
    FRAUD_THRESHOLDS.drainLateWindowMs,
    FRAUD_THRESHOLDS.reloadWindowMs,
    12 * 3_600_000,
  ) + 86_400_000

/**
 * Tells the engine which orders the cards refunded in the window paid for before the warm-up
 * began: their redemptions with an order, read through the card index for those cards only
 * (a refund names the sale it returns, which may be months old).
 */
async function preloadPaidOrders(
  database: Database,
  engine: FraudEngine,
  since: string,
  warmFrom: string,
): Promise<void> {
  const refunded = await database.db
    .selectFrom('gift_card_transactions')
    .select('card_id')
    .distinct()
    .where('occurred_at', '>=', since)
    .where('type', '=', 'refund')
    .where('card_id', 'is not', null)
    .execute()
  const cards = refunded.map((r) => r.card_id as string)
  for (let i = 0; i < cards.length; i += 500) {
    const rows = await database.db
      .selectFrom('gift_card_transactions')
      .select(['card_id', 'order_id', 'type', 'amount_cents'])
      .where('card_id', 'in', cards.slice(i, i + 500))
      .where('occurred_at', '<', warmFrom)
      .where('type', 'in', ['redeem', 'refund'])
      .where('result', '=', 'ok')
      .where('order_id', 'is not', null)
      .execute()
    // What each order paid, less what was refunded of it before the warm-up.
    for (const r of rows)
      engine.knownPaidOrder(r.card_id as string, r.order_id as string, -Number(r.amount_cents))
  }
}

/** What the detectors read of a ledger row: all of it but the source and the currency, in order. */
const SCAN_COLUMNS = LEDGER_COLUMNS.filter((c) => c !== 'source' && c !== 'currency')
type ScanRow = unknown[]

/** How each of SCAN_COLUMNS travels from a worker: ids of few stores, terminals and kinds coded. */
const SCAN_KINDS = SCAN_COLUMNS.map((column) =>
  column === 'amount_cents' || column === 'balance_after_cents'
    ? 'number'
    : column === 'type' ||
        column === 'result' ||
        column === 'location_id' ||
        column === 'terminal_id' ||
        column === 'employee_id'
      ? 'dictionary'
      : 'text',
) satisfies ColumnKind[]

/** A row of SCAN_COLUMNS as the detectors see it. */
function fromArray(row: ScanRow): ScoredEvent {
  return {
    eventId: row[0] as string,
    cardId: row[1] as string | null,
    type: row[2] as ScoredEvent['type'],
    result: row[3] as ScoredEvent['result'],
    amountCents: Number(row[4]),
    balanceAfterCents: row[5] === null ? null : Number(row[5]),
    at: ledgerTime(row[6] as string),
    locationId: row[7] as string | null,
    terminalId: row[8] as string | null,
    orderId: row[9] as string | null,
    customerId: row[10] as string | null,
    employeeId: row[11] as string | null,
  }
}

/**
 * Milliseconds of a stored timestamp (always full ISO 8601 in the ledger). A scan reads them in
 * time order, so most share the day before: in the ledger's UTC form 'YYYY-MM-DDTHH:MM:SS.sssZ'
 * the day's start is parsed once and the time of day read from the digits (Date.parse on each
 * of 10M rows cost seconds).
 */
export function ledgerTime(at: string): number {
  if (at.length === 24 && at.charCodeAt(23) === 90 && at.startsWith(lastDay.text)) {
    const hours = digits(at, 11, 2)
    const minutes = digits(at, 14, 2)
    const seconds = digits(at, 17, 2)
    const millis = digits(at, 20, 3)
    if (
      hours >= 0 &&
      hours < 24 &&
      minutes >= 0 &&
      minutes < 60 &&
      seconds >= 0 &&
      seconds < 60 &&
      millis >= 0 &&
      at.charCodeAt(13) === 58 &&
      at.charCodeAt(16) === 58 &&
      at.charCodeAt(19) === 46
    )
      return lastDay.ms + ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
  }
  const ms = Date.parse(at)
  if (Number.isNaN(ms)) throw new Error(`the ledger holds a bad timestamp: ${at}`)
  if (at.length === 24 && at.charCodeAt(23) === 90 && at.charCodeAt(10) === 84) {
    const text = at.slice(0, 11)
    lastDay = { text, ms: Date.parse(`${text}00:00:00.000Z`) }
  }
  return ms
}

/** The day of the last timestamp read: its 'YYYY-MM-DDT' and the ms of its midnight (UTC). */
let lastDay = { text: '\u0000', ms: 0 }

/** The number written by `count` decimal digits of `text` from `from`; -Infinity if not digits. */
function digits(text: string, from: number, count: number): number {
  let value = 0
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return Number.NEGATIVE_INFINITY
    value = value * 10 + d
  }
  return value
}

/** A transaction row as the detectors see it (the same mapping as the scan's arrays). */
export function toScored(row: {
  event_id: string
  card_id: string | null
  type: ScoredEvent['type']
  result: 'ok' | 'declined'
  amount_cents: number
  balance_after_cents: number | null
  occurred_at: string
  location_id: string | null
  terminal_id: string | null
  order_id: string | null
  customer_id: string | null
  employee_id: string | null
}): ScoredEvent {
  const fields = row as unknown as Record<string, unknown>
  return fromArray(SCAN_COLUMNS.map((column) => fields[column]))
}

/** Stores alerts in `fraud_alerts`, one per card and rule (an existing one is left as it is). */
export async function saveAlerts(
  database: Database,
  alerts: readonly FraudAlert[],
): Promise<number> {
  let inserted = 0
  for (let i = 0; i < alerts.length; i += 500) {
    const chunk = alerts.slice(i, i + 500)
    const result = await database.db
      .insertInto('fraud_alerts')
      .values(
        chunk.map((a) => ({
          card_id: a.cardId,
          rule: a.rule,
          score: Number(a.score.toFixed(3)),
          status: 'open' as const,
          evidence: JSON.stringify(a.evidence),
          detected_at: toIso(a.detectedAt),
          updated_at: toIso(Date.now()),
          updated_by: null,
          note: null,
        })),
      )
      .onConflict((oc) => oc.columns(['card_id', 'rule']).doNothing())
      .executeTakeFirst()
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0)
  }
  return inserted
}

export type PatternScore = {
  labelled: number
  flagged: number
  truePositives: number
  precision: number
  recall: number
  f1: number
}

export type FraudEvaluation = {
  cards: number
  overall: PatternScore
  byPattern: Record<FraudPattern, PatternScore>
}

/**
 * Card-level accuracy against ground truth: overall, a card counts when any rule flags a
 * labelled card; per pattern, recall is the share of that pattern's cards its rule flagged,
 * and precision the share of that rule's cards labelled with that pattern.
 */
export function evaluateAlerts(
  alerts: readonly FraudAlert[],
  labels: readonly FraudLabel[],
  cards: number,
): FraudEvaluation {
  const score = (flagged: Set<string>, labelled: Set<string>): PatternScore => {
    let tp = 0
    for (const card of flagged) if (labelled.has(card)) tp++
    const precision = flagged.size === 0 ? (labelled.size === 0 ? 1 : 0) : tp / flagged.size
    const recall = labelled.size === 0 ? 1 : tp / labelled.size
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
    return {
      labelled: labelled.size,
      flagged: flagged.size,
      truePositives: tp,
      precision,
      recall,
      f1,
    }
  }
  const byPattern = {} as Record<FraudPattern, PatternScore>
  for (const pattern of FRAUD_PATTERNS) {
    byPattern[pattern] = score(
      new Set(alerts.filter((a) => a.rule === pattern).map((a) => a.cardId)),
      new Set(labels.filter((l) => l.pattern === pattern).map((l) => l.card_id)),
    )
  }
  return {
    cards,
    overall: score(new Set(alerts.map((a) => a.cardId)), new Set(labels.map((l) => l.card_id))),
    byPattern,
  }
}
