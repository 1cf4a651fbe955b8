import { createHmac } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import {
  type CardEvent,
  type CardStatus,
  DEVELOPMENT_PII_KEY,
  detached,
  type EventLimits,
  eventFieldProblem,
  GiftCardError,
  isActivity,
  MAX_POS_ID_CHARS,
  toIso,
} from '../core/index.ts'
import {
  DailyRollup,
  type Database,
  type DB,
  type EngineAdapter,
  fixTimezone,
  holderChanges,
  insertMany,
  knownTimezone,
  LEDGER_COLUMNS,
  type RetryOptions,
  rollupCard,
  selectIn,
  settleTimezone,
  withDbRetry,
} from '../db/index.ts'
import type { AppliedEvent } from './hooks.ts'
import { VoidBatch } from './voids.ts'

/** Card facts a POS reports outside any money movement (state, number, owner). */
export type CardSnapshot = {
  source: CardEvent['source']
  cardRef: string
  occurredAt: string
  last4?: string
  /** The POS's view of the card: only `deactivated` and `held` override the ledger's status. */
  state?: 'active' | 'held' | 'deactivated'
  holderCustomerId?: string | null
  currency?: string
  expiresAt?: string | null
}

/** What a source's normaliser turns one delivery or row into. */
export type Normalized = { events: CardEvent[]; cards: CardSnapshot[] }

export type BatchResult = {
  /** The events applied, in the order applied (empty if the caller asked not to keep them). */
  applied: AppliedEvent[]
  appliedCount: number
  /** Events already in the ledger (same source and event id): nothing was changed. */
  duplicates: number
}

type CardState = {
  id: string
  source: CardEvent['source']
  gan_last4: string
  currency: string
  balance_cents: number
  balance_as_of: string | null
  last_activity_at: string | null
  status: CardStatus
  initial_value_cents: number
  issued_at: string
  issuing_location_id: string | null
  occasion: string | null
  channel: string | null
  /** Set when an event moved `issued_at` earlier since the card was read. */
  issuedMoved: boolean
  /**
   * The sum of the card's ledger amounts (its balance as of now by the ledger, what the daily
   * rollup counts cards holding a balance by): read as `balance_cents`, exact once a late
   * event made the applier read the card's ledger.
   */
  ledgerCents: number
}

/** How `applyBatch` may go about its work; the result is the same either way. */
export type ApplyOptions = {
  /**
   * A transaction the caller holds open (an import commits many batches at once). If the
   * batch fails (an `expectNew` batch meeting an applied event included: `ApplyAgain`), the
   * caller must roll that transaction back, unless `savepoint` is set: then the batch runs in
   * a savepoint and a failure undoes it alone (at a cost on SQLite, which copies every page
   * the batch changes into its sub-journal first).
   */
  trx?: Transaction<DB>
  savepoint?: boolean
  /** Runs last inside the same transaction, with the result (the inbox and imports record progress here). */
  within?: (trx: Transaction<DB>, result: BatchResult) => Promise<void>
  /**
   * Card states kept across the batches of the caller's transaction (`trx`): a card is read
   * once and written once per transaction, not once per batch. The caller calls `write`
   * before it commits, and drops the cache if it rolls back.
   */
  cache?: CardCache
  /**
   * Skips looking up which events the ledger already holds and counts the inserted rows
   * instead; if any event turns out to be there, the transaction is rolled back and the batch
   * applied again the careful way. For large batches that are expected to be new (an import
   * going forward): one index probe per event instead of two.
   */
  expectNew?: boolean
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
  /**
   * Locations and customers known to exist (an import's memory across batches): their stub
   * rows are not written again. Filled with the ids this batch made once it has applied; a
   * caller that then rolls back its own transaction must forget them.
   */
  known?: KnownIds
  /**
   * How a batch in a transaction of its own is retried when the engine aborts it for
   * contention (`withDbRetry`'s options: tries, back-off, a callback to log each retry).
   */
  retry?: RetryOptions
  /**
   * The transaction's writes are queued on another connection (a deferred writer) and cannot
   * be read back: an event dated before days already rolled up for a card this transaction
   * wrote earlier then fails the batch (`ApplyAgain('not new')`), to be applied on one
   * connection, where the card's ledger can be read.
   */
  queued?: boolean
}

