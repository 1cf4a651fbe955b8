import {
  type CardEvent,
  type CardStatus,
  type EventLimits,
  eventFieldProblem,
  GiftCardError,
  isActivity,
  toIso,
} from '../core/index.ts'
import {
  DailyRollup,
  holderChanges,
  type LedgerMove,
  rollupCard,
  type StoredCard,
} from '../db/index.ts'
import type { AppliedEvent } from './hooks.ts'
import type { VoidBatch } from './voids.ts'

/**
 * The ledger's rules, as pure functions (docs/ingest.md, "The write path"): given the cards'
 * states and a batch of normalised events, the cards' new states, the ledger rows, the daily
 * rollup's deltas, the voids' rows and the redemptions of held cards. No database and no clock:
 * what they need from the ledger (card states, events it holds, voids' originals, a late
 * card's history) is read by a writer (db/ledger-writer.ts) and passed in; the time is passed
 * in. An event the rules refuse (below zero, a void that cannot apply) throws a CONFLICT
 * naming it: the batch does not apply, as before the split.
 */

/** What a POS reports about a card outside any money movement (state, number, owner). */
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

/** A card as the rules work on it: its stored row and two facts of the batch. */
export type CardState = StoredCard & {
  /** Set when an event moved `issued_at` earlier since the card was read. */
  issuedMoved: boolean
  /**
   * The sum of the card's ledger amounts (its balance as of now by the ledger, what the daily
   * rollup counts cards holding a balance by): read as `balance_cents`, exact once a late
   * event made the applier read the card's ledger.
   */
  ledgerCents: number
}

/** A card state from its stored row. */
export function cardState(row: StoredCard): CardState {
  // Every state gets all its fields at once (one object shape for the hot loop).
  return { ...row, issuedMoved: false, ledgerCents: row.balance_cents }
}

/** A card the ledger has not seen: its starting state and the facts it is created with. */
export type NewCard = {
  state: CardState
  locationId: string | null
  purchaserId: string | null
}

/**
 * Every event reaching the ledger was built by a normaliser from input already validated with
 * zod at its boundary (webhook body, CSV row, JSON line); here only the invariants the ledger
 * relies on are checked (dated at most a day after `limits.now`), and the time is brought to
 * the storage form.
 */
export function validateEvent(event: CardEvent, limits: EventLimits): CardEvent {
  // A time already in the storage form is a valid one: parsed only when it is not.
  const stored = isStorageForm(event.occurredAt)
  const at = stored ? 0 : Date.parse(event.occurredAt)
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
  return stored ? event : { ...event, occurredAt: toIso(at) }
}

/** An id as an error message quotes it: never more than its first 40 characters. */
export function shortId(id: string | undefined): string {
  if (!id) return '?'
  return id.length > 40 ? `${id.slice(0, 40)}…` : id
}

const STORAGE_FORM =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/

/**
 * Whether a timestamp is already in the form `toIso` writes (UTC, milliseconds) and names a
 * real instant, so it can be kept as it is without being parsed: month 01–12, hours 00–23,
 * minutes and seconds 00–59. Days past the 28th are rewritten anyway: `Date.parse` rolls
 * 2024-02-30 over to March 1st, and the stored form must say so (and `T24:00` is the next day).
 */
function isStorageForm(at: string): boolean {
  return typeof at === 'string' && STORAGE_FORM.test(at)
}

/** The cards a batch touches: those of its events and of its snapshots. */
export function cardIdsOf(events: readonly CardEvent[], cards: readonly CardSnapshot[]): string[] {
  const ids = new Set<string>()
  for (const e of events) ids.add(e.cardRef)
  for (const c of cards) ids.add(c.cardRef)
  return [...ids]
}

