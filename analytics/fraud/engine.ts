import { distanceKm, type FraudPattern, type TransactionType } from '../../core/index.ts'
import { FloatColumn, hash32, IntColumn, Interner, NumberSet } from '../columns.ts'
import { AnomalyScorer } from './anomaly.ts'

/** One ledger event as the detectors see it (a transaction row, or an event just applied). */
export type ScoredEvent = {
  eventId: string
  cardId: string | null
  type: TransactionType
  result: 'ok' | 'declined'
  /** Signed effect on the balance, in cents. */
  amountCents: number
  /** The card's balance after the event, where known. */
  balanceAfterCents: number | null
  /** Milliseconds since the epoch. */
  at: number
  locationId: string | null
  terminalId: string | null
  orderId: string | null
  customerId: string | null
  employeeId: string | null
}

/** What the detectors may look up beyond the events themselves. */
export interface FraudContext {
  /** Coordinates of a store, if known (stub locations have none). */
  location(id: string): { latitude: number; longitude: number } | undefined
  /** When a customer was first known (created), in ms. */
  customerSince(id: string): number | undefined
}

/** A reason to look at a card: the rule, a 0–1 score and the events that triggered it. */
export type FraudAlert = {
  cardId: string
  rule: FraudPattern
  score: number
  detectedAt: number
  evidence: { eventIds: string[]; reason: string; figures: Record<string, number | string> }
}

/** The thresholds of each rule; the defaults are tuned on the synthetic chain's look-alikes. */
export const FRAUD_THRESHOLDS = {
  /** A spend this soon after activation, of this share of the balance, elsewhere: a drain. */
  drainWindowMs: 60 * 60_000,
  drainShare: 0.95,
  /** Balance checks from one terminal in this window, this many, this share declined. */
  enumerationWindowMs: 15 * 60_000,
  enumerationMinChecks: 15,
  enumerationDeclinedShare: 0.6,
  /** Cards activated in one order by a customer this new. */
  bulkMinCards: 6,
  bulkNewCustomerMs: 2 * 86_400_000,
  /** In-store uses this far apart at this implied speed. */
  travelMinKm: 300,
  travelMaxKmh: 800,
  /** A reload followed this soon by a spend of this share of the balance, this many times. */
  reloadWindowMs: 30 * 60_000,
  reloadDrainShare: 0.9,
  reloadMinCycles: 2,
} as const

/**
 * Per-card state as numbered rows of columns (see columns.ts): when the card was first
 * activated and where, its last load and last in-store use (times, places, event ids), its
 * reload-and-drain cycles, and the orders it paid for (a refund should name one of them).
 * Places are numbered, 0 standing for none.
 */
class CardTable {
  readonly numbers = new Interner()
  readonly activatedAt = new FloatColumn(Number.NaN)
  readonly activationPlace = new IntColumn()
  readonly activationEvent: (string | undefined)[] = []
  readonly lastLoadAt = new FloatColumn(Number.NaN)
  readonly lastLoadPlace = new IntColumn()
  readonly lastLoadEvent: (string | undefined)[] = []
  readonly lastInStoreAt = new FloatColumn(Number.NaN)
  readonly lastInStorePlace = new IntColumn()
  readonly lastInStoreEvent: (string | undefined)[] = []
  /** Reload and drain cycles, as event id pairs (few cards have any). */
  readonly drainCycles = new Map<number, string[]>()
  /** (card number, hash of the order id) pairs: the orders each card paid for. */
  private readonly paid = new NumberSet()

  addPaidOrder(card: number, orderId: string): void {
    this.paid.add(card * 4_294_967_296 + hash32(orderId))
  }

  /**
   * Whether the card paid for the order. Orders are kept as 32-bit hashes: two orders of one
   * card would have to collide (about one chance in four billion per refund) to hide one.
   */
  paidFor(card: number, orderId: string): boolean {
    return this.paid.has(card * 4_294_967_296 + hash32(orderId))
  }
}

type Check = { at: number; ok: boolean; cardId: string | null; eventId: string }

/**
 * The fraud detectors of docs/domain.md §3 as one state machine over events in time order. Each event
 * costs O(1) amortised (per-card, per-terminal and per-order state); the batch scan and the
 * streaming ingest hook feed the same engine, so both raise the same alerts, one per card and
 * rule.
 */