/** Cards read and changed inside one open transaction, written back once at its end. */
export class CardCache {
  readonly states = new Map<string, CardState>()
  readonly dirty = new Set<string>()

  async write(database: Database, trx: Transaction<DB>): Promise<void> {
    const changed = [...this.dirty].map((id) => this.states.get(id) as CardState)
    this.dirty.clear()
    await writeCards(trx, database.adapter, changed, toIso(Date.now()))
  }
}

/** Ids of rows known to be in the ledger (locations and customers are never deleted). */
export type KnownIds = { locations: Set<string>; customers: Set<string> }

/**
 * Thrown inside the transaction to roll it back and apply the batch again: an `expectNew`
 * batch met an event already applied, or another transaction created one of its new cards
 * first (PostgreSQL, concurrent deliveries). `applyBatch` does so itself, except inside a
 * transaction of the caller's without a savepoint: what the attempt wrote cannot be undone
 * there, so the error reaches the caller, which rolls its transaction back.
 */
export class ApplyAgain extends Error {
  constructor(readonly why: 'not new' | 'card created concurrently') {
    super(why)
  }
}

/** Attempts before a batch that keeps meeting concurrently created cards gives up. */
const MAX_ATTEMPTS = 5

/**
 * Applies a batch of normalised events in one database transaction:
 * unknown locations, customers and cards become stub rows; each event is inserted once
 * (idempotent on source + event id); each touched card is locked, its events are replayed in
 * time order, and its balance, status and last activity are written once.
 *
 * Ordering rule: where the POS reports a balance after the event, the newest event's balance
 * wins and a late event leaves the balance alone; where it does not, amounts add up in any
 * order. A late event never moves `last_activity_at` back.
 *
 * Concurrent writers (other processes on the same database) meet without deadlocking: every
 * kind of row is locked or inserted in key order, and a transaction of its own that the engine
 * aborts for contention is run again (`options.retry`); docs/concurrency.md.
 */
export async function applyBatch(
  database: Database,
  batch: Normalized,
  options: ApplyOptions = {},
): Promise<BatchResult> {
  const limits = { now: Date.now(), ...pick(options.maxEventCents) }
  const events = batch.events.map((event) => validateEvent(event, limits))
  const stubs = referencedStubs(events, batch.cards, options.known)
  // The rollup's days are fixed once, committed, before the first transaction that needs them.
  if (!options.trx) await fixTimezone(database.db, database.adapter)
  let attempt = { ...options }
  let result: BatchResult | undefined
  for (let tries = 1; !result; tries++) {
    try {
      const once = () => applyInTransaction(database, events, batch.cards, stubs, attempt)
      // A transaction of its own is run again when another writer's made the engine abort it
      // (a deadlock, a serialisation failure, SQLite busy); one of the caller's is the
      // caller's to retry (docs/concurrency.md).
      result = options.trx ? await once() : await withDbRetry(once, options.retry)
    } catch (err) {
      if (!(err instanceof ApplyAgain) || tries >= MAX_ATTEMPTS) throw err
      if (options.trx && !options.savepoint) throw err
      if (err.why === 'not new') attempt = { ...attempt, expectNew: false }
    }
  }
  if (options.known) {
    for (const id of stubs.locations) options.known.locations.add(detached(id))
    for (const id of stubs.customers) options.known.customers.add(detached(id))
  }
  return result
}

