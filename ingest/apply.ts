import { createHash } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import {
  type CardEvent,
  type CardStatus,
  cardEventSchema,
  GiftCardError,
  isActivity,
  toIso,
} from '../core/index.ts'
import type { DB } from '../db/index.ts'
import type { AppliedEvent } from './hooks.ts'

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
  applied: AppliedEvent[]
  /** Events already in the ledger (same source and event id): nothing was changed. */
  duplicates: number
}

type CardState = {
  id: string
  balance_cents: number
  balance_as_of: string | null
  last_activity_at: string | null
  status: CardStatus
  initial_value_cents: number
  issued_at: string
}

/**
 * Applies a batch of normalised events in one database transaction:
 * unknown locations, customers and cards become stub rows; each event is inserted once
 * (idempotent on source + event id); each touched card is locked, its events are replayed in
 * time order, and its balance, status and last activity are written once.
 *
 * Ordering rule: where the POS reports a balance after the event, the newest event's balance
 * wins and a late event leaves the balance alone; where it does not, amounts add up in any
 * order. A late event never moves `last_activity_at` back.
 */
export async function applyBatch(
  db: Kysely<DB>,
  batch: Normalized,
  /** Runs last inside the same transaction (the inbox marks its row processed here). */
  within?: (trx: Transaction<DB>) => Promise<void>,
): Promise<BatchResult> {
  const events = batch.events.map((event) => validateEvent(event))
  return db.transaction().execute(async (trx) => {
    const now = toIso(Date.now())
    await insertStubs(trx, events, batch.cards, now)
    const states = await lockCards(trx, [
      ...new Set([...events.map((e) => e.cardRef), ...batch.cards.map((c) => c.cardRef)]),
    ])

    // Duplicates: already in the ledger, or twice in this batch.
    const seen = await existingEventIds(trx, events)
    const fresh: CardEvent[] = []
    for (const event of events) {
      const key = `${event.source}\u0000${event.eventId}`
      if (seen.has(key)) continue
      seen.add(key)
      fresh.push(event)
    }

    const byCard = new Map<string, CardEvent[]>()
    for (const event of fresh) {
      const list = byCard.get(event.cardRef) ?? []
      list.push(event)
      byCard.set(event.cardRef, list)
    }

    const applied: AppliedEvent[] = []
    const rows = []
    for (const [cardId, cardEvents] of byCard) {
      const state = states.get(cardId)
      if (!state) throw new GiftCardError('INTERNAL', `card ${cardId} vanished during apply`)
      cardEvents.sort((a, b) =>
        a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0,
      )
      for (const event of cardEvents) {
        const { amount, ledgerBalance } = replay(state, event)
        rows.push({
          source: event.source,
          event_id: event.eventId,
          card_id: cardId,
          type: event.type,
          amount_cents: amount,
          balance_after_cents: event.balanceAfterCents ?? ledgerBalance,
          currency: event.currency,
          occurred_at: event.occurredAt,
          location_id: event.locationId ?? null,
          terminal_id: event.terminalId ?? null,
          order_id: event.orderId ?? null,
          customer_id: event.customerId ?? null,
          employee_id: event.employeeId ?? null,
        })
        applied.push({ ...event, cardId, amountCents: amount, balanceAfterCents: ledgerBalance })
      }
    }

    for (const chunk of chunks(rows, 500)) {
      await trx
        .insertInto('gift_card_transactions')
        .values(chunk)
        .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
        .execute()
    }
    const items = applied.flatMap((e) =>
      e.orderId && e.items
        ? e.items.map((i) => ({
            order_id: e.orderId as string,
            sku: i.sku,
            category: i.category,
            amount_cents: i.amountCents,
          }))
        : [],
    )
    for (const chunk of chunks(items, 1000))
      await trx.insertInto('order_items').values(chunk).execute()

    for (const snapshot of batch.cards) {
      const state = states.get(snapshot.cardRef)
      if (state) applySnapshot(state, snapshot)
    }
    for (const state of states.values()) {
      await trx
        .updateTable('gift_cards')
        .set({
          balance_cents: state.balance_cents,
          balance_as_of: state.balance_as_of,
          last_activity_at: state.last_activity_at,
          status: state.status,
          initial_value_cents: state.initial_value_cents,
          issued_at: state.issued_at,
          updated_at: now,
        })
        .where('id', '=', state.id)
        .execute()
    }
    for (const snapshot of batch.cards) await writeSnapshotFields(trx, snapshot)
    await within?.(trx)
    return { applied, duplicates: events.length - fresh.length }
  })
}

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
    if (event.occurredAt < state.issued_at) state.issued_at = event.occurredAt
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

