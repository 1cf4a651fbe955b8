import { distanceKm, type FraudPattern, type TransactionType } from '../../core/index.ts'
import { FloatColumn, hash32, IntColumn, Interner, NumberMap } from '../columns.ts'
import { AnomalyScorer } from './anomaly.ts'
import { BulkWatch } from './bulk.ts'
import { EnumerationWatch } from './enumeration.ts'

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

/**
 * The thresholds of each rule (docs/domain.md §3). They were set on the variant generator's
 * tuning seeds (synth/fraud-variants.ts, seeds below HELD_OUT_SEED) and checked on the demo
 * chain; docs/analytics.md gives the figures on both and on the held-out seeds.
 */
export const FRAUD_THRESHOLDS = {
  /** Spends this soon after activation adding up to this share of it, elsewhere: a drain. */
  drainWindowMs: 60 * 60_000,
  drainShare: 0.9,
  /**
   * Later the same day a drain in store elsewhere still counts, scored down with the hours
   * (from 0.68 after the first hour to 0.45 at twelve), unless the spender is a customer known
   * this long (a recipient who shops here: the gift given that day).
   */
  drainLateWindowMs: 12 * 3_600_000,
  drainLateKnownSpenderMs: 30 * 86_400_000,
  /** Balance-check bursts: see enumeration.ts. */
  enumerationWindowMs: 30 * 60_000,
  enumerationMinNumbers: 5,
  enumerationBotGapMs: 25_000,
  enumerationBotMinNumbers: 8,
  enumerationDeclinedShare: 0.5,
  enumerationLargeBurst: 20,
  enumerationFollowMs: 12 * 3_600_000,
  enumerationPaidHereMs: 15 * 60_000,
  enumerationBurstChance: 1e-5,
  /** Bursts typed by hand: see manual-bursts.ts. */
  enumerationManualWindowMs: 120 * 60_000,
  enumerationManualGapMs: 3 * 60_000,
  enumerationManualNumbers: 10,
  enumerationManualUnpaidShare: 0.75,
  /** Bulk purchases: see bulk.ts. */
  bulkMinCards: 4,
  bulkSmallMinCards: 3,
  bulkGapMs: 30 * 60_000,
  bulkDrainShare: 0.5,
  bulkDrainWithinMs: 48 * 3_600_000,
  bulkMinDrained: 2,
  bulkDrainedShare: 0.25,
  /** The share for a buyer known this long (the buyer's own history speaks for them). */
  bulkKnownBuyerMs: 30 * 86_400_000,
  bulkKnownBuyerDrainedShare: 0.5,
  bulkNewCustomerMs: 7 * 86_400_000,
  /**
   * In-store uses at least this far apart, sooner than the trip takes door to door: by road at
   * `travelRoadKmh`, or by air at `travelAirKmh` plus `travelAirOverheadMs` of airports.
   */
  travelMinKm: 150,
  travelRoadKmh: 90,
  travelAirKmh: 800,
  travelAirOverheadMs: 2 * 3_600_000,
  /**
   * The airports' time when one known customer made both uses: none, so only a trip faster
   * than the plane itself is raised (one person, a traveller at a push, or a family account).
   */
  travelSameShopperOverheadMs: 0,
  /** Uses at two stores whose distance is unknown this close together. */
  travelUnknownWithinMs: 120 * 60_000,
  /**
   * …and a balance check at one of them and a payment at the other this close together (a
   * check is counted only this close to the payment, coordinates or not).
   */
  travelUnknownCheckWithinMs: 60 * 60_000,
  /** A reload followed this soon by spends of this share of the balance, this many times. */
  reloadWindowMs: 60 * 60_000,
  reloadDrainShare: 0.9,
  reloadMinCycles: 2,
  /**
   * Cycles in all, counting those drained at the store of the reload, that flag a card: topping
   * up at the till to pay there once or twice is ordinary, emptying the card that way again and
   * again is the pattern wherever it happens. A customer known this long paying at the till of
   * the top-up is a regular (their history vouches) and such cycles of theirs are not counted.
   */
  reloadMinCyclesAnywhere: 3,
  reloadKnownCustomerMs: 30 * 86_400_000,
  /** Orders are evidence only once this many sales were seen, this share of them with one. */
  ordersMinSales: 20,
  ordersMinShare: 0.5,
  /** A refund may return this many cents more than the card paid on the order (rounding). */
  refundOverPaidCents: 1,
} as const