async function applyInTransaction(
  database: Database,
  events: CardEvent[],
  cards: CardSnapshot[],
  stubs: { locations: string[]; customers: string[] },
  options: ApplyOptions,
): Promise<BatchResult> {
  const { adapter } = database
  return transactionOrSavepoint(database, options.trx, options.savepoint ?? false, async (trx) => {
    const now = toIso(Date.now())
    await insertStubs(trx, adapter, stubs, now, options.piiKey ?? DEVELOPMENT_PII_KEY)
    const cardIds = new Set<string>()
    for (const e of events) cardIds.add(e.cardRef)
    for (const c of cards) cardIds.add(c.cardRef)
    const cache = options.cache
    const timezone = knownTimezone(database.db) ?? (await settleTimezone(trx, adapter))
    const states = await lockCards(
      trx,
      adapter,
      cache ? [...cardIds].filter((id) => !cache.states.has(id)) : [...cardIds],
    )
    if (cache)
      for (const id of cardIds)
        if (cache.states.has(id)) states.set(id, cache.states.get(id) as CardState)
    // Cards the ledger has not seen start from their earliest event in the batch; they are
    // inserted once, with their state after the batch.
    const created = newCards(
      [...cardIds].filter((id) => !states.has(id)),
      events,
      cards,
    )
    for (const card of created) states.set(card.state.id, card.state)

    // Duplicates: twice in this batch, or (unless expected new) already in the ledger.
    const seen = options.expectNew
      ? new Map<string, Set<string>>()
      : await existingEventIds(trx, adapter, events)
    const unique: CardEvent[] = []
    for (const event of events) {
      let ids = seen.get(event.source)
      if (!ids) {
        ids = new Set()
        seen.set(event.source, ids)
      }
      if (ids.has(event.eventId)) continue
      ids.add(event.eventId)
      unique.push(event)
    }
    // Voids find the events they reverse and come after them (ingest/voids.ts).
    const { events: fresh, voids } = await VoidBatch.plan(trx, adapter, unique, {
      queued: options.queued ?? false,
      expectNew: options.expectNew ?? false,
      again: () => new ApplyAgain('not new'),
    })

    const byCard = new Map<string, CardEvent[]>()
    for (const event of fresh) {
      const list = byCard.get(event.cardRef)
      if (list) list.push(event)
      else byCard.set(event.cardRef, [event])
    }

    const applied: AppliedEvent[] = []
    const keep = options.keepApplied ?? true
    let appliedCount = 0
    const rows: unknown[][] = []
    const heldRedemptions: { cardId: string; event: CardEvent }[] = []
    const rollup = new DailyRollup(timezone)
    // Cards with an event dated before a day already rolled up for them: who holds a balance
    // on the days between is worked out again from their ledger.
    const late: { state: CardState; moves: { day: string; amount: number }[] }[] = []
    for (const [cardId, cardEvents] of byCard) {
      const state = states.get(cardId)
      if (!state) throw new GiftCardError('INTERNAL', `card ${cardId} vanished during apply`)
      if (!inTimeOrder(cardEvents)) cardEvents.sort(byOccurredAt)
      const first = (cardEvents[0] as CardEvent).occurredAt
      const newest = state.balance_as_of
      const moves =
        newest !== null && first < newest && rollup.dayOf(first) < rollup.dayOf(newest)
          ? { state, moves: [] as { day: string; amount: number }[] }
          : undefined
      if (moves) {
        if (options.queued && cache?.states.has(cardId)) throw new ApplyAgain('not new')
        late.push(moves)
      }
      const card = rollupCard({
        issuingLocationId: state.issuing_location_id,
        occasion: state.occasion,
        channel: state.channel,
      })
      for (const next of cardEvents) {
        // A void stores the opposite of what its original stored, rolled up against its type.
        const reversal = voids?.reverse(next)
        const event = reversal?.event ?? next
        if (state.status === 'held' && event.type === 'redeem')
          heldRedemptions.push({ cardId, event })
        const before = state.ledgerCents
        const { amount, ledgerBalance } = replay(state, event)
        voids?.record(event, amount)
        state.ledgerCents = before + amount
        rollup.add(
          card,
          reversal?.originalType ?? event.type,
          event.occurredAt,
          event.locationId,
          amount,
          before,
          !moves,
          reversal ? -1 : 1,
        )
        moves?.moves.push({ day: rollup.dayOf(event.occurredAt), amount })
        rows.push([
          event.source,
          event.eventId,
          cardId,
          event.type,
          'ok',
          amount,
          event.balanceAfterCents ?? ledgerBalance,
          event.currency,
          event.occurredAt,
          event.locationId ?? null,
          event.terminalId ?? null,
          event.orderId ?? null,
          event.customerId ?? null,
          event.employeeId ?? null,
        ])
        appliedCount++
        if (keep)
          applied.push({ ...event, cardId, amountCents: amount, balanceAfterCents: ledgerBalance })
      }
    }
    for (const snapshot of cards) {
      const state = states.get(snapshot.cardRef)
      if (state) applySnapshot(state, snapshot)
    }

    await rollLateCards(trx, adapter, rollup, late)
    if ((await insertNewCards(trx, adapter, created, now)) !== created.length)
      throw new ApplyAgain('card created concurrently')
    const inserted = await insertMany(
      trx,
      adapter,
      'gift_card_transactions',
      LEDGER_COLUMNS,
      rows,
      { key: ['source', 'event_id'], action: 'nothing' },
      { exact: options.expectNew ?? false },
    )
    if (options.expectNew && inserted !== rows.length) throw new ApplyAgain('not new')
    await voids?.write(trx, adapter, options.queued ?? false)
    await rollup.write(trx, adapter)
    const items: unknown[][] = []
    for (const e of fresh) {
      if (!e.orderId || !e.items) continue
      for (const i of e.items) items.push([e.orderId, i.sku, i.category, i.amountCents])
    }
    await insertMany(
      trx,
      adapter,
      'order_items',
      ['order_id', 'sku', 'category', 'amount_cents'],
      items,
    )

    const isNew = new Set(created.map((c) => c.state.id))
    if (cache) {
      // Written once when the caller's transaction ends (`CardCache.write`).
      for (const [id, state] of states) {
        cache.states.set(id, state)
        if (!isNew.has(id)) cache.dirty.add(id)
      }
    } else {
      await writeCards(
        trx,
        adapter,
        [...states.values()].filter((s) => !isNew.has(s.id)),
        now,
      )
    }
    for (const snapshot of cards) await writeSnapshotFields(trx, snapshot)
    await raiseHeldCardAlerts(trx, adapter, heldRedemptions, now)
    const result = { applied, appliedCount, duplicates: events.length - unique.length }
    await options.within?.(trx, result)
    return result
  })
}