/** Makes the rows an event refers to exist: locations and customers as stubs, cards as new cards. */
async function insertStubs(
  trx: Transaction<DB>,
  events: CardEvent[],
  cards: CardSnapshot[],
  now: string,
): Promise<void> {
  const locations = new Set(events.flatMap((e) => (e.locationId ? [e.locationId] : [])))
  if (events.length === 0 && cards.length === 0) return
  if (locations.size > 0) {
    await trx
      .insertInto('locations')
      .values(
        [...locations].map((id) => ({
          id,
          name: id,
          city: 'unknown',
          region: 'unknown',
          jurisdiction: 'unknown',
          timezone: 'UTC',
          latitude: null,
          longitude: null,
          opened_at: now,
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()
  }
  const customers = new Set([
    ...events.flatMap((e) => (e.customerId ? [e.customerId] : [])),
    ...cards.flatMap((c) => (c.holderCustomerId ? [c.holderCustomerId] : [])),
  ])
  if (customers.size > 0) {
    await trx
      .insertInto('customers')
      .values(
        [...customers].map((id) => ({
          id,
          pseudonym: stubPseudonym(id),
          name: null,
          email: null,
          phone: null,
          address_state: null,
          home_location_id: null,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()
  }
  const firstByCard = new Map<
    string,
    { source: CardEvent['source']; at: string; event?: CardEvent; snapshot?: CardSnapshot }
  >()
  for (const event of events) {
    const known = firstByCard.get(event.cardRef)
    if (!known || event.occurredAt < known.at)
      firstByCard.set(event.cardRef, {
        source: event.source,
        at: event.occurredAt,
        event,
        ...(known?.snapshot ? { snapshot: known.snapshot } : {}),
      })
  }
  for (const snapshot of cards) {
    const known = firstByCard.get(snapshot.cardRef)
    firstByCard.set(
      snapshot.cardRef,
      known
        ? { ...known, snapshot }
        : { source: snapshot.source, at: snapshot.occurredAt, snapshot },
    )
  }
  const rows = [...firstByCard].map(([id, first]) => ({
    id,
    source: first.source,
    external_id: id,
    gan_last4: first.snapshot?.last4 ?? id.replace(/\D/g, '').slice(-4).padStart(4, '0'),
    initial_value_cents: 0,
    balance_cents: 0,
    currency: first.event?.currency ?? first.snapshot?.currency ?? 'USD',
    status: 'active' as const,
    issued_at: first.at,
    expires_at: null,
    issuing_location_id: first.event?.locationId ?? null,
    purchaser_customer_id:
      first.event?.type === 'activate' ? (first.event.customerId ?? null) : null,
    holder_customer_id: null,
    channel: null,
    occasion: null,
    last_activity_at: null,
    balance_as_of: null,
    updated_at: now,
  }))
  for (const chunk of chunks(rows, 500)) {
    await trx
      .insertInto('gift_cards')
      .values(chunk)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()
  }
}

/**
 * Locks the cards for this transaction and reads their state. A no-op update takes the row
 * lock on PostgreSQL (so concurrent deliveries for one card apply one after the other) and is
 * harmless on SQLite, where the write transaction already excludes other writers.
 */
async function lockCards(trx: Transaction<DB>, ids: string[]): Promise<Map<string, CardState>> {
  const states = new Map<string, CardState>()
  ids.sort()
  for (const chunk of chunks(ids, 500)) {
    const rows = await trx
      .updateTable('gift_cards')
      .set((eb) => ({ updated_at: eb.ref('updated_at') }))
      .where('id', 'in', chunk)
      .returning([
        'id',
        'balance_cents',
        'balance_as_of',
        'last_activity_at',
        'status',
        'initial_value_cents',
        'issued_at',
      ])
      .execute()
    for (const row of rows) states.set(row.id, row)
  }
  return states
}

async function existingEventIds(trx: Transaction<DB>, events: CardEvent[]): Promise<Set<string>> {
  const found = new Set<string>()
  const bySource = new Map<string, string[]>()
  for (const e of events) bySource.set(e.source, [...(bySource.get(e.source) ?? []), e.eventId])
  for (const [source, ids] of bySource) {
    for (const chunk of chunks(ids, 500)) {
      const rows = await trx
        .selectFrom('gift_card_transactions')
        .select('event_id')
        .where('source', '=', source as CardEvent['source'])
        .where('event_id', 'in', chunk)
        .execute()
      for (const row of rows) found.add(`${source}\u0000${row.event_id}`)
    }
  }
  return found
}

function validateEvent(event: CardEvent): CardEvent {
  const parsed = cardEventSchema.safeParse(event)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new GiftCardError(
      'INVALID_INPUT',
      `event ${event.eventId ?? '?'}: ${issue?.path.join('.') || 'event'}: ${issue?.message}`,
    )
  }
  return { ...parsed.data, occurredAt: toIso(Date.parse(parsed.data.occurredAt)) }
}

/** A stable pseudonym for a customer known only by a POS id (no PII is ever stored for it). */
export function stubPseudonym(customerId: string): string {
  return `cust_${createHash('sha256').update(customerId).digest('hex').slice(0, 16)}`
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
