import { createHmac } from 'node:crypto'
import type { Transaction } from 'kysely'
import {
  type CardEvent,
  DEVELOPMENT_PII_KEY,
  detached,
  type EventLimits,
  eventFieldProblem,
  MAX_POS_ID_CHARS,
  toIso,
} from '../core/index.ts'
import {
  type Database,
  type DB,
  fixTimezone,
  type LedgerWriter,
  type RetryOptions,
  runTransactional,
} from '../db/index.ts'
import type { AppliedEvent } from './hooks.ts'
import {
  applyEvents,
  type CardSnapshot,
  type CardState,
  cardIdsOf,
  cardState,
  correctLateHolders,
  heldCardAlerts,
  newCards,
  noCardIds,
  shortId,
  snapshotFields,
  validateEvent,
  withoutDuplicates,
} from './ledger-core.ts'
import { alreadyVoided, lookUpVoids, VoidBatch } from './voids.ts'

export { type CardSnapshot, HELD_CARD_RULE } from './ledger-core.ts'

/**
 * Applying batches of normalised events to the ledger (docs/ingest.md, "The write path"): the
 * ledger's rules (ledger-core.ts, pure) between what a writer (db/ledger-writer.ts) reads and
 * writes in one open transaction. `applyBatch` is the transactional strategy (webhooks, the
 * inbox, the pollers): a batch in a transaction of its own, run again on contention.
 * `applyInTransaction` applies one into a transaction the caller holds (the import strategy,
 * ingest/import.ts, on the transactional or the deferred writer).
 */

/** What a source's normaliser turns one delivery or row into. */
export type Normalized = { events: CardEvent[]; cards: CardSnapshot[] }

export type BatchResult = {
  /** The events applied, in the order applied (empty if the caller asked not to keep them). */
  applied: AppliedEvent[]
  appliedCount: number
  /** Events already in the ledger (same source and event id): nothing was changed. */
  duplicates: number
}

/** What every batch may be told, whichever transaction it is applied in. */
type BatchOptions = {
  /**
   * The key stub customers' pseudonyms are made under: PII_TOKEN_KEY (`config.piiTokenKey`).
   * Unset, the development key, as the configuration's own default (docs/privacy.md).
   */
  piiKey?: string
  /**
   * The most one event may move or report as a balance (MAX_EVENT_CENTS,
   * `config.ingest.maxEventCents`; default DEFAULT_MAX_EVENT_CENTS): a larger one is refused.
   */
  maxEventCents?: number
  /** Whether to return the applied events (default true); an import without listeners only counts them. */
  keepApplied?: boolean
}

/** How `applyBatch` applies a batch in a transaction of its own. */
export type ApplyOptions = BatchOptions & {
  /** Runs last inside the same transaction, with the result (the inbox and pollers record progress here). */
  within?: (trx: Transaction<DB>, result: BatchResult) => Promise<void>
  /**
   * How the transaction is retried when the engine aborts it for contention (`withDbRetry`'s
   * options: tries, back-off, a callback to log each retry).
   */
  retry?: RetryOptions
}

/** How `applyInTransaction` applies a batch into the caller's open transaction. */
export type InTransactionOptions = BatchOptions & {
  /**
   * Card states kept across the batches of the caller's transaction: a card is read once and
   * written once per transaction, not once per batch. The caller calls `write` before it
   * commits, and drops the cache if it rolls back.
   */
  cache?: CardCache
  /**
   * Skips looking up which events the ledger already holds and counts the inserted rows
   * instead; if any event turns out to be there, the batch fails (`ApplyAgain('not new')`,
   * applied again the careful way in a savepoint). For large batches that are expected to be
   * new (an import going forward): one index probe per event instead of two. On a writer that
   * cannot read its own writes, an event met twice is only caught this way.
   */
  expectNew?: boolean
  /**
   * Locations and customers known to exist (an import's memory across batches): their stub
   * rows are not written again. Filled with the ids this batch made once it has applied; a
   * caller that then rolls back its own transaction must forget them.
   */
  known?: KnownIds
  /**
   * Runs each attempt in a savepoint of the caller's transaction (`inSavepoint`): a failure
   * undoes it alone, and an `ApplyAgain` is applied again. Without it, what a failed attempt
   * wrote cannot be undone and the error reaches the caller, which rolls its transaction back.
   */
  savepoint?: <T>(work: () => Promise<T>) => Promise<T>
}