/**
 * Cards holding a balance at the end of each day, worked out again for cards that met a late
 * event: from the card's ledger before the batch, and with the batch's moves added (read before
 * the batch's rows are inserted). The rollup gets the difference; the card's ledger sum is
 * exact from here on.
 */
async function rollLateCards(
  trx: Transaction<DB>,
  adapter: EngineAdapter,
  rollup: DailyRollup,
  late: { state: CardState; moves: { day: string; amount: number }[] }[],
): Promise<void> {
  if (late.length === 0) return
  const history = new Map<string, { day: string; amount: number }[]>()
  const rows = await selectIn<{ card_id: string; occurred_at: string; amount_cents: number }>(
    trx,
    adapter,
    {
      select: 'select card_id, occurred_at, amount_cents from gift_card_transactions',
      column: 'card_id',
      extra: "and result = 'ok'",
    },
    late.map((l) => l.state.id),
  )
  for (const r of rows) {
    const list = history.get(r.card_id) ?? []
    list.push({ day: rollup.dayOf(r.occurred_at), amount: Number(r.amount_cents) })
    history.set(r.card_id, list)
  }
  for (const { state, moves } of late) {
    const before = history.get(state.id) ?? []
    const after = [...before, ...moves]
    const was = holderChanges(before)
    const is = holderChanges(after)
    const card = rollupCard({
      issuingLocationId: state.issuing_location_id,
      occasion: state.occasion,
      channel: state.channel,
    })
    for (const day of new Set([...was.keys(), ...is.keys()]))
      rollup.holders(card, day, (is.get(day) ?? 0) - (was.get(day) ?? 0))
    state.ledgerCents = after.reduce((sum, m) => sum + m.amount, 0)
  }
}

