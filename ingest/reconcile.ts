import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import {
  type CardEvent,
  describeError,
  type EventSource,
  GiftCardError,
  type TransactionType,
  toIso,
} from '../core/index.ts'
import { type Database, selectIn } from '../db/index.ts'
import { type BalanceRow, isBalancesHeader, readBalanceRows } from './balances-file.ts'
import { type CloverBalanceOptions, syncCloverBalances } from './clover-balances.ts'
import { type ImportFormat, readRows } from './read-rows.ts'

/**
 * `giftcards reconcile FILE` (docs/reconciliation.md): compares an export, or the balances a
 * POS reports, with the ledger, and reports three kinds of difference:
 *
 * - a card whose balance differs: the file's balance (a balances file's row, or the
 *   `balance_after` of the card's newest event in an export) against the ledger's, the sum of
 *   its events up to the same instant (the row's `as_of`, or the export's last event time),
 *   never "now" unless the file says so;
 * - an event missing from the ledger: in the file, with no ledger event of the same source and
 *   event id (the key imports and webhooks are idempotent on);
 * - an event only in the ledger: of the file's source, between the file's first and last event
 *   times, and not in the file (optionally only on cards the file names).
 *
 * It reads the file with the import's own readers (`readRows`, the CSV reader), so it takes
 * exactly what `giftcards import` takes, and it only reads the ledger: nothing is written.
 */

export const RECONCILE_FORMATS = ['csv', 'square-jsonl', 'balances'] as const
export type ReconcileFormat = (typeof RECONCILE_FORMATS)[number]

/** A card or store as a difference names it. */
export type StoreRef = { id: string; name: string }

export type BalanceDifference = {
  cardId: string | null
  last4: string | null
  /** The card's issuing store (null: unknown, or the card is not in the ledger). */
  store: StoreRef | null
  /** The instant both balances are taken at (null: now). */
  asOf: string | null
  fileCents: number
  /** Null when the ledger has no such card. */
  ledgerCents: number | null
  /** file − ledger. */
  differenceCents: number
  /** The part of it the events below account for (missing ones minus ledger-only ones). */
  explainedCents: number
  line: number
}

export type EventDifference = {
  source: EventSource
  eventId: string
  cardId: string | null
  type: TransactionType
  amountCents: number
  occurredAt: string
  /** Where the event happened (its location), when known. */
  store: StoreRef | null
  /** The file's line (events missing from the ledger). */
  line?: number
}

export type ReconcileReport = {
  path: string
  /** The file's format, or `clover-api`: the balances Clover reports through its API. */
  format: ReconcileFormat | 'clover-api'
  /** The ledger source the file's events were matched under (null: a balances file). */
  source: EventSource | null
  /** The file's first and last event times (null: a balances file, or no events). */
  window: { from: string; to: string } | null
  rows: number
  events: number
  cardsCompared: number
  /** Rows that could not be read, by line: nothing is compared when there is one. */
  badRows: { line: number; reason: string }[]
  badRowCount: number
  balances: BalanceDifference[]
  missingFromLedger: EventDifference[]
  onlyInLedger: EventDifference[]
  /** Exact counts (the lists keep at most MAX_KEPT each). */
  counts: { balances: number; missingFromLedger: number; onlyInLedger: number }
  /**
   * How far the file's view of the balances involved is from the ledger's, in cents (file −
   * ledger): the balance differences, plus the event differences on cards whose balance the
   * file does not report (counted once).
   */
  netDifferenceCents: number
  equal: boolean
}

export type ReconcileOptions = {
  /** Default: by extension (`.jsonl`: square-jsonl) and the CSV header (balances or events). */
  format?: ReconcileFormat
  /** Match the file's events as events of this source (default: import for CSV, square for JSON lines). */
  source?: EventSource
  /** Count events only in the ledger on cards the file names only (an export of some cards). */
  cardsInFile?: boolean
  /** MAX_EVENT_CENTS, as the import checks it. */
  maxEventCents?: number
}

/** Differences kept per kind (all are counted); more go to `--out` only up to this many. */
export const MAX_KEPT = 100_000
/** Bad rows kept in the report (all are counted). */
const KEPT_BAD_ROWS = 1000
/** Events looked up in the ledger per query. */
const LOOKUP_EVENTS = 2000