/** Cards read and changed inside one open transaction, written back once at its end. */
export class CardCache {
  readonly states = new Map<string, CardState>()
  readonly dirty = new Set<string>()

  async write(writer: LedgerWriter): Promise<void> {
    const changed = [...this.dirty].map((id) => this.states.get(id) as CardState)
    this.dirty.clear()
    await writer.writeCards(changed, toIso(Date.now()))
    for (const s of changed) s.issuedMoved = false
  }
}

/** Ids of rows known to be in the ledger (locations and customers are never deleted). */
export type KnownIds = { locations: Set<string>; customers: Set<string> }

/**
 * Thrown inside the transaction to roll it back and apply the batch again: an `expectNew`
 * batch met an event already applied, or another transaction created one of its new cards
 * first (PostgreSQL, concurrent deliveries). `applyBatch` does so itself, and
 * `applyInTransaction` in a savepoint; in the caller's transaction without one, what the
 * attempt wrote cannot be undone there, so the error reaches the caller, which rolls its
 * transaction back.
 */
export class ApplyAgain extends Error {
  constructor(readonly why: 'not new' | 'card created concurrently') {
    super(why)
  }
}

/** Attempts before a batch that keeps meeting concurrently created cards gives up. */
const MAX_ATTEMPTS = 5

/** What an attempt is given: the batch validated, and the stub rows it refers to. */
type Prepared = {
  events: CardEvent[]
  cards: CardSnapshot[]
  stubs: { locations: string[]; customers: string[] }
}

/**
 * Applies a batch of normalised events in a database transaction of its own (the
 * transactional writer): unknown locations, customers and cards become stub rows; each event
 * is inserted once (idempotent on source + event id); each touched card is locked, its events
 * are replayed in time order (ledger-core.ts), and its balance, status and last activity are
 * written once.
 *
 * Concurrent writers (other processes on the same database) meet without deadlocking: every
 * kind of row is locked or inserted in key order, and a transaction the engine aborts for
 * contention is run again (`options.retry`); docs/concurrency.md.
 */
export async function applyBatch(
  database: Database,
  batch: Normalized,
  options: ApplyOptions = {},
): Promise<BatchResult> {
  const prepared = prepare(batch, options, undefined)
  // The rollup's days are fixed once, committed, before the first transaction that needs them.
  await fixTimezone(database.db, database.adapter)
  return applyAttempts(prepared, options, undefined, true, (attempt) =>
    runTransactional(
      database,
      async (writer) => {
        const result = await applyOnce(writer, prepared, attempt)
        await options.within?.(writer.trx, result)
        return result
      },
      options.retry,
    ),
  )
}

/**
 * Applies a batch into the caller's open transaction, through its writer (the transactional
 * writer on it, or the deferred writer): the import strategy's step. Nothing is committed; see
 * `InTransactionOptions` for what a failure leaves.
 */
export async function applyInTransaction(
  writer: LedgerWriter,
  batch: Normalized,
  options: InTransactionOptions = {},
): Promise<BatchResult> {
  const prepared = prepare(batch, options, options.known)
  const { savepoint } = options
  return applyAttempts(prepared, options, options.known, savepoint !== undefined, (attempt) =>
    savepoint
      ? savepoint(() => applyOnce(writer, prepared, attempt))
      : applyOnce(writer, prepared, attempt),
  )
}

function prepare(batch: Normalized, options: BatchOptions, known: KnownIds | undefined): Prepared {
  const limits: EventLimits = {
    now: Date.now(),
    ...(options.maxEventCents === undefined ? {} : { maxEventCents: options.maxEventCents }),
  }
  const events = batch.events.map((event) => validateEvent(event, limits))
  return { events, cards: batch.cards, stubs: referencedStubs(events, batch.cards, known) }
}