/** Runs `work` in a transaction of its own, or in the caller's (in a savepoint of it if asked). */
async function transactionOrSavepoint<T>(
  database: Database,
  outer: Transaction<DB> | undefined,
  savepoint: boolean,
  work: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  if (!outer) return database.db.transaction().execute(work)
  if (!savepoint) return work(outer)
  await sql`savepoint apply_batch`.execute(outer)
  try {
    const result = await work(outer)
    await sql`release savepoint apply_batch`.execute(outer)
    return result
  } catch (err) {
    await sql`rollback to savepoint apply_batch`.execute(outer)
    await sql`release savepoint apply_batch`.execute(outer)
    throw err
  }
}

/** Orders `[key, value]` entries by key (lock order, docs/concurrency.md). */
function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
}

function inTimeOrder(events: CardEvent[]): boolean {
  for (let i = 1; i < events.length; i++)
    if ((events[i] as CardEvent).occurredAt < (events[i - 1] as CardEvent).occurredAt) return false
  return true
}

function byOccurredAt(a: CardEvent, b: CardEvent): number {
  return a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0
}

/**
 * A redemption on a card under hold is loss prevention's first concern: it raises an alert in
 * the same transaction that records it (one per card, like every rule), whatever listens after.
 */
async function raiseHeldCardAlerts(
  trx: Transaction<DB>,
  adapter: EngineAdapter,
  redemptions: { cardId: string; event: CardEvent }[],
  now: string,
): Promise<void> {
  // One alert per card: the first redemption is its evidence.
  const first = new Map<string, CardEvent>()
  for (const { cardId, event } of redemptions) if (!first.has(cardId)) first.set(cardId, event)
  await insertMany(
    trx,
    adapter,
    'fraud_alerts',
    ['card_id', 'rule', 'score', 'status', 'evidence', 'detected_at', 'updated_at'],
    [...first].map(([cardId, event]) => [
      cardId,
      HELD_CARD_RULE,
      1,
      'open',
      JSON.stringify({
        reason: 'a redemption was recorded while the card was on hold',
        events: [
          {
            eventId: event.eventId,
            type: event.type,
            amountCents: event.amountCents,
            occurredAt: event.occurredAt,
            locationId: event.locationId ?? null,
            terminalId: event.terminalId ?? null,
          },
        ],
      }),
      now,
      now,
    ]),
    { key: ['card_id', 'rule'], action: 'nothing' },
  )
}

/** The rule of the alert raised when a held card is redeemed. */
export const HELD_CARD_RULE = 'held_card_redemption'

/** Applies one event to a card's state; returns the stored amount and the ledger balance. */
function replay(state: CardState, event: CardEvent): { amount: number; ledgerBalance: number } {
  const newest = state.balance_as_of === null || event.occurredAt >= state.balance_as_of
  let amount = event.amountCents
  if (event.balanceAfterCents !== undefined) {
    // Clearing or deactivating moves whatever was on the card: the POS's balance tells how much.
    if (newest && (event.type === 'clear' || event.type === 'deactivate'))
      amount = event.balanceAfterCents - state.balance_cents
    if (newest) state.balance_cents = event.balanceAfterCents
  } else {
    state.balance_cents += amount
  }
  if (state.balance_cents < 0) {
    throw new GiftCardError(
      'CONFLICT',
      `event ${event.eventId} would take card ${state.id} below zero (${state.balance_cents} cents)`,
    )
  }
  if (newest) state.balance_as_of = event.occurredAt
  if (
    isActivity(event.type) &&
    (state.last_activity_at === null || event.occurredAt > state.last_activity_at)
  ) {
    state.last_activity_at = event.occurredAt
  }
  if (event.type === 'activate') {
    if (state.initial_value_cents === 0) state.initial_value_cents = amount
    if (event.occurredAt < state.issued_at) {
      state.issued_at = event.occurredAt
      state.issuedMoved = true
    }
  }
  if (newest) state.status = nextStatus(state.status, event.type, state.balance_cents)
  return { amount, ledgerBalance: state.balance_cents }
}