/** The file's format, from the flag, the extension or the header line. */
export async function reconcileFormatOf(
  path: string,
  asked?: ReconcileFormat,
): Promise<ReconcileFormat> {
  if (asked) return asked
  if (/\.jsonl?$/i.test(path)) return 'square-jsonl'
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(64 * 1024)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    const first =
      buffer
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .split(/\r?\n/)[0] ?? ''
    return isBalancesHeader(first.split(',')) ? 'balances' : 'csv'
  } finally {
    await handle.close()
  }
}

/** Compares the file with the ledger (reads only). Bad rows: reported, nothing compared. */
export async function reconcileFile(
  database: Database,
  path: string,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  await stat(path).catch((err: unknown) => {
    throw new GiftCardError('INVALID_INPUT', `cannot read ${path}: ${describeError(err)}`)
  })
  const format = await reconcileFormatOf(path, options.format)
  const report: ReconcileReport = {
    path,
    format,
    source:
      format === 'balances' ? null : (options.source ?? (format === 'csv' ? 'import' : 'square')),
    window: null,
    rows: 0,
    events: 0,
    cardsCompared: 0,
    badRows: [],
    badRowCount: 0,
    balances: [],
    missingFromLedger: [],
    onlyInLedger: [],
    counts: { balances: 0, missingFromLedger: 0, onlyInLedger: 0 },
    netDifferenceCents: 0,
    equal: true,
  }
  const bad = (line: number, reason: string) => {
    if (report.badRows.length < KEPT_BAD_ROWS) report.badRows.push({ line, reason })
    report.badRowCount++
  }
  if (format === 'balances') await compareBalancesFile(database, path, report, bad, options)
  else await compareEventsFile(database, path, format, report, bad, options)
  if (report.badRowCount > 0) {
    // A row that cannot be read cannot be matched: a partial comparison would mislead.
    report.balances = []
    report.missingFromLedger = []
    report.onlyInLedger = []
    report.counts = { balances: 0, missingFromLedger: 0, onlyInLedger: 0 }
    report.netDifferenceCents = 0
    report.cardsCompared = 0
  }
  await nameStores(database, report)
  report.equal =
    report.badRowCount === 0 &&
    report.counts.balances + report.counts.missingFromLedger + report.counts.onlyInLedger === 0
  return report
}

// ── an export (CSV or Square JSON lines) ──────────────────────────────────────────────────

type FileEvent = CardEvent & { line: number }

async function compareEventsFile(
  database: Database,
  path: string,
  format: ImportFormat,
  report: ReconcileReport,
  bad: (line: number, reason: string) => void,
  options: ReconcileOptions,
): Promise<void> {
  const source = report.source as EventSource
  const seen = new Set<string>()
  const cards = new Set<string>()
  /** Each card's newest reported balance in the file. */
  const reported = new Map<string, { at: string; cents: number; line: number }>()
  const missing: FileEvent[] = []
  let pending: FileEvent[] = []
  let from: string | undefined
  let to: string | undefined
  const lookUp = async () => {
    const batch = pending
    pending = []
    if (batch.length === 0 || report.badRowCount > 0) return
    const found = await selectIn<{ event_id: string }>(
      database.db,
      database.adapter,
      {
        select: 'select event_id from gift_card_transactions',
        // Leading values come first in the text (SQLite binds `?` by position).
        column: 'source = $L1 and event_id',
        leading: [source],
      },
      batch.map((e) => e.eventId),
    )
    const inLedger = new Set(found.map((r) => r.event_id))
    for (const e of batch) if (!inLedger.has(e.eventId)) missing.push(e)
  }
  const limits = options.maxEventCents === undefined ? {} : { maxEventCents: options.maxEventCents }
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 })
  try {
    for await (const rows of readRows(stream, format, limits)) {
      for (const row of rows) {
        report.rows++
        if ('error' in row) {
          bad(row.line, row.error)
          continue
        }
        for (const raw of row.events) {
          const event: FileEvent = {
            ...raw,
            source,
            occurredAt: toIso(Date.parse(raw.occurredAt)),
            line: row.line,
          }
          const key = event.eventId
          // The same event twice in a file is one event (an import applies it once).
          if (seen.has(key)) continue
          seen.add(key)
          report.events++
          cards.add(event.cardRef)
          if (from === undefined || event.occurredAt < from) from = event.occurredAt
          if (to === undefined || event.occurredAt > to) to = event.occurredAt
          if (event.balanceAfterCents !== undefined) {
            const last = reported.get(event.cardRef)
            if (!last || event.occurredAt >= last.at)
              reported.set(event.cardRef, {
                at: event.occurredAt,
                cents: event.balanceAfterCents,
                line: row.line,
              })
          }
          pending.push(event)
        }
      }
      if (pending.length >= LOOKUP_EVENTS) await lookUp()
    }
  } finally {
    stream.destroy()
  }
  await lookUp()
  if (report.badRowCount > 0 || from === undefined || to === undefined) return
  report.window = { from, to }

  const missingDiffs = await Promise.all(missing.map((e) => missingDifference(database, e)))
  const onlyInLedger = await ledgerOnlyEvents(
    database,
    source,
    from,
    to,
    seen,
    options.cardsInFile ? cards : undefined,
  )

  // Balances as of the file's last event time: the file's newest reported balance of each card
  // (no later event of the card is in the file) against the ledger's sum up to then.
  const ledger = await ledgerBalances(database, [...reported.keys()], to)
  report.cardsCompared = reported.size
  const explained = new Map<string, number>()
  for (const e of missingDiffs)
    if (e.cardId) explained.set(e.cardId, (explained.get(e.cardId) ?? 0) + e.amountCents)
  for (const e of onlyInLedger)
    if (e.cardId) explained.set(e.cardId, (explained.get(e.cardId) ?? 0) - e.amountCents)
  const balances: BalanceDifference[] = []
  for (const [cardId, file] of reported) {
    const known = ledger.get(cardId)
    const ledgerCents = known?.cents ?? null
    const difference = file.cents - (ledgerCents ?? 0)
    if (difference === 0 && known) continue
    balances.push({
      cardId,
      last4: known?.last4 ?? null,
      store: known?.storeId ? { id: known.storeId, name: known.storeId } : null,
      asOf: to,
      fileCents: file.cents,
      ledgerCents,
      differenceCents: difference,
      explainedCents: explained.get(cardId) ?? 0,
      line: file.line,
    })
  }
  const net =
    balances.reduce((s, b) => s + b.differenceCents, 0) +
    missingDiffs
      .filter((e) => !e.cardId || !reported.has(e.cardId))
      .reduce((s, e) => s + e.amountCents, 0) -
    onlyInLedger
      .filter((e) => !e.cardId || !reported.has(e.cardId))
      .reduce((s, e) => s + e.amountCents, 0)
  keep(report, balances, missingDiffs, onlyInLedger, net)
}