/** How long an order stays open to the bulk-purchase detector. */
const ORDER_WINDOW_MS = 86_400_000

export class FraudEngine {
  private readonly cards = new CardTable()
  /** Places numbered from 1 (0: none), and their ids by number. */
  private readonly places = new Interner()
  private readonly placeIds: string[] = ['']
  private readonly terminals = new Map<string, Check[]>()
  private readonly orders = new Map<
    string,
    {
      at: number
      customerId: string | null
      events: { cardId: string; eventId: string; amount: number }[]
      flagged: boolean
    }
  >()
  private readonly raised = new Set<string>()
  private readonly anomaly = new AnomalyScorer()

  constructor(
    private readonly context: FraudContext,
    private readonly thresholds: typeof FRAUD_THRESHOLDS = FRAUD_THRESHOLDS,
  ) {}

  /** Scores one event; returns the alerts it raises (never the same card and rule twice). */
  observe(event: ScoredEvent): FraudAlert[] {
    const alerts: FraudAlert[] = []
    const card = event.cardId === null ? -1 : this.cards.numbers.number(event.cardId)
    const anomaly =
      event.amountCents !== 0 && event.result === 'ok'
        ? this.anomaly.observeParties(
            event.amountCents,
            card >= 0 ? { number: card, id: event.cardId as string } : null,
            event.customerId,
            event.terminalId,
            event.locationId,
          )
        : undefined
    if (event.type === 'balance_check') this.enumeration(event, alerts)
    if (card >= 0 && event.result === 'ok') {
      switch (event.type) {
        case 'activate':
          this.activation(card, event, alerts)
          break
        case 'load':
          this.cards.lastLoadAt.set(card, event.at)
          this.cards.lastLoadPlace.set(card, this.place(event.locationId))
          this.cards.lastLoadEvent[card] = event.eventId
          break
        case 'redeem':
          this.redemption(card, event, alerts)
          break
        case 'refund':
          this.refund(card, event, alerts)
          break
        default:
          break
      }
    }
    // Every alert says how unusual the event that raised it was for those involved.
    if (anomaly && anomaly.score > 0) {
      for (const alert of alerts) {
        alert.evidence.figures.anomalyScore = anomaly.score
        alert.evidence.figures.anomalyZ = anomaly.z
        if (anomaly.entity) alert.evidence.figures.anomalyAgainst = anomaly.entity
      }
    }
    this.lastAnomaly = anomaly
    return alerts
  }

  /** The anomaly score of the last event observed (for the streaming hook and the tools). */
  lastAnomaly: ReturnType<AnomalyScorer['observe']> | undefined

  /** The number of a place (0 for none). */
  private place(id: string | null): number {
    if (id === null) return 0
    const n = this.places.number(id) + 1
    if (n === this.placeIds.length) this.placeIds.push(id)
    return n
  }

  private raise(alerts: FraudAlert[], alert: FraudAlert): void {
    const key = `${alert.cardId}\u0000${alert.rule}`
    if (this.raised.has(key)) return
    this.raised.add(key)
    alerts.push(alert)
  }

  private activation(card: number, event: ScoredEvent, alerts: FraudAlert[]): void {
    const cardId = event.cardId as string
    const cards = this.cards
    if (Number.isNaN(cards.activatedAt.get(card))) cards.activatedAt.set(card, event.at)
    cards.activationEvent[card] ??= event.eventId
    if (cards.activationPlace.get(card) === 0)
      cards.activationPlace.set(card, this.place(event.locationId))
    // A card activated at a till with no paying order: value from nowhere.
    if (event.orderId === null && event.locationId !== null && event.employeeId !== null) {
      this.raise(alerts, {
        cardId,
        rule: 'refund_abuse',
        score: 0.8,
        detectedAt: event.at,
        evidence: {
          eventIds: [event.eventId],
          reason: 'activated at a till without a paying order',
          figures: { amountCents: event.amountCents, employee: event.employeeId },
        },
      })
    }
    if (event.orderId !== null) this.bulk(event, alerts)
  }