function nextStatus(status: CardStatus, type: CardEvent['type'], balance: number): CardStatus {
  switch (type) {
    case 'deactivate':
      return 'deactivated'
    case 'block':
      return 'held'
    case 'unblock':
      return status === 'held' ? (balance > 0 ? 'active' : 'redeemed') : status
    case 'expire':
      return 'expired'
    default:
      if (status === 'held' || status === 'deactivated' || status === 'expired') return status
      return balance === 0 && type !== 'activate' && type !== 'balance_check'
        ? 'redeemed'
        : 'active'
  }
}

function applySnapshot(state: CardState, snapshot: CardSnapshot): void {
  if (snapshot.state === 'deactivated') state.status = 'deactivated'
  else if (snapshot.state === 'held') state.status = 'held'
  else if (snapshot.state === 'active' && state.status === 'held')
    state.status = state.balance_cents > 0 ? 'active' : 'redeemed'
}

async function writeSnapshotFields(trx: Transaction<DB>, snapshot: CardSnapshot): Promise<void> {
  const fields: {
    gan_last4?: string
    holder_customer_id?: string | null
    expires_at?: string | null
  } = {}
  if (snapshot.last4) fields.gan_last4 = snapshot.last4
  if (snapshot.holderCustomerId !== undefined) fields.holder_customer_id = snapshot.holderCustomerId
  if (snapshot.expiresAt !== undefined) fields.expires_at = snapshot.expiresAt
  if (Object.keys(fields).length > 0)
    await trx.updateTable('gift_cards').set(fields).where('id', '=', snapshot.cardRef).execute()
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

/** Makes the locations and customers events refer to exist, as stub rows without PII. */
async function insertStubs(
  trx: Transaction<DB>,
  adapter: EngineAdapter,
  stubs: { locations: string[]; customers: string[] },
  now: string,
  piiKey: string,
): Promise<void> {
  await insertMany(
    trx,
    adapter,
    'locations',
    ['id', 'name', 'city', 'region', 'jurisdiction', 'timezone', 'opened_at'],
    stubs.locations.map((id) => [id, id, 'unknown', 'unknown', 'unknown', 'UTC', now]),
    { key: ['id'], action: 'nothing' },
  )
  await insertMany(
    trx,
    adapter,
    'customers',
    ['id', 'pseudonym', 'created_at'],
    stubs.customers.map((id) => [id, stubPseudonym(id, piiKey), now]),
    { key: ['id'], action: 'nothing' },
  )
}

/** A card the ledger has not seen: its starting state and the facts it is created with. */
type NewCard = {
  state: CardState
  locationId: string | null
  purchaserId: string | null
}

/** New cards, from their earliest event in the batch (or the snapshot that reports them). */
function newCards(ids: string[], events: CardEvent[], cards: CardSnapshot[]): NewCard[] {
  if (ids.length === 0) return []
  const wanted = new Set(ids)
  const first = new Map<
    string,
    { source: CardEvent['source']; at: string; event?: CardEvent; snapshot?: CardSnapshot }
  >()
  for (const event of events) {
    if (!wanted.has(event.cardRef)) continue
    const known = first.get(event.cardRef)
    if (!known || event.occurredAt < known.at)
      first.set(event.cardRef, { source: event.source, at: event.occurredAt, event })
  }
  for (const snapshot of cards) {
    if (!wanted.has(snapshot.cardRef)) continue
    const known = first.get(snapshot.cardRef)
    first.set(
      snapshot.cardRef,
      known
        ? { ...known, snapshot }
        : { source: snapshot.source, at: snapshot.occurredAt, snapshot },
    )
  }
  // In id order: two transactions creating the same new cards insert them in one order (the
  // second waits for the first, then applies again), never each holding one the other needs.
  return [...first].sort(byKey).map(([id, f]) => {
    const last4 = f.snapshot?.last4 ?? id.replace(/\D/g, '').slice(-4).padStart(4, '0')
    return {
      state: {
        id,
        source: f.source,
        gan_last4: last4,
        currency: f.event?.currency ?? f.snapshot?.currency ?? 'USD',
        balance_cents: 0,
        balance_as_of: null,
        last_activity_at: null,
        status: 'active',
        initial_value_cents: 0,
        issued_at: f.at,
        issuing_location_id: f.event?.locationId ?? null,
        occasion: null,
        channel: null,
        issuedMoved: false,
        ledgerCents: 0,
      },
      locationId: f.event?.locationId ?? null,
      purchaserId: f.event?.type === 'activate' ? (f.event.customerId ?? null) : null,
    }
  })
}

/**
 * Inserts new cards with their state after the batch (before their transactions, which refer
 * to them). Returns how many were inserted: fewer means another transaction made one first.
 */
async function insertNewCards(
  trx: Transaction<DB>,
  adapter: EngineAdapter,
  created: NewCard[],
  now: string,
): Promise<number> {
  return insertMany(
    trx,
    adapter,
    'gift_cards',
    [
      'id',
      'source',
      'external_id',
      'gan_last4',
      'initial_value_cents',
      'balance_cents',
      'currency',
      'status',
      'issued_at',
      'issuing_location_id',
      'purchaser_customer_id',
      'last_activity_at',
      'balance_as_of',
      'updated_at',
    ],
    created.map(({ state: s, locationId, purchaserId }) => [
      s.id,
      s.source,
      s.id,
      s.gan_last4,
      s.initial_value_cents,
      s.balance_cents,
      s.currency,
      s.status,
      s.issued_at,
      locationId,
      purchaserId,
      s.last_activity_at,
      s.balance_as_of,
      now,
    ]),
    { key: ['id'], action: 'nothing' },
    { exact: true },
  )
}

/**
 * Writes the cards' new state back (every row exists). `issued_at` is indexed, so it is only
 * written for the few cards whose issue date an earlier activation moved: rewriting an
 * indexed column costs an index update per card even when its value is unchanged.
 */
async function writeCards(
  trx: Transaction<DB>,
  adapter: EngineAdapter,
  states: CardState[],
  now: string,
): Promise<void> {
  const columns = [
    'id',
    'source',
    'gan_last4',
    'currency',
    'initial_value_cents',
    'balance_cents',
    'status',
    'issued_at',
    'last_activity_at',
    'balance_as_of',
    'updated_at',
  ]
  const set = [
    'initial_value_cents',
    'balance_cents',
    'status',
    'last_activity_at',
    'balance_as_of',
    'updated_at',
  ]
  const row = (s: CardState) => [
    s.id,
    s.source,
    s.gan_last4,
    s.currency,
    s.initial_value_cents,
    s.balance_cents,
    s.status,
    s.issued_at,
    s.last_activity_at,
    s.balance_as_of,
    now,
  ]
  for (const moved of [false, true]) {
    await insertMany(
      trx,
      adapter,
      'gift_cards',
      columns,
      states.filter((s) => (s.issuedMoved ?? false) === moved).map(row),
      { key: ['id'], action: 'update', set: moved ? [...set, 'issued_at'] : set },
    )
  }
  for (const s of states) s.issuedMoved = false
}

/**
 * Reads the cards' state, locking their rows where the engine has row locks (PostgreSQL), so
 * concurrent deliveries for one card apply one after the other. On SQLite the write
 * transaction already excludes every other writer.
 */
async function lockCards(
  trx: Transaction<DB>,
  adapter: EngineAdapter,
  ids: string[],
): Promise<Map<string, CardState>> {
  const states = new Map<string, CardState>()
  const rows = await selectIn<Omit<CardState, 'issuedMoved' | 'ledgerCents'>>(
    trx,
    adapter,
    {
      select:
        'select id, source, gan_last4, currency, balance_cents, balance_as_of, last_activity_at, status, initial_value_cents, issued_at, issuing_location_id, occasion, channel from gift_cards',
      column: 'id',
      extra: adapter.supportsRowLocks ? 'order by id for update' : 'order by id',
    },
    [...ids].sort(),
  )
  // Every state gets all its fields at once (one object shape for the hot loop).
  for (const row of rows)
    states.set(row.id, { ...row, issuedMoved: false, ledgerCents: row.balance_cents })
  return states
}

async function existingEventIds(
  trx: Transaction<DB>,
  adapter: EngineAdapter,
  events: CardEvent[],
): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>()
  const bySource = new Map<string, string[]>()
  for (const e of events) {
    const ids = bySource.get(e.source)
    if (ids) ids.push(e.eventId)
    else bySource.set(e.source, [e.eventId])
  }
  for (const [source, ids] of bySource) {
    const rows = await selectIn<{ event_id: string }>(
      trx,
      adapter,
      {
        select: 'select event_id from gift_card_transactions',
        column: 'source = $L1 and event_id',
        leading: [source],
      },
      ids,
    )
    found.set(source, new Set(rows.map((row) => row.event_id)))
  }
  return found
}