/** What each detector reads, and what it does when a field is missing (docs/domain.md §3). */
export const FRAUD_DETECTORS: Record<FraudPattern, { needs: string; whenMissing: string }> = {
  drain_after_activation: {
    needs:
      'activations and redemptions with amounts and times; the store (none: online); the spender customer and when it was first known (after the first hour)',
    whenMissing:
      'without the buyer and spender customers a spend at the store of purchase is not counted (the buyer using it at once looks the same); without a spender, a drain hours later elsewhere is raised at the low late score',
  },
  balance_check_enumeration: {
    needs:
      'balance checks with their result and a terminal, web client or customer; the store (checks typed by hand are grouped per store); later redemptions with their store',
    whenMissing:
      'with no terminal the checks are grouped by customer, then by store (the reason says the terminal is unknown); with none of them they cannot be grouped and nothing is raised; without results every check counts as successful (declines only raise the score)',
  },
  bulk_purchase: {
    needs: 'activations with the buyer (customer), the terminal or the order; later redemptions',
    whenMissing:
      'without customers the cards are grouped by the terminal or web client that sold them, scored lower, and the reason says the buyer is unknown; customer creation dates raise or lower the score',
  },
  impossible_travel: {
    needs: 'in-store redemptions and balance checks with their store; store coordinates',
    whenMissing:
      'without coordinates, uses at two different stores within two hours (a balance check and a payment: one hour) are raised with a lower score and a reason saying the distance is unknown',
  },
  reload_and_drain: {
    needs:
      'loads and redemptions with amounts, times and the store (none: online); balances (else summed from the card history seen)',
    whenMissing: 'a card whose balance is unknown (history not seen) is not scored',
  },
  refund_abuse: {
    needs:
      'refunds and activations with their order and amount; redemptions with their order; the employee',
    whenMissing:
      'in a ledger whose sales mostly carry no order id, a refund or activation without one is not evidence and is not raised; the reason says when the employee is unknown',
  },
}

/**
 * Per-card state as numbered rows of columns (see columns.ts): the balance (from the ledger,
 * or summed), the activation (time, place, value, buyer, spent since), the last load (time,
 * place, balance after, spent since), the last in-store use (time, place, customer, event),
 * reload-and-drain cycles, and the orders it paid for (a refund should name one of them).
 * Places are numbered and customers hashed, 0 standing for none.
 */
class CardTable {
  readonly numbers = new Interner()
  readonly balance = new FloatColumn(Number.NaN)
  readonly activatedAt = new FloatColumn(Number.NaN)
  readonly activationPlace = new IntColumn()
  readonly activationValue = new FloatColumn()
  readonly activationBuyer = new IntColumn()
  readonly spentSinceActivation = new FloatColumn()
  readonly activationEvent: (string | undefined)[] = []
  readonly lastLoadAt = new FloatColumn(Number.NaN)
  readonly lastLoadPlace = new IntColumn()
  readonly loadBalance = new FloatColumn(Number.NaN)
  readonly spentSinceLoad = new FloatColumn()
  readonly lastLoadEvent: (string | undefined)[] = []
  readonly lastInStoreAt = new FloatColumn(Number.NaN)
  readonly lastInStorePlace = new IntColumn()
  readonly lastInStoreCustomer = new IntColumn()
  readonly lastInStoreEvent: (string | undefined)[] = []
  /** 1 when that use was a balance check at a till (it puts the number there), 0 a payment. */
  readonly lastInStoreCheck = new IntColumn()
  /**
   * The in-store use before the last one, so a use that arrives late (a retried webhook, an
   * instance that died mid-delivery) is compared with the uses either side of it in time, as
   * the batch scan, reading in time order, compares it.
   */
  readonly prevInStoreAt = new FloatColumn(Number.NaN)
  readonly prevInStorePlace = new IntColumn()
  readonly prevInStoreCustomer = new IntColumn()
  readonly prevInStoreEvent: (string | undefined)[] = []
  readonly prevInStoreCheck = new IntColumn()
  /**
   * Reload and drain cycles, as event id pairs, and how many of them were drained at the store
   * of the reload (few cards have any).
   */
  readonly drainCycles = new Map<number, { events: string[]; here: number }>()
  /**
   * (card number, hash of the order id) → cents the card paid on that order and not yet had
   * refunded: the orders each card paid for, and how much a refund of each may return.
   */
  private readonly paid = new NumberMap()