  private bulk(event: ScoredEvent, alerts: FraudAlert[]): void {
    const t = this.thresholds
    const orderId = event.orderId as string
    let order = this.orders.get(orderId)
    if (!order) {
      order = { at: event.at, customerId: event.customerId, events: [], flagged: false }
      this.orders.set(orderId, order)
      this.pruneOrders(event.at)
    }
    order.events.push({
      cardId: event.cardId as string,
      eventId: event.eventId,
      amount: event.amountCents,
    })
    if (order.events.length < t.bulkMinCards || order.customerId === null) return
    const since = this.context.customerSince(order.customerId)
    const newCustomer = since !== undefined && order.at - since <= t.bulkNewCustomerMs
    if (!newCustomer) return
    const total = order.events.reduce((sum, e) => sum + e.amount, 0)
    for (const e of order.events) {
      this.raise(alerts, {
        cardId: e.cardId,
        rule: 'bulk_purchase',
        score: Math.min(0.99, 0.6 + order.events.length / 40),
        detectedAt: event.at,
        evidence: {
          eventIds: order.events.map((x) => x.eventId).slice(0, 50),
          reason: `one of ${order.events.length} cards bought in one order by a customer first seen ${Math.round((order.at - (since as number)) / 60_000)} minutes before`,
          figures: { cards: order.events.length, totalCents: total, orderId },
        },
      })
    }
  }

  /**
   * Forgets orders opened more than a day before `now`. Orders are kept in the order they were
   * opened (a Map iterates in insertion order) and events come in time order, so the oldest are
   * at the front: pruning stops at the first order inside the window, O(1) amortised per event.
   * (It used to scan every order on each new one once 50,000 were open, and keep them all when
   * none was a day old: a busy day's stream grew without bound and slowed to a crawl.)
   */
  private pruneOrders(now: number): void {
    for (const [id, order] of this.orders) {
      if (now - order.at <= ORDER_WINDOW_MS) return
      this.orders.delete(id)
    }
  }

  /** How much state the engine holds (for soak diagnostics and the tests that bound it). */
  stateSize(): { cards: number; openOrders: number; terminals: number; raised: number } {
    return {
      cards: this.cards.numbers.size,
      openOrders: this.orders.size,
      terminals: this.terminals.size,
      raised: this.raised.size,
    }
  }