/**
 * Every event reaching the ledger was built by a normaliser from input already validated with
 * zod at its boundary (webhook body, CSV row, JSON line); here only the invariants the ledger
 * relies on are checked, and the time is brought to the storage form.
 */
function validateEvent(event: CardEvent, limits: EventLimits): CardEvent {
  const at = Date.parse(event.occurredAt)
  const problem = !event.eventId
    ? 'eventId is empty'
    : !event.cardRef
      ? 'cardRef is empty'
      : !Number.isSafeInteger(event.amountCents)
        ? 'amountCents is not a whole number of cents'
        : event.balanceAfterCents !== undefined &&
            !(Number.isSafeInteger(event.balanceAfterCents) && event.balanceAfterCents >= 0)
          ? 'balanceAfterCents must be a whole, non-negative number of cents'
          : Number.isNaN(at)
            ? 'occurredAt is not a timestamp'
            : eventFieldProblem(event, limits)
  if (problem)
    throw new GiftCardError('INVALID_INPUT', `event ${shortId(event.eventId)}: ${problem}`)
  return isStorageForm(event.occurredAt) ? event : { ...event, occurredAt: toIso(at) }
}

/** `{ maxEventCents }` when it is set (exactOptionalPropertyTypes: no `undefined` values). */
function pick(maxEventCents: number | undefined): { maxEventCents?: number } {
  return maxEventCents === undefined ? {} : { maxEventCents }
}

/** An id as an error message quotes it: never more than its first 40 characters. */
function shortId(id: string | undefined): string {
  if (!id) return '?'
  return id.length > 40 ? `${id.slice(0, 40)}…` : id
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

const STORAGE_FORM = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/**
 * Whether a parsed timestamp is already in the form `toIso` writes (UTC, milliseconds), so
 * it can be kept as it is. Days past the 28th are rewritten anyway: `Date.parse` rolls
 * 2024-02-30 over to March 1st, and the stored form must say so.
 */
function isStorageForm(at: string): boolean {
  if (!STORAGE_FORM.test(at)) return false
  const tens = at.charCodeAt(8) - 48
  return tens < 2 || (tens === 2 && at.charCodeAt(9) <= 56) // day ≤ 28
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