/**
 * A file event missing from the ledger, with its effect on the balance as the ledger would
 * book it: a void reverses the event it names (found in the ledger), whatever it says it moves.
 */
async function missingDifference(database: Database, e: FileEvent): Promise<EventDifference> {
  let amount = e.amountCents
  if (e.type === 'void') {
    amount = 0
    if (e.originalEventId) {
      const original = await database.db
        .selectFrom('gift_card_transactions')
        .select(['amount_cents', 'result'])
        .where('source', '=', e.source)
        .where('event_id', '=', e.originalEventId)
        .executeTakeFirst()
      if (original && original.result === 'ok') amount = -Number(original.amount_cents)
    }
  }
  return {
    source: e.source,
    eventId: e.eventId,
    cardId: e.cardRef,
    type: e.type,
    amountCents: amount,
    occurredAt: e.occurredAt,
    store: e.locationId ? { id: e.locationId, name: e.locationId } : null,
    line: e.line,
  }
}

/**
 * The ledger's events of `source` between `from` and `to` (inclusive) that are not in the file,
 * read a page at a time along the `(source, occurred_at)` index.
 */
async function ledgerOnlyEvents(
  database: Database,
  source: EventSource,
  from: string,
  to: string,
  inFile: ReadonlySet<string>,
  cards: ReadonlySet<string> | undefined,
): Promise<EventDifference[]> {
  const out: EventDifference[] = []
  let after: { at: string; id: number } | undefined
  for (;;) {
    let query = database.db
      .selectFrom('gift_card_transactions')
      .select([
        'id',
        'event_id',
        'card_id',
        'type',
        'result',
        'amount_cents',
        'occurred_at',
        'location_id',
      ])
      .where('source', '=', source)
      .where('occurred_at', '<=', to)
    if (after) {
      const { at, id } = after
      query = query
        .where('occurred_at', '>=', at)
        .where((eb) => eb.or([eb('occurred_at', '>', at), eb('id', '>', id)]))
    } else query = query.where('occurred_at', '>=', from)
    const page = await query.orderBy('occurred_at').orderBy('id').limit(5000).execute()
    for (const r of page) {
      if (inFile.has(r.event_id)) continue
      if (cards && (!r.card_id || !cards.has(r.card_id))) continue
      out.push({
        source,
        eventId: r.event_id,
        cardId: r.card_id,
        type: r.type,
        amountCents: r.result === 'ok' ? Number(r.amount_cents) : 0,
        occurredAt: r.occurred_at,
        store: r.location_id ? { id: r.location_id, name: r.location_id } : null,
      })
    }
    const last = page.at(-1)
    if (!last || page.length < 5000) break
    after = { at: last.occurred_at, id: Number(last.id) }
  }
  return out
}