  /** The card paid `cents` more on the order (a redemption), or had `-cents` refunded. */
  addPaidOrder(card: number, orderId: string, cents: number): void {
    const key = card * 4_294_967_296 + hash32(orderId)
    this.paid.set(key, (this.paid.get(key) ?? 0) + cents)
  }

  /**
   * What the card paid on the order less what was refunded of it, or undefined if it never
   * paid on it. Orders are kept as 32-bit hashes: two orders of one card would have to collide
   * (about one chance in four billion per refund) to hide one.
   */
  refundable(card: number, orderId: string): number | undefined {
    return this.paid.get(card * 4_294_967_296 + hash32(orderId))
  }
}

/** One in-store use of a card, as the travel rule keeps it (place 0: none). */
type InStoreUse = {
  at: number
  place: number
  customer: number
  eventId: string
  /** A balance check at a till rather than a payment. */
  check: boolean
}

/**
 * The fraud detectors of docs/domain.md §3 as one state machine over events in time order. Each
 * event costs O(1) amortised (per-card columns; per-source, per-buyer and per-mark state pruned
 * by time); the batch scan and the streaming ingest hook feed the same engine, so both raise
 * the same alerts, one per card and rule. `quiet` observes without raising: a windowed scan
 * warms the engine on what came before the window that way (scan.ts).
 */
export class FraudEngine {
  private readonly cards = new CardTable()
  /** Places numbered from 1 (0: none), and their ids by number. */
  private readonly places = new Interner()
  private readonly placeIds: string[] = ['']
  private readonly enumerationWatch: EnumerationWatch
  private readonly bulkWatch: BulkWatch
  private readonly raised = new Set<string>()
  private readonly anomaly = new AnomalyScorer()
  /** Sales (activations and redemptions) seen, and how many carried an order id. */
  private sales = 0
  private salesWithOrder = 0
  /** Suspect refunds and unpaid activations per employee (few employees, bounded). */
  private readonly employeeSuspects = new Map<string, number>()
  /** While set, events update the state but raise nothing. */
  quiet = false