  private redemption(card: number, event: ScoredEvent, alerts: FraudAlert[]): void {
    const t = this.thresholds
    const cards = this.cards
    const cardId = event.cardId as string
    const spent = -event.amountCents
    const before = event.balanceAfterCents === null ? undefined : event.balanceAfterCents + spent
    const share = before && before > 0 ? spent / before : 0
    const place = this.place(event.locationId)
    if (event.orderId) cards.addPaidOrder(card, event.orderId)

    // Drain after activation: most of the value gone within the hour, somewhere else.
    const activatedAt = cards.activatedAt.get(card)
    if (
      !Number.isNaN(activatedAt) &&
      event.at - activatedAt <= t.drainWindowMs &&
      share >= t.drainShare &&
      place !== cards.activationPlace.get(card)
    ) {
      this.raise(alerts, {
        cardId,
        rule: 'drain_after_activation',
        score: Math.min(0.99, 0.7 + 0.3 * (1 - (event.at - activatedAt) / t.drainWindowMs)),
        detectedAt: event.at,
        evidence: {
          eventIds: [cards.activationEvent[card] ?? '', event.eventId],
          reason: `${Math.round(share * 100)}% of the balance spent ${Math.round((event.at - activatedAt) / 60_000)} minutes after activation, ${event.locationId ? 'at another store' : 'online'}`,
          figures: {
            minutes: Math.round((event.at - activatedAt) / 60_000),
            spentCents: spent,
          },
        },
      })
    }

    // Reload and drain: a reload spent almost entirely within minutes somewhere else (or
    // online), again and again. Topping up at the till and paying there is ordinary.
    const loadAt = cards.lastLoadAt.get(card)
    const loaded = !Number.isNaN(loadAt)
    const elsewhere = loaded && (place === 0 || place !== cards.lastLoadPlace.get(card))
    if (
      loaded &&
      elsewhere &&
      event.at - loadAt <= t.reloadWindowMs &&
      share >= t.reloadDrainShare
    ) {
      let cycles = cards.drainCycles.get(card)
      if (!cycles) {
        cycles = []
        cards.drainCycles.set(card, cycles)
      }
      cycles.push(cards.lastLoadEvent[card] as string, event.eventId)
      cards.lastLoadAt.set(card, Number.NaN)
      cards.lastLoadEvent[card] = undefined
      const count = cycles.length / 2
      if (count >= t.reloadMinCycles) {
        this.raise(alerts, {
          cardId,
          rule: 'reload_and_drain',
          score: Math.min(0.99, 0.6 + 0.1 * count),
          detectedAt: event.at,
          evidence: {
            eventIds: [...cycles],
            reason: `${count} reloads each spent within ${t.reloadWindowMs / 60_000} minutes`,
            figures: { cycles: count },
          },
        })
      }
    }

    // Impossible travel: two in-store uses farther apart than anyone could go in between.
    if (event.locationId !== null) {
      const here = this.context.location(event.locationId)
      const lastPlace = cards.lastInStorePlace.get(card)
      if (here && lastPlace !== 0 && lastPlace !== place) {
        const there = this.context.location(this.placeIds[lastPlace] as string)
        if (there) {
          const lastAt = cards.lastInStoreAt.get(card)
          const km = distanceKm(here, there)
          const hours = Math.max(Math.abs(event.at - lastAt) / 3_600_000, 1 / 60)
          if (km >= t.travelMinKm && km / hours > t.travelMaxKmh) {
            this.raise(alerts, {
              cardId,
              rule: 'impossible_travel',
              score: Math.min(0.99, 0.7 + km / hours / 20_000),
              detectedAt: event.at,
              evidence: {
                eventIds: [cards.lastInStoreEvent[card] as string, event.eventId],
                reason: `used ${Math.round(km)} km apart within ${Math.round(hours * 60)} minutes (${Math.round(km / hours)} km/h)`,
                figures: { km: Math.round(km), minutes: Math.round(hours * 60) },
              },
            })
          }
        }
      }
      if (here) {
        cards.lastInStoreAt.set(card, event.at)
        cards.lastInStorePlace.set(card, place)
        cards.lastInStoreEvent[card] = event.eventId
      }
    }
  }

  private refund(card: number, event: ScoredEvent, alerts: FraudAlert[]): void {
    // A refund onto a card for goods the card never paid for.
    if (event.orderId !== null && this.cards.paidFor(card, event.orderId)) return
    this.raise(alerts, {
      cardId: event.cardId as string,
      rule: 'refund_abuse',
      score: event.employeeId ? 0.85 : 0.7,
      detectedAt: event.at,
      evidence: {
        eventIds: [event.eventId],
        reason: event.orderId
          ? `refund for order ${event.orderId}, which this card never paid for`
          : 'refund with no order',
        figures: { amountCents: event.amountCents, employee: event.employeeId ?? 'unknown' },
      },
    })
  }

  private enumeration(event: ScoredEvent, alerts: FraudAlert[]): void {
    const t = this.thresholds
    if (event.terminalId === null) return
    let window = this.terminals.get(event.terminalId)
    if (!window) {
      window = []
      this.terminals.set(event.terminalId, window)
    }
    window.push({
      at: event.at,
      ok: event.result === 'ok' && event.cardId !== null,
      cardId: event.cardId,
      eventId: event.eventId,
    })
    while (window.length > 0 && event.at - (window[0] as Check).at > t.enumerationWindowMs)
      window.shift()
    if (window.length < t.enumerationMinChecks) return
    const declined = window.filter((c) => !c.ok).length
    if (declined / window.length < t.enumerationDeclinedShare) return
    for (const check of window) {
      if (!check.ok || check.cardId === null) continue
      this.raise(alerts, {
        cardId: check.cardId,
        rule: 'balance_check_enumeration',
        score: Math.min(0.99, 0.6 + window.length / 200 + declined / window.length / 5),
        detectedAt: event.at,
        evidence: {
          eventIds: [check.eventId],
          reason: `found by a run of ${window.length} balance checks from ${event.terminalId} in ${t.enumerationWindowMs / 60_000} minutes, ${declined} of them on numbers that match no card`,
          figures: { checks: window.length, declined, terminal: event.terminalId },
        },
      })
    }
  }
}