type LedgerCard = { cents: number; last4: string; storeId: string | null }

/**
 * Cards' ledger balances: the sum of their applied events up to `asOf` (inclusive; all of them
 * when undefined), with the card's last four digits and issuing store. Cards not in the ledger
 * are absent from the map.
 */
async function ledgerBalances(
  database: Database,
  cardIds: readonly string[],
  asOf: string | undefined,
): Promise<Map<string, LedgerCard>> {
  const out = new Map<string, LedgerCard>()
  if (cardIds.length === 0) return out
  const cards = await selectIn<{
    id: string
    gan_last4: string
    issuing_location_id: string | null
  }>(
    database.db,
    database.adapter,
    { select: 'select id, gan_last4, issuing_location_id from gift_cards', column: 'id' },
    cardIds,
  )
  for (const c of cards)
    out.set(c.id, { cents: 0, last4: c.gan_last4, storeId: c.issuing_location_id })
  const sums = await selectIn<{ card_id: string; cents: number | string }>(
    database.db,
    database.adapter,
    {
      select: 'select card_id, sum(amount_cents) as cents from gift_card_transactions',
      column: `${asOf ? 'occurred_at <= $L1 and ' : ''}result = 'ok' and card_id`,
      extra: 'group by card_id',
      leading: asOf ? [asOf] : [],
    },
    [...out.keys()],
  )
  for (const s of sums) {
    const card = out.get(s.card_id)
    if (card) card.cents = Number(s.cents)
  }
  return out
}

// ── a balances file ───────────────────────────────────────────────────────────────────────

async function compareBalancesFile(
  database: Database,
  path: string,
  report: ReconcileReport,
  bad: (line: number, reason: string) => void,
  options: ReconcileOptions,
): Promise<void> {
  const rows: BalanceRow[] = []
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 })
  try {
    for await (const read of readBalanceRows(stream, options.maxEventCents)) {
      for (const row of read) {
        report.rows++
        if ('error' in row) bad(row.line, row.error)
        else rows.push(row)
      }
    }
  } finally {
    stream.destroy()
  }
  // Cards named only by their last four digits: exactly one ledger card must have them.
  const digits = [
    ...new Set(rows.filter((r) => !r.cardId && r.last4).map((r) => r.last4 as string)),
  ]
  const byLast4 = new Map<string, string[]>()
  for (const c of await selectIn<{ id: string; gan_last4: string }>(
    database.db,
    database.adapter,
    { select: 'select id, gan_last4 from gift_cards', column: 'gan_last4' },
    digits,
  ))
    byLast4.set(c.gan_last4, [...(byLast4.get(c.gan_last4) ?? []), c.id])
  const lineOf = new Map<string, number>()
  const resolved: (Omit<BalanceRow, 'cardId'> & { cardId: string | null })[] = []
  for (const row of rows) {
    let cardId = row.cardId ?? null
    if (!cardId && row.last4) {
      const matches = byLast4.get(row.last4) ?? []
      if (matches.length > 1) {
        bad(row.line, `${matches.length} cards end in ${row.last4}: name the card by card_id`)
        continue
      }
      cardId = matches[0] ?? null
    }
    const key = cardId ?? `last4:${row.last4}`
    const earlier = lineOf.get(key)
    if (earlier !== undefined) {
      bad(row.line, `the card is on line ${earlier} already`)
      continue
    }
    lineOf.set(key, row.line)
    resolved.push({ ...row, cardId })
  }
  if (report.badRowCount > 0) return
  report.cardsCompared = resolved.length
  // One query per distinct as_of (usually one: the time the POS report was made).
  const byAsOf = new Map<string, typeof resolved>()
  for (const r of resolved) {
    const key = r.asOf ?? ''
    byAsOf.set(key, [...(byAsOf.get(key) ?? []), r])
  }
  const balances: BalanceDifference[] = []
  for (const [asOf, group] of byAsOf) {
    const ids = group.map((r) => r.cardId).filter((id): id is string => id !== null)
    const ledger = await ledgerBalances(database, ids, asOf || undefined)
    for (const r of group) {
      const known = r.cardId ? ledger.get(r.cardId) : undefined
      const ledgerCents = known?.cents ?? null
      const difference = r.balanceCents - (ledgerCents ?? 0)
      if (difference === 0 && known) continue
      balances.push({
        cardId: r.cardId,
        last4: known?.last4 ?? r.last4 ?? null,
        store: known?.storeId ? { id: known.storeId, name: known.storeId } : null,
        asOf: asOf || null,
        fileCents: r.balanceCents,
        ledgerCents,
        differenceCents: difference,
        explainedCents: 0,
        line: r.line,
      })
    }
  }
  balances.sort((a, b) => a.line - b.line)
  keep(
    report,
    balances,
    [],
    [],
    balances.reduce((s, b) => s + b.differenceCents, 0),
  )
}