  constructor(
    private readonly context: FraudContext,
    private readonly thresholds: typeof FRAUD_THRESHOLDS = FRAUD_THRESHOLDS,
  ) {
    this.enumerationWatch = new EnumerationWatch(thresholds)
    this.bulkWatch = new BulkWatch(thresholds)
  }

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
      this.track(card, event)
      switch (event.type) {
        case 'activate':
          this.activation(card, event, alerts)
          break
        case 'load':
          this.load(card, event)
          break
        case 'redeem':
          this.redemption(card, event, alerts)
          break
        case 'refund':
          this.refund(card, event, alerts)
          break
        case 'balance_check':
          // A check at a till puts the card number at that store too.
          this.travel(card, event, this.place(event.locationId), alerts)
          break
        default:
          break
      }
    } else if (card >= 0 && (event.type === 'redeem' || event.type === 'balance_check')) {
      // A declined payment or check still puts the card at that till (an owner finding it
      // emptied, a clone's holder trying the number).
      this.travel(card, event, this.place(event.locationId), alerts)
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

  /**
   * Tells the engine a card paid for an order before what it has seen (a windowed scan reads
   * the paid orders of the cards refunded in its window this way, rather than their history).
   */
  knownPaidOrder(cardId: string, orderId: string, cents: number): void {
    this.cards.addPaidOrder(this.cards.numbers.number(cardId), orderId, cents)
  }

  /** How much state the engine holds (for soak diagnostics and the tests that bound it). */
  stateSize(): {
    cards: number
    /** Buyers' groups still open to more cards (bulk.ts). */
    openOrders: number
    /** Activations recent enough for their drain to count (bulk.ts). */
    recentActivations: number
    terminals: number
    marks: number
    raised: number
  } {
    const bulk = this.bulkWatch.size()
    const enumeration = this.enumerationWatch.size()
    return {
      cards: this.cards.numbers.size,
      openOrders: bulk.groups,
      recentActivations: bulk.members,
      terminals: enumeration.sources,
      marks: enumeration.marks,
      raised: this.raised.size,
    }
  }

  /** The number of a place (0 for none). */
  private place(id: string | null): number {
    if (id === null) return 0
    const n = this.places.number(id) + 1
    if (n === this.placeIds.length) this.placeIds.push(id)
    return n
  }

  /** Customers whose record is dated after their events: the first event seen of each. */
  private readonly customersFirstSeen = new Map<string, number>()

  /**
   * A customer as a 32-bit hash (0: none), for telling whether two uses had the same one: a
   * million customers interned would hold every id string; two different customers share a
   * hash about once in four billion comparisons.
   */
  private customer(id: string | null): number {
    return id === null ? 0 : hash32(id) | 0 || 1
  }

  private raise(alerts: FraudAlert[], alert: FraudAlert): void {
    if (this.quiet) {
      // Warming up: the card counts as raised only if the alert was raised before the window
      // too, which a scan of that span would have stored; marking it keeps one alert per card.
      this.raised.add(`${alert.cardId}\u0000${alert.rule}`)
      return
    }
    const key = `${alert.cardId}\u0000${alert.rule}`
    if (this.raised.has(key)) return
    this.raised.add(key)
    alerts.push(alert)
  }

  /** The running balance: the ledger's when it has one, else summed from what was seen. */
  private track(card: number, event: ScoredEvent): void {
    const cards = this.cards
    if (event.balanceAfterCents !== null) cards.balance.set(card, event.balanceAfterCents)
    else {
      const before = cards.balance.get(card)
      if (!Number.isNaN(before)) cards.balance.set(card, before + event.amountCents)
      else if (event.type === 'activate') cards.balance.set(card, event.amountCents)
    }
    if (event.type === 'activate' || event.type === 'redeem') {
      this.sales++
      if (event.orderId !== null) this.salesWithOrder++
    }
  }

  /** Whether this ledger carries order ids on its sales, so that a missing one means something. */
  private ordersCarried(): boolean {
    const t = this.thresholds
    return this.sales >= t.ordersMinSales && this.salesWithOrder / this.sales >= t.ordersMinShare
  }

  private activation(card: number, event: ScoredEvent, alerts: FraudAlert[]): void {
    const cardId = event.cardId as string
    const cards = this.cards
    if (Number.isNaN(cards.activatedAt.get(card))) {
      cards.activatedAt.set(card, event.at)
      cards.activationEvent[card] = event.eventId
      cards.activationPlace.set(card, this.place(event.locationId))
      cards.activationValue.set(card, event.amountCents)
      cards.activationBuyer.set(card, this.customer(event.customerId))
      cards.spentSinceActivation.set(card, 0)
    }
    // A card activated in store with no paying order: value from nowhere (when the ledger
    // carries orders at all).
    if (
      event.orderId === null &&
      (event.locationId !== null || event.employeeId !== null) &&
      this.ordersCarried()
    ) {
      const suspects = this.suspect(event.employeeId)
      this.raise(alerts, {
        cardId,
        rule: 'refund_abuse',
        score: Math.min(0.95, 0.75 + 0.03 * (suspects - 1)),
        detectedAt: event.at,
        evidence: {
          eventIds: [event.eventId],
          reason: `activated in store with ${event.amountCents / 100} on it and no paying order, ${event.employeeId ? `by employee ${event.employeeId}${suspects > 1 ? ` (${suspects} such events by this employee)` : ''}` : 'employee unknown'}`,
          figures: { amountCents: event.amountCents, employee: event.employeeId ?? 'unknown' },
        },
      })
    }
    for (const f of this.bulkWatch.activated(
      {
        eventId: event.eventId,
        cardId,
        at: event.at,
        amountCents: event.amountCents,
        customerId: event.customerId,
        terminalId: event.terminalId,
        orderId: event.orderId,
      },
      this.customerSince(event),
    ))
      this.raise(alerts, this.finding('bulk_purchase', f, event.at))
  }

  /** One more suspect event by the employee; how many they have (1 with no employee). */
  private suspect(employeeId: string | null): number {
    if (employeeId === null) return 1
    const n = (this.employeeSuspects.get(employeeId) ?? 0) + 1
    if (this.employeeSuspects.size < 100_000 || this.employeeSuspects.has(employeeId))
      this.employeeSuspects.set(employeeId, n)
    return n
  }

  private finding(
    rule: FraudPattern,
    f: {
      cardId: string
      score: number
      eventIds: string[]
      reason: string
      figures: Record<string, number | string>
    },
    at: number,
  ): FraudAlert {
    return {
      cardId: f.cardId,
      rule,
      score: f.score,
      detectedAt: at,
      evidence: { eventIds: f.eventIds, reason: f.reason, figures: f.figures },
    }
  }

  private load(card: number, event: ScoredEvent): void {
    const cards = this.cards
    cards.lastLoadAt.set(card, event.at)
    cards.lastLoadPlace.set(card, this.place(event.locationId))
    cards.lastLoadEvent[card] = event.eventId
    cards.loadBalance.set(card, cards.balance.get(card))
    cards.spentSinceLoad.set(card, 0)
  }

  private redemption(card: number, event: ScoredEvent, alerts: FraudAlert[]): void {
    const cardId = event.cardId as string
    const spent = -event.amountCents
    if (event.orderId) this.cards.addPaidOrder(card, event.orderId, spent)
    const place = this.place(event.locationId)
    this.drain(card, event, spent, place, alerts)
    this.reloadDrain(card, event, spent, place, alerts)
    this.travel(card, event, place, alerts)
    const found = this.enumerationWatch.spent(cardId, event)
    if (found) this.raise(alerts, this.finding('balance_check_enumeration', found, event.at))
    for (const f of this.bulkWatch.spent(cardId, event.eventId, event.at, spent))
      this.raise(alerts, this.finding('bulk_purchase', f, event.at))
  }

  /**
   * Drain after activation: spends adding up to most of the card's value within the hour,
   * online or at another store, or at the same store by someone other than a known buyer.
   */
  private drain(
    card: number,
    event: ScoredEvent,
    spent: number,
    place: number,
    alerts: FraudAlert[],
  ): void {
    const t = this.thresholds
    const cards = this.cards
    const activatedAt = cards.activatedAt.get(card)
    const after = event.at - activatedAt
    if (Number.isNaN(activatedAt) || after > t.drainLateWindowMs) return
    const total = cards.spentSinceActivation.get(card) + spent
    cards.spentSinceActivation.set(card, total)
    const value = cards.activationValue.get(card)
    if (value <= 0 || total < t.drainShare * value) return
    const buyer = cards.activationBuyer.get(card)
    const samePlace = place !== 0 && place === cards.activationPlace.get(card)
    const late = after > t.drainWindowMs
    // At the store that sold it: the buyer spending it in the same visit, unless someone else
    // did (a known buyer and another spender), or it came back hours later (another visit).
    if (samePlace && buyer !== 0 && buyer === this.customer(event.customerId)) return
    if (samePlace && buyer === 0 && !late) return
    // After the first hour: in store only (an online spend that evening is the gift's), and
    // not by a customer the chain has known for a month (the recipient, shopping as usual).
    if (late && (event.locationId === null || this.knownCustomer(event, t.drainLateKnownSpenderMs)))
      return
    const minutes = Math.round(after / 60_000)
    const score = late
      ? 0.45 + 0.23 * (1 - (after - t.drainWindowMs) / (t.drainLateWindowMs - t.drainWindowMs))
      : 0.7 + 0.29 * (1 - after / t.drainWindowMs)
    const when = late ? `${(after / 3_600_000).toFixed(1)} hours` : `${minutes} minutes`
    this.raise(alerts, {
      cardId: event.cardId as string,
      rule: 'drain_after_activation',
      score: Math.min(0.99, score),
      detectedAt: event.at,
      evidence: {
        eventIds: [cards.activationEvent[card] ?? '', event.eventId],
        reason: `${Math.round((total / value) * 100)}% of its value spent ${when} after activation, ${event.locationId === null ? 'online' : samePlace ? (buyer === 0 ? 'at the store that sold it, in a later visit (the buyer is unknown)' : 'at the store that sold it, by someone other than the buyer') : 'at another store'}${late ? ' (hours later, so scored lower: a gift given that day looks the same)' : ''}`,
        figures: { minutes, spentCents: total, valueCents: value },
      },
    })
  }

  /** Whether the event's customer was known at least `ms` before it. */
  private knownCustomer(event: ScoredEvent, ms: number): boolean {
    const since = this.customerSince(event)
    return since !== undefined && event.at - since >= ms
  }

  /**
   * When the event's customer was first known: the customer record's time, or the first event
   * seen of a customer whose record is dated after its events (a stub an import made when it met
   * the customer: dated the day of the import, not of the first purchase).
   */
  private customerSince(event: ScoredEvent): number | undefined {
    const id = event.customerId
    if (id === null) return undefined
    const known = this.context.customerSince(id)
    if (known === undefined) return undefined
    let first = this.customersFirstSeen.get(id)
    if (known > event.at && (first === undefined || event.at < first)) {
      first = event.at
      this.customersFirstSeen.set(id, first)
    }
    return first === undefined ? known : Math.min(known, first)
  }

  /**
   * Reload and drain: a reload spent almost entirely within the hour somewhere else (or
   * online), again and again. Topping up at the till and paying there is ordinary.
   */
  private reloadDrain(
    card: number,
    event: ScoredEvent,
    spent: number,
    place: number,
    alerts: FraudAlert[],
  ): void {
    const t = this.thresholds
    const cards = this.cards
    const loadAt = cards.lastLoadAt.get(card)
    if (Number.isNaN(loadAt) || event.at - loadAt > t.reloadWindowMs) return
    const base = cards.loadBalance.get(card)
    if (Number.isNaN(base) || base <= 0) return
    const total = cards.spentSinceLoad.get(card) + spent
    cards.spentSinceLoad.set(card, total)
    if (total < t.reloadDrainShare * base) return
    const elsewhere = place === 0 || place !== cards.lastLoadPlace.get(card)
    // A regular topping up at the till to pay there: not a cycle.
    if (!elsewhere && this.knownCustomer(event, t.reloadKnownCustomerMs)) return
    const cardId = event.cardId as string
    let cycles = cards.drainCycles.get(card)
    if (!cycles) {
      cycles = { events: [], here: 0 }
      cards.drainCycles.set(card, cycles)
    }
    const count = cycles.events.length / 2 + 1
    if (cycles.events.length < 40)
      cycles.events.push(cards.lastLoadEvent[card] as string, event.eventId)
    if (!elsewhere) cycles.here++
    cards.lastLoadAt.set(card, Number.NaN)
    cards.lastLoadEvent[card] = undefined
    const away = count - cycles.here
    if (away < t.reloadMinCycles && count < t.reloadMinCyclesAnywhere) return
    const where =
      cycles.here === 0
        ? 'elsewhere than the reload (another store or online)'
        : away === 0
          ? 'at the store of the reload'
          : `${away} elsewhere, ${cycles.here} at the store of the reload`
    this.raise(alerts, {
      cardId,
      rule: 'reload_and_drain',
      // Drains at the till of the top-up score lower: a shopper paying there looks the same.
      score: Math.min(0.99, (away >= t.reloadMinCycles ? 0.6 : 0.5) + 0.1 * count),
      detectedAt: event.at,
      evidence: {
        eventIds: [...cycles.events],
        reason: `${count} reloads each spent (≥ ${t.reloadDrainShare * 100}% of the balance) within ${t.reloadWindowMs / 60_000} minutes, ${where}`,
        figures: { cycles: count, drainedWhereReloaded: cycles.here },
      },
    })
  }

  /**
   * Impossible travel: two in-store uses farther apart than anyone could go in between. Where
   * either store has no coordinates, uses at two different stores within two hours are raised
   * with a lower score, the reason saying the distance is unknown (unless one known customer
   * made both: a shopper moving between nearby stores).
   *
   * Each use is compared with its neighbours in time among the card's last two: the one before
   * it, and, for a use that arrives after a later one (out of order), the one after it too. In
   * time order that is the previous use, as before; out of order the pairs are the ones a scan
   * in time order would judge, so a late delivery neither hides a trip nor invents one.
   */
  private travel(card: number, event: ScoredEvent, place: number, alerts: FraudAlert[]): void {
    if (event.locationId === null) return
    const use: InStoreUse = {
      at: event.at,
      place,
      customer: this.customer(event.customerId),
      eventId: event.eventId,
      check: event.type === 'balance_check',
    }
    const last = this.inStoreUse(card, 'last')
    const prev = this.inStoreUse(card, 'prev')
    if (!last || use.at >= last.at) {
      if (last) this.travelPair(event, last, use, event.result === 'declined', alerts)
      if (last) this.setInStoreUse(card, 'prev', last)
      this.setInStoreUse(card, 'last', use)
      return
    }
    // Late: the last use happened after this one.
    this.travelPair(event, use, last, false, alerts)
    if (!prev || prev.at <= use.at) {
      if (prev) this.travelPair(event, prev, use, event.result === 'declined', alerts)
      this.setInStoreUse(card, 'prev', use)
    } else {
      // Older than both kept uses: its later neighbour is the previous one.
      this.travelPair(event, use, prev, false, alerts)
    }
  }

  private inStoreUse(card: number, which: 'last' | 'prev'): InStoreUse | undefined {
    const c = this.cards
    const place = which === 'last' ? c.lastInStorePlace.get(card) : c.prevInStorePlace.get(card)
    if (place === 0) return undefined
    return which === 'last'
      ? {
          at: c.lastInStoreAt.get(card),
          place,
          customer: c.lastInStoreCustomer.get(card),
          eventId: c.lastInStoreEvent[card] as string,
          check: c.lastInStoreCheck.get(card) === 1,
        }
      : {
          at: c.prevInStoreAt.get(card),
          place,
          customer: c.prevInStoreCustomer.get(card),
          eventId: c.prevInStoreEvent[card] as string,
          check: c.prevInStoreCheck.get(card) === 1,
        }
  }

  private setInStoreUse(card: number, which: 'last' | 'prev', use: InStoreUse): void {
    const c = this.cards
    if (which === 'last') {
      c.lastInStoreAt.set(card, use.at)
      c.lastInStorePlace.set(card, use.place)
      c.lastInStoreCustomer.set(card, use.customer)
      c.lastInStoreEvent[card] = use.eventId
      c.lastInStoreCheck.set(card, use.check ? 1 : 0)
    } else {
      c.prevInStoreAt.set(card, use.at)
      c.prevInStorePlace.set(card, use.place)
      c.prevInStoreCustomer.set(card, use.customer)
      c.prevInStoreEvent[card] = use.eventId
      c.prevInStoreCheck.set(card, use.check ? 1 : 0)
    }
  }

  /**
   * One pair of in-store uses of a card, `first` before `second` in time; `event` is the one
   * being scored (the alert's card and time). `secondDeclined`: the later use was a declined
   * payment (the card already spent).
   */
  private travelPair(
    event: ScoredEvent,
    first: InStoreUse,
    second: InStoreUse,
    secondDeclined: boolean,
    alerts: FraudAlert[],
  ): void {
    if (first.place === second.place) return
    // Two checks say little (a number tried in two places); a check and a payment do.
    if (first.check && second.check) return
    const t = this.thresholds
    const check = first.check || second.check
    // A check and a payment naming one customer: the POS names the card's holder on a check,
    // so the pair may be one household's (a check at home while a gift is spent where its
    // recipient lives); only a payment by someone else, or by no one known, puts a clone there.
    if (check && second.customer !== 0 && second.customer === first.customer) return
    const checkNote = check
      ? ` (${first.check ? 'the first' : 'the second'} was a balance check at a till, which puts the card number there: scored lower than two payments)`
      : ''
    // One known customer making both uses is one person moving (or a family account); a
    // clone is used by someone else.
    const sameShopper = second.customer !== 0 && second.customer === first.customer
    const gap = second.at - first.at
    const firstId = this.placeIds[first.place] as string
    const secondId = this.placeIds[second.place] as string
    const here = this.context.location(secondId)
    const there = this.context.location(firstId)
    const eventIds = [first.eventId, second.eventId]
    if (here && there) {
      const km = distanceKm(here, there)
      const overheadMs = sameShopper ? t.travelSameShopperOverheadMs : t.travelAirOverheadMs
      const needHours = Math.min(km / t.travelRoadKmh, overheadMs / 3_600_000 + km / t.travelAirKmh)
      const hours = gap / 3_600_000
      // A check counts only minutes from the payment: over hours, a holder checking at their
      // store while the card is spent where a gift's recipient lives is likelier than a clone.
      if (check && gap > t.travelUnknownCheckWithinMs) return
      if (km >= t.travelMinKm && hours < needHours) {
        this.raise(alerts, {
          cardId: event.cardId as string,
          rule: 'impossible_travel',
          score: check
            ? Math.min(0.85, 0.55 + 0.3 * (1 - hours / needHours))
            : Math.min(0.99, 0.7 + 0.29 * (1 - hours / needHours)),
          detectedAt: event.at,
          evidence: {
            eventIds,
            reason: `used ${Math.round(km)} km apart within ${Math.round(hours * 60)} minutes${sameShopper ? ' by the same customer' : ''}; the trip takes at least ${Math.round(needHours * 60)} minutes${secondDeclined ? ' (the second use was declined: the card was already spent)' : ''}${checkNote}`,
            figures: {
              km: Math.round(km),
              minutes: Math.round(hours * 60),
              tripMinutes: Math.round(needHours * 60),
            },
          },
        })
      }
    } else if (
      gap <= (check ? t.travelUnknownCheckWithinMs : t.travelUnknownWithinMs) &&
      !sameShopper
    ) {
      const missing = [here ? null : secondId, there ? null : firstId].filter(Boolean)
      const within = check ? t.travelUnknownCheckWithinMs : t.travelUnknownWithinMs
      this.raise(alerts, {
        cardId: event.cardId as string,
        rule: 'impossible_travel',
        score: check
          ? Math.min(0.55, 0.4 + 0.15 * (1 - gap / within))
          : Math.min(0.65, 0.45 + 0.2 * (1 - gap / within)),
        detectedAt: event.at,
        evidence: {
          eventIds,
          reason: `used at ${firstId} and at ${secondId} ${Math.round(gap / 60_000)} minutes apart${secondDeclined ? ' (the second use declined)' : ''}; the distance is unknown (no coordinates for ${missing.join(' or ')}), so this may be two nearby stores${checkNote}`,
          figures: { minutes: Math.round(gap / 60_000), km: 'unknown' },
        },
      })
    }
  }

  private refund(card: number, event: ScoredEvent, alerts: FraudAlert[]): void {
    // A refund onto a card for goods the card never paid for, or for more than it paid on that
    // order (all its refunds of the order together): a cent over is rounding, not abuse.
    const refundable =
      event.orderId === null ? undefined : this.cards.refundable(card, event.orderId)
    if (event.orderId !== null && refundable !== undefined) {
      this.cards.addPaidOrder(card, event.orderId, -event.amountCents)
      if (event.amountCents <= refundable + this.thresholds.refundOverPaidCents) return
    }
    // Without order ids on the ledger's sales, a refund without one says nothing.
    if (event.orderId === null && !this.ordersCarried()) return
    const suspects = this.suspect(event.employeeId)
    const who = event.employeeId
      ? `by employee ${event.employeeId}${suspects > 1 ? ` (${suspects} such events by this employee)` : ''}`
      : 'employee unknown'
    this.raise(alerts, {
      cardId: event.cardId as string,
      rule: 'refund_abuse',
      score: Math.min(0.95, (event.employeeId ? 0.8 : 0.7) + 0.03 * (suspects - 1)),
      detectedAt: event.at,
      evidence: {
        eventIds: [event.eventId],
        reason:
          event.orderId && refundable !== undefined
            ? `refund of ${event.amountCents / 100} for order ${event.orderId}, on which this card paid only ${Math.max(0, refundable) / 100} not yet refunded, ${who}`
            : event.orderId
              ? `refund for order ${event.orderId}, which this card never paid for, ${who}`
              : `refund with no order, ${who}`,
        figures: {
          amountCents: event.amountCents,
          employee: event.employeeId ?? 'unknown',
          ...(refundable !== undefined ? { refundableCents: Math.max(0, refundable) } : {}),
        },
      },
    })
  }

  private enumeration(event: ScoredEvent, alerts: FraudAlert[]): void {
    for (const f of this.enumerationWatch.check({
      eventId: event.eventId,
      cardId: event.cardId,
      ok: event.result === 'ok',
      at: event.at,
      terminalId: event.terminalId,
      customerId: event.customerId,
      locationId: event.locationId,
    }))
      this.raise(alerts, this.finding('balance_check_enumeration', f, event.at))
  }
}