/** Runs attempts until one applies; an `ApplyAgain` is tried again where it can be undone. */
async function applyAttempts(
  prepared: Prepared,
  options: InTransactionOptions,
  known: KnownIds | undefined,
  undoable: boolean,
  run: (attempt: InTransactionOptions) => Promise<BatchResult>,
): Promise<BatchResult> {
  let attempt = options
  let result: BatchResult | undefined
  for (let tries = 1; !result; tries++) {
    try {
      result = await run(attempt)
    } catch (err) {
      if (!(err instanceof ApplyAgain) || tries >= MAX_ATTEMPTS || !undoable) throw err
      if (err.why === 'not new') attempt = { ...attempt, expectNew: false }
    }
  }
  if (known) {
    for (const id of prepared.stubs.locations) known.locations.add(detached(id))
    for (const id of prepared.stubs.customers) known.customers.add(detached(id))
  }
  return result
}

/** One attempt: read what the rules need, apply them, write what they produced. */
async function applyOnce(
  writer: LedgerWriter,
  { events, cards, stubs }: Prepared,
  options: InTransactionOptions,
): Promise<BatchResult> {
  const now = toIso(Date.now())
  const queued = !writer.readsOwnWrites
  const expectNew = options.expectNew ?? false
  await writer.insertStubs(...stubRows(stubs, now, options.piiKey ?? DEVELOPMENT_PII_KEY))
  const cardIds = cardIdsOf(events, cards)
  const cache = options.cache
  const timezone = await writer.timezone()
  const states = new Map<string, CardState>()
  for (const row of await writer.lockCards(
    cache ? cardIds.filter((id) => !cache.states.has(id)) : cardIds,
  ))
    states.set(row.id, cardState(row))
  if (cache)
    for (const id of cardIds)
      if (cache.states.has(id)) states.set(id, cache.states.get(id) as CardState)
  // Cards the ledger has not seen start from their earliest event in the batch; they are
  // inserted once, with their state after the batch.
  const unknown = cardIds.filter((id) => !states.has(id))
  const noCard = noCardIds(unknown, events, cards)
  const created = newCards(
    unknown.filter((id) => !noCard.has(id)),
    events,
    cards,
  )
  for (const card of created) states.set(card.state.id, card.state)

  // Duplicates: twice in this batch, or (unless expected new) already in the ledger.
  const seen = expectNew ? new Map<string, Set<string>>() : await existingEventIds(writer, events)
  const { unique, duplicates } = withoutDuplicates(events, seen)
  // Voids find the events they reverse and come after them (ingest/voids.ts).
  const { events: fresh, voids } = VoidBatch.plan(unique, await lookUpVoids(writer, unique), {
    queued,
    expectNew,
    again: () => new ApplyAgain('not new'),
  })
  const changes = applyEvents({
    states,
    events: fresh,
    snapshots: cards,
    voids,
    timezone,
    keepApplied: options.keepApplied ?? true,
    // A late card this transaction wrote before is not read back by a deferred writer.
    onLate: (cardId) => {
      if (queued && cache?.states.has(cardId)) throw new ApplyAgain('not new')
    },
  })

  // The late cards' ledgers are read before this batch's rows are stored.
  if (changes.late.length > 0)
    correctLateHolders(
      changes.rollup,
      changes.late,
      await writer.ledgerMoves(changes.late.map((l) => l.state.id)),
    )
  if ((await writer.insertCards(created, now)) !== created.length)
    throw new ApplyAgain('card created concurrently')
  const inserted = await writer.insertLedgerRows(changes.rows, expectNew)
  if (expectNew && inserted !== changes.rows.length) throw new ApplyAgain('not new')
  if (voids) {
    // A deferred writer fails its commit if an original was voided meanwhile.
    const rows = voids.rows
    if ((await writer.insertVoids(rows)) !== rows.length && !queued) throw alreadyVoided()
  }
  await writer.addRollup(changes.rollup)
  await writer.insertOrderItems(changes.items)

  const isNew = new Set(created.map((c) => c.state.id))
  if (cache) {
    // Written once when the caller's transaction ends (`CardCache.write`).
    for (const [id, state] of states) {
      cache.states.set(id, state)
      if (!isNew.has(id)) cache.dirty.add(id)
    }
  } else {
    const changed = [...states.values()].filter((s) => !isNew.has(s.id))
    await writer.writeCards(changed, now)
    for (const s of changed) s.issuedMoved = false
  }
  for (const snapshot of cards) {
    const fields = snapshotFields(snapshot)
    if (fields) await writer.writeSnapshotFields(snapshot.cardRef, fields)
  }
  await writer.insertAlerts(heldCardAlerts(changes.heldRedemptions, now))
  return { applied: changes.applied, appliedCount: changes.appliedCount, duplicates }
}