// ── the balances a POS reports through its API ────────────────────────────────────────────

/**
 * `giftcards reconcile --source clover`: each card's balance as Clover's gift card API reports
 * it (the balance read of `giftcards sync clover`, as a dry run: nothing is adjusted) against the
 * ledger's balance now. A card whose balance cannot be read is reported like a bad row, so the
 * run exits 2: the comparison is incomplete.
 */
export async function reconcileCloverBalances(
  database: Database,
  options: Omit<CloverBalanceOptions, 'dryRun' | 'listeners'>,
): Promise<ReconcileReport> {
  const read = await syncCloverBalances(database, { ...options, dryRun: true })
  const ledger = await ledgerBalances(
    database,
    read.drifts.map((d) => d.cardId),
    undefined,
  )
  const balances: BalanceDifference[] = read.drifts.map((d) => {
    const known = ledger.get(d.cardId)
    return {
      cardId: d.cardId,
      last4: known?.last4 ?? null,
      store: known?.storeId ? { id: known.storeId, name: known.storeId } : null,
      asOf: read.readAt,
      fileCents: d.cloverCents,
      ledgerCents: d.ledgerCents,
      differenceCents: d.cloverCents - (d.ledgerCents ?? 0),
      explainedCents: 0,
      line: 0,
    }
  })
  const report: ReconcileReport = {
    path: 'Clover gift card API',
    format: 'clover-api',
    source: null,
    window: null,
    rows: read.cards,
    events: 0,
    cardsCompared: read.read,
    badRows: read.failed.map((f) => ({ line: 0, reason: `${f.cardId}: ${f.error}` })),
    badRowCount: read.failed.length,
    balances: [],
    missingFromLedger: [],
    onlyInLedger: [],
    counts: { balances: 0, missingFromLedger: 0, onlyInLedger: 0 },
    netDifferenceCents: 0,
    equal: false,
  }
  // As with a bad row: an unread card cannot be compared, and the others alone would mislead.
  const net = balances.reduce((s, b) => s + b.differenceCents, 0)
  if (report.badRowCount === 0) keep(report, balances, [], [], net)
  await nameStores(database, report)
  report.equal = report.badRowCount === 0 && report.counts.balances === 0
  return report
}

// ── the report ────────────────────────────────────────────────────────────────────────────

function keep(
  report: ReconcileReport,
  balances: BalanceDifference[],
  missing: EventDifference[],
  onlyInLedger: EventDifference[],
  net: number,
): void {
  report.counts = {
    balances: balances.length,
    missingFromLedger: missing.length,
    onlyInLedger: onlyInLedger.length,
  }
  // Largest balance differences first; events in time order.
  report.balances = balances
    .sort((a, b) => Math.abs(b.differenceCents) - Math.abs(a.differenceCents) || a.line - b.line)
    .slice(0, MAX_KEPT)
  report.missingFromLedger = missing.slice(0, MAX_KEPT)
  report.onlyInLedger = onlyInLedger.slice(0, MAX_KEPT)
  report.netDifferenceCents = net
}

/** Replaces the store ids the differences carry with `{ id, name }` from `locations`. */
async function nameStores(database: Database, report: ReconcileReport): Promise<void> {
  const refs = [...report.balances, ...report.missingFromLedger, ...report.onlyInLedger]
    .map((d) => d.store)
    .filter((s): s is StoreRef => s !== null)
  const ids = [...new Set(refs.map((s) => s.id))]
  if (ids.length === 0) return
  const names = new Map(
    (
      await selectIn<{ id: string; name: string }>(
        database.db,
        database.adapter,
        { select: 'select id, name from locations', column: 'id' },
        ids,
      )
    ).map((l) => [l.id, l.name]),
  )
  for (const s of refs) s.name = names.get(s.id) ?? s.id
}