/** New cards, from their earliest event in the batch (or the snapshot that reports them). */
export function newCards(
  ids: readonly string[],
  events: readonly CardEvent[],
  cards: readonly CardSnapshot[],
): NewCard[] {
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
 * The batch's events less duplicates: an event twice in the batch, or one `seen` holds
 * (source → event ids already in the ledger), is left out. `seen` is filled with the batch's.
 */
export function withoutDuplicates(
  events: readonly CardEvent[],
  seen: Map<string, Set<string>>,
): { unique: CardEvent[]; duplicates: number } {
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
  return { unique, duplicates: events.length - unique.length }
}

/** A card that met an event dated before a day already rolled up for it, and the batch's moves. */
export type LateCard = { state: CardState; moves: { day: string; amount: number }[] }

/** What a batch does to the ledger (`applyEvents`), for a writer to store. */
export type LedgerChanges = {
  /** Ledger rows, in `LEDGER_COLUMNS` order. */
  rows: unknown[][]
  /** The events applied, as listeners hear of them (empty unless asked for). */
  applied: AppliedEvent[]
  appliedCount: number
  /** Redemptions recorded while their card was held (`heldCardAlerts`). */
  heldRedemptions: { cardId: string; event: CardEvent }[]
  /** The daily rollup's deltas; a late card's holders are corrected by `correctLateHolders`. */
  rollup: DailyRollup
  late: LateCard[]
  /** `order_items` rows: order id, sku, category, amount. */
  items: unknown[][]
}

/**
 * Applies the batch's events (new to the ledger, voids after their originals: `VoidBatch`) to
 * the cards' states, which it changes in place, and the batch's snapshots after them. Each
 * card's events are replayed in time order. `onLate` hears of each card meeting a late event
 * before it is replayed (and may throw to refuse the batch).
 */
export function applyEvents(input: {
  states: Map<string, CardState>
  events: readonly CardEvent[]
  snapshots: readonly CardSnapshot[]
  voids: VoidBatch | undefined
  timezone: string
  keepApplied: boolean
  onLate?: (cardId: string) => void
}): LedgerChanges {
  const { states, voids } = input
  const byCard = new Map<string, CardEvent[]>()
  for (const event of input.events) {
    const list = byCard.get(event.cardRef)
    if (list) list.push(event)
    else byCard.set(event.cardRef, [event])
  }
  const applied: AppliedEvent[] = []
  let appliedCount = 0
  const rows: unknown[][] = []
  const heldRedemptions: { cardId: string; event: CardEvent }[] = []
  const rollup = new DailyRollup(input.timezone)
  // Cards with an event dated before a day already rolled up for them: who holds a balance
  // on the days between is worked out again from their ledger.
  const late: LateCard[] = []
  for (const [cardId, cardEvents] of byCard) {
    const state = states.get(cardId)
    if (!state && cardEvents.every(isDeclined)) {
      // A declined check on a number that matches no card: kept, on no card (`noCardIds`).
      for (const event of cardEvents) rows.push(ledgerRow(event, null, 0, null))
      appliedCount += cardEvents.length
      continue
    }
    if (!state) throw new GiftCardError('INTERNAL', `card ${cardId} vanished during apply`)
    if (!inTimeOrder(cardEvents)) cardEvents.sort(byOccurredAt)
    const first = (cardEvents[0] as CardEvent).occurredAt
    const newest = state.balance_as_of
    const moves =
      newest !== null && first < newest && rollup.dayOf(first) < rollup.dayOf(newest)
        ? { state, moves: [] as { day: string; amount: number }[] }
        : undefined
    if (moves) {
      input.onLate?.(cardId)
      late.push(moves)
    }
    const card = rollupCard({
      issuingLocationId: state.issuing_location_id,
      occasion: state.occasion,
      channel: state.channel,
    })
    for (const next of cardEvents) {
      if (isDeclined(next)) {
        // Declined at the POS: recorded (fraud reads it), but nothing moves and no total counts it.
        const balance = state.balance_cents
        rows.push(ledgerRow(next, cardId, 0, next.balanceAfterCents ?? balance))
        appliedCount++
        if (input.keepApplied)
          applied.push({ ...next, cardId, amountCents: 0, balanceAfterCents: balance })
        continue
      }
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
      rows.push(ledgerRow(event, cardId, amount, event.balanceAfterCents ?? ledgerBalance))
      appliedCount++
      if (input.keepApplied)
        applied.push({ ...event, cardId, amountCents: amount, balanceAfterCents: ledgerBalance })
    }
  }
  for (const snapshot of input.snapshots) {
    const state = states.get(snapshot.cardRef)
    if (state) applySnapshot(state, snapshot)
  }
  const items: unknown[][] = []
  for (const e of input.events) {
    if (!e.orderId || !e.items) continue
    for (const i of e.items) items.push([e.orderId, i.sku, i.category, i.amountCents])
  }
  return { rows, applied, appliedCount, heldRedemptions, rollup, late, items }
}

/** Whether the POS declined the event (a balance check or payment that was refused). */
const isDeclined = (event: CardEvent) => event.result === 'declined'

/**
 * The ids of the batch that name no card the ledger knows and only ever meet declined events:
 * a declined check on a number that matches no card (a guess) is stored on no card
 * (`card_id` null), not as a new card (docs/ingest.md §CSV).
 */
export function noCardIds(
  unknown: readonly string[],
  events: readonly CardEvent[],
  cards: readonly CardSnapshot[],
): Set<string> {
  if (unknown.length === 0) return new Set()
  const candidates = new Set(unknown)
  for (const c of cards) candidates.delete(c.cardRef)
  for (const e of events) if (!isDeclined(e)) candidates.delete(e.cardRef)
  return candidates
}

/** One ledger row, in `LEDGER_COLUMNS` order. */
function ledgerRow(
  event: CardEvent,
  cardId: string | null,
  amount: number,
  balanceAfter: number | null,
): unknown[] {
  return [
    event.source,
    event.eventId,
    cardId,
    event.type,
    event.result ?? 'ok',
    amount,
    balanceAfter,
    event.currency,
    event.occurredAt,
    event.locationId ?? null,
    event.terminalId ?? null,
    event.orderId ?? null,
    event.customerId ?? null,
    event.employeeId ?? null,
  ]
}

/**
 * Cards holding a balance at the end of each day, worked out again for cards that met a late
 * event: from the card's ledger before the batch (`history`, read before the batch's rows are
 * stored), and with the batch's moves added. The rollup gets the difference; the card's ledger
 * sum is exact from here on.
 */
export function correctLateHolders(
  rollup: DailyRollup,
  late: readonly LateCard[],
  history: readonly LedgerMove[],
): void {
  const before = new Map<string, { day: string; amount: number }[]>()
  for (const r of history) {
    const list = before.get(r.card_id) ?? []
    list.push({ day: rollup.dayOf(r.occurred_at), amount: Number(r.amount_cents) })
    before.set(r.card_id, list)
  }
  for (const { state, moves } of late) {
    const was = before.get(state.id) ?? []
    const after = [...was, ...moves]
    const wasHolding = holderChanges(was)
    const isHolding = holderChanges(after)
    const card = rollupCard({
      issuingLocationId: state.issuing_location_id,
      occasion: state.occasion,
      channel: state.channel,
    })
    for (const day of new Set([...wasHolding.keys(), ...isHolding.keys()]))
      rollup.holders(card, day, (isHolding.get(day) ?? 0) - (wasHolding.get(day) ?? 0))
    state.ledgerCents = after.reduce((sum, m) => sum + m.amount, 0)
  }
}

/**
 * Applies one event to a card's state; returns the stored amount and the ledger balance.
 *
 * Ordering rule: where the POS reports a balance after the event, the newest event's balance
 * wins and a late event leaves the balance alone; where it does not, amounts add up in any
 * order. A late event never moves `last_activity_at` back. A card never goes below zero.
 */
export function replay(
  state: CardState,
  event: CardEvent,
): { amount: number; ledgerBalance: number } {
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

/** A card's status after an event of `type` left it holding `balance`. */
export function nextStatus(
  status: CardStatus,
  type: CardEvent['type'],
  balance: number,
): CardStatus {
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

/** What a POS's report of a card's state does to its status. */
export function applySnapshot(state: CardState, snapshot: CardSnapshot): void {
  if (snapshot.state === 'deactivated') state.status = 'deactivated'
  else if (snapshot.state === 'held') state.status = 'held'
  else if (snapshot.state === 'active' && state.status === 'held')
    state.status = state.balance_cents > 0 ? 'active' : 'redeemed'
}

/** The card fields a snapshot sets outright (undefined when it sets none). */
export function snapshotFields(
  snapshot: CardSnapshot,
):
  | { gan_last4?: string; holder_customer_id?: string | null; expires_at?: string | null }
  | undefined {
  const fields: {
    gan_last4?: string
    holder_customer_id?: string | null
    expires_at?: string | null
  } = {}
  if (snapshot.last4) fields.gan_last4 = snapshot.last4
  if (snapshot.holderCustomerId !== undefined) fields.holder_customer_id = snapshot.holderCustomerId
  if (snapshot.expiresAt !== undefined) fields.expires_at = snapshot.expiresAt
  return Object.keys(fields).length > 0 ? fields : undefined
}

/** The rule of the alert raised when a held card is redeemed. */
export const HELD_CARD_RULE = 'held_card_redemption'

/**
 * A redemption on a card under hold is loss prevention's first concern: it raises an alert in
 * the same transaction that records it (one per card, like every rule; the first redemption
 * is its evidence), whatever listens after. `fraud_alerts` rows: card, rule, score, status,
 * evidence, detected and updated at `now`.
 */
export function heldCardAlerts(
  redemptions: readonly { cardId: string; event: CardEvent }[],
  now: string,
): unknown[][] {
  const first = new Map<string, CardEvent>()
  for (const { cardId, event } of redemptions) if (!first.has(cardId)) first.set(cardId, event)
  return [...first].map(([cardId, event]) => [
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
  ])
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