/** Of the batch's events, those the ledger holds already, by source. */
function existingEventIds(
  writer: LedgerWriter,
  events: readonly CardEvent[],
): Promise<Map<string, Set<string>>> {
  const bySource = new Map<string, string[]>()
  for (const e of events) {
    const ids = bySource.get(e.source)
    if (ids) ids.push(e.eventId)
    else bySource.set(e.source, [e.eventId])
  }
  return writer.existingEventIds(bySource)
}

/** The locations and customers the events refer to, less those known to exist. */
function referencedStubs(
  events: CardEvent[],
  cards: CardSnapshot[],
  known: KnownIds | undefined,
): { locations: string[]; customers: string[] } {
  const locations = new Set<string>()
  const customers = new Set<string>()
  for (const e of events) {
    if (e.locationId && !known?.locations.has(e.locationId)) locations.add(e.locationId)
    if (e.customerId && !known?.customers.has(e.customerId)) customers.add(e.customerId)
  }
  for (const c of cards)
    if (c.holderCustomerId && !known?.customers.has(c.holderCustomerId))
      customers.add(c.holderCustomerId)
  // In key order: concurrent transactions insert the same stub rows in one order, so they
  // wait for each other instead of deadlocking (docs/concurrency.md).
  return { locations: [...locations].sort(), customers: [...customers].sort() }
}

/** The stub rows of the locations and customers events refer to, without PII. */
function stubRows(
  stubs: { locations: string[]; customers: string[] },
  now: string,
  piiKey: string,
): [locations: unknown[][], customers: unknown[][]] {
  return [
    stubs.locations.map((id) => [id, id, 'unknown', 'unknown', 'unknown', 'UTC', now]),
    stubs.customers.map((id) => [id, stubPseudonym(id, piiKey), now]),
  ]
}

/**
 * What makes a delivery unfit to store, naming the event and field, or undefined: the webhook
 * route refuses it with 400 before it reaches the inbox (issue 16). Ids are at most
 * MAX_POS_ID_CHARS, items bounded, amounts at most `limits.maxEventCents`, dates at most a day
 * ahead, a void names its original (`eventFieldProblem`); a card's holder and last four too.
 */
export function normalizedProblem(
  batch: Normalized,
  limits: Pick<EventLimits, 'maxEventCents'> = {},
): string | undefined {
  const checks = { ...limits, now: Date.now() }
  for (const event of batch.events) {
    const problem = eventFieldProblem(event, checks)
    if (problem) return `event ${shortId(event.eventId)}: ${problem}`
  }
  for (const card of batch.cards) {
    const problem =
      card.cardRef.length > MAX_POS_ID_CHARS
        ? `cardRef is longer than ${MAX_POS_ID_CHARS} characters`
        : (card.holderCustomerId?.length ?? 0) > MAX_POS_ID_CHARS
          ? `holderCustomerId is longer than ${MAX_POS_ID_CHARS} characters`
          : (card.last4?.length ?? 0) > 4
            ? 'last4 is longer than 4 characters'
            : undefined
    if (problem) return `card ${shortId(card.cardRef)}: ${problem}`
  }
  return undefined
}

/**
 * A stable pseudonym for a customer known only by a POS id (no PII is ever stored for it):
 * `cust_` and 16 hex digits of HMAC-SHA256 under PII_TOKEN_KEY. Unkeyed, a customer id that is
 * a phone number could be found again by hashing its 10⁴ likely candidates (issue 16). One id
 * under one key always gives one pseudonym; another key gives another (docs/privacy.md).
 */
export function stubPseudonym(customerId: string, piiKey: string): string {
  const digest = createHmac('sha256', piiKey).update(`customer:${customerId}`).digest('hex')
  return `cust_${digest.slice(0, 16)}`
}
