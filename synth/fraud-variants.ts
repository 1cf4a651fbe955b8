import {
  DAY_MS,
  type FraudLabel,
  type FraudPattern,
  Rng,
  type TransactionType,
  toIso,
} from '../core/index.ts'

/**
 * The fraud variant generator: small worlds, each drawn from its own seed, holding ordinary
 * traffic, one incident of each fraud pattern of docs/domain.md §3 and the benign look-alikes
 * that resemble them, every parameter drawn at random over a wide range (burst length and
 * spacing, result codes, one order or many, amounts, timing) and whole fields missing the way
 * exports miss them (no coordinates, no customers, no balances, no orders, no terminals).
 *
 * It is written apart from the demo chain's generator (synth/generator.ts) and shares nothing
 * with it but the PRNG, so that the detectors are measured on data they were not built on:
 * the behaviour comes from DOMAIN.md's descriptions and what is known of these attacks, not
 * from what the detectors look for. `giftcards fraud eval --variants N` and
 * test/analytics/fraud-variants.test.ts score the detectors on it (docs/analytics.md).
 */

/**
 * Seeds below this one are the tuning seeds (the detectors' thresholds were set looking at
 * seeds 1..100); the figures reported in docs/analytics.md and by `giftcards fraud eval
 * --variants N` start here, on worlds the tuning never saw.
 */
export const HELD_OUT_SEED = 1001

/** One ledger event of a world: the fields of analytics' ScoredEvent, field for field. */
export type VariantEvent = {
  eventId: string
  cardId: string | null
  type: TransactionType
  result: 'ok' | 'declined'
  amountCents: number
  balanceAfterCents: number | null
  at: number
  locationId: string | null
  terminalId: string | null
  orderId: string | null
  customerId: string | null
  employeeId: string | null
}

/** The benign behaviours drawn to look like fraud; cards in them should raise nothing. */
export const LOOKALIKES = [
  'corporate_bulk_order',
  'same_day_gift_use',
  'repeat_balance_checks',
  'busy_till_balance_checks',
  'family_two_nearby_stores',
  'traveller_days_apart',
  'top_up_and_pay_at_till',
  'genuine_refund',
  'weekly_reload_regular',
  'service_desk_checks',
  'family_few_gift_cards',
] as const
export type Lookalike = (typeof LOOKALIKES)[number]

/** Which fields this world's export lacks (each drawn at random per world). */
export type MissingFields = {
  /** No store has coordinates (`partial`: some have). */
  coordinates: 'none' | 'partial' | 'all_known'
  customers: boolean
  balances: boolean
  orders: boolean
  terminals: boolean
  employees: boolean
}

export type VariantWorld = {
  seed: number
  /** In time order (ties by event id). */
  events: VariantEvent[]
  /** Ground truth: the cards of each fraud incident. */
  labels: FraudLabel[]
  /** The cards of each benign look-alike. */
  lookalikes: { cardId: string; kind: Lookalike }[]
  cards: number
  missing: MissingFields
  /** Store coordinates where this world's export has them. */
  location(id: string): { latitude: number; longitude: number } | undefined
  /** When a customer was first known, in ms. */
  customerSince(id: string): number | undefined
}

/** City centres the stores of a world gather around (real coordinates, spread over the US). */
const CITIES = [
  { name: 'Boston', latitude: 42.36, longitude: -71.06 },
  { name: 'New York', latitude: 40.71, longitude: -74.0 },
  { name: 'Philadelphia', latitude: 39.95, longitude: -75.17 },
  { name: 'Atlanta', latitude: 33.75, longitude: -84.39 },
  { name: 'Chicago', latitude: 41.88, longitude: -87.63 },
  { name: 'Dallas', latitude: 32.78, longitude: -96.8 },
  { name: 'Denver', latitude: 39.74, longitude: -104.99 },
  { name: 'Phoenix', latitude: 33.45, longitude: -112.07 },
  { name: 'Los Angeles', latitude: 34.05, longitude: -118.24 },
  { name: 'San Francisco', latitude: 37.77, longitude: -122.42 },
  { name: 'Seattle', latitude: 47.61, longitude: -122.33 },
  { name: 'Miami', latitude: 25.76, longitude: -80.19 },
] as const

/** Kilometres between two city centres (equirectangular: good to a few percent here). */
function cityKm(a: number, b: number): number {
  const p = CITIES[a] as (typeof CITIES)[number]
  const q = CITIES[b] as (typeof CITIES)[number]
  const x = (q.longitude - p.longitude) * Math.cos(((p.latitude + q.latitude) * Math.PI) / 360)
  return Math.hypot(x, q.latitude - p.latitude) * 111.2
}

type Store = {
  id: string
  city: number
  latitude: number
  longitude: number
  terminals: string[]
  employees: string[]
}

const MINUTE = 60_000
const HOUR = 3_600_000
/** Everyday gift card values, in cents. */
const DENOMINATIONS = [1000, 2000, 2500, 5000, 5000, 7500, 10000, 10000, 15000, 20000, 25000]

/**
 * Draws one world. The same seed always gives the same world. Worlds span about 40 days of
 * an autumn; ordinary cards and look-alikes are spread over it, incidents fall in its middle.
 */
export function generateVariant(seed: number): VariantWorld {
  return new World(seed).build()
}

/** A card being written: its id, its running balance and its events. */
type CardDraft = { id: string; balance: number }

type Party = {
  at: number
  store: Store | null
  terminal?: string | null
  employee?: string | null
  order?: string | null
  customer?: string | null
}

class World {
  private readonly rng: Rng
  private readonly events: VariantEvent[] = []
  private readonly labels: FraudLabel[] = []
  private readonly lookalikes: { cardId: string; kind: Lookalike }[] = []
  private readonly customers = new Map<string, number>()
  private readonly stores: Store[] = []
  private readonly known = new Set<string>()
  private readonly missing: MissingFields
  private readonly start: number
  private readonly end: number
  private seq = 0
  private cardSeq = 0

  constructor(private readonly seed: number) {
    this.rng = new Rng(`fraud-variant-${seed}`)
    const rng = this.rng
    this.start = Date.UTC(2025, rng.int(0, 10), rng.int(1, 28), 12)
    this.end = this.start + 40 * DAY_MS
    const coordinates = rng.weighted([0.5, 0.2, 0.3])
    this.missing = {
      coordinates: (['all_known', 'none', 'partial'] as const)[coordinates] ?? 'all_known',
      customers: rng.chance(0.2),
      balances: rng.chance(0.25),
      orders: rng.chance(0.1),
      terminals: rng.chance(0.1),
      employees: rng.chance(0.15),
    }
    // Stores: several cities, a few stores in each, some of them in the same mall or street.
    const cities = [...CITIES.keys()].sort(() => rng.next() - 0.5).slice(0, rng.int(3, 8))
    // A chain spread over the country: at least two of its cities 1,000 km apart or more
    // (the clone of impossible travel is used in one far from the owner's).
    const far = (a: number, b: number) => cityKm(a, b) >= 1000
    if (!cities.some((a) => cities.some((b) => far(a, b)))) {
      const first = cities[0] as number
      const other = [...CITIES.keys()].find((c) => far(first, c))
      if (other !== undefined) cities.push(other)
    }
    for (const city of cities) {
      const centre = CITIES[city] as (typeof CITIES)[number]
      const count = rng.int(1, 5)
      for (let s = 0; s < count; s++) {
        const id = `v${seed}-store-${this.stores.length + 1}`
        this.stores.push({
          id,
          city,
          latitude: centre.latitude + rng.between(-0.15, 0.15),
          longitude: centre.longitude + rng.between(-0.15, 0.15),
          terminals: Array.from({ length: rng.int(1, 4) }, (_, t) => `${id}-t${t + 1}`),
          employees: Array.from({ length: rng.int(2, 8) }, (_, e) => `${id}-emp${e + 1}`),
        })
      }
    }
    for (const store of this.stores) {
      const keep =
        this.missing.coordinates === 'all_known' ||
        (this.missing.coordinates === 'partial' && rng.chance(0.5))
      if (keep) this.known.add(store.id)
    }
  }

  build(): VariantWorld {
    const rng = this.rng
    for (let i = rng.int(120, 360); i > 0; i--) this.ordinaryCard()
    // One incident of each pattern, in the world's middle third.
    this.drainAfterActivation()
    this.enumeration()
    this.bulkPurchase()
    this.impossibleTravel()
    this.reloadAndDrain()
    this.refundAbuse()
    // Look-alikes: each present in most worlds, some several times.
    const times = (p: number, max: number) => (rng.chance(p) ? rng.int(1, max) : 0)
    for (let i = times(0.8, 2); i > 0; i--) this.corporateBulkOrder()
    for (let i = times(0.9, 4); i > 0; i--) this.sameDayGiftUse()
    for (let i = times(0.9, 4); i > 0; i--) this.repeatBalanceChecks()
    for (let i = times(0.6, 2); i > 0; i--) this.busyTillChecks()
    for (let i = times(0.8, 3); i > 0; i--) this.familyTwoNearbyStores()
    for (let i = times(0.6, 2); i > 0; i--) this.travellerDaysApart()
    for (let i = times(0.8, 3); i > 0; i--) this.topUpAndPayAtTill()
    for (let i = times(0.8, 3); i > 0; i--) this.genuineRefund()
    for (let i = times(0.7, 2); i > 0; i--) this.weeklyReloadRegular()
    for (let i = times(0.5, 1); i > 0; i--) this.serviceDeskChecks()
    for (let i = times(0.7, 2); i > 0; i--) this.familyFewGiftCards()
    this.events.sort((a, b) => a.at - b.at || (a.eventId < b.eventId ? -1 : 1))
    const known = this.known
    const byId = new Map(this.stores.map((s) => [s.id, s]))
    const customers = this.customers
    return {
      seed: this.seed,
      events: this.events,
      labels: this.labels,
      lookalikes: this.lookalikes,
      cards: this.cardSeq,
      missing: this.missing,
      location: (id) => {
        const s = known.has(id) ? byId.get(id) : undefined
        return s ? { latitude: s.latitude, longitude: s.longitude } : undefined
      },
      customerSince: (id) => customers.get(id),
    }
  }

  // ── parties ─────────────────────────────────────────────────────────────────────────

  private store(): Store {
    return this.rng.pick(this.stores)
  }

  /** Another store in the same city if there is one (else any other store). */
  private nearbyStore(store: Store): Store {
    const near = this.stores.filter((s) => s.city === store.city && s.id !== store.id)
    if (near.length > 0) return this.rng.pick(near)
    return this.otherStore(store)
  }

  private otherStore(store: Store): Store {
    const others = this.stores.filter((s) => s.id !== store.id)
    return others.length > 0 ? this.rng.pick(others) : store
  }

  /** A store in a city at least 400 km away, else in the farthest city the world has. */
  private farStore(store: Store): Store {
    const far = this.stores.filter((s) => cityKm(s.city, store.city) >= 400)
    if (far.length > 0) return this.rng.pick(far)
    const farthest = Math.max(...this.stores.map((s) => cityKm(s.city, store.city)))
    return this.rng.pick(this.stores.filter((s) => cityKm(s.city, store.city) === farthest))
  }

  private customer(since: number): string {
    const id = `v${this.seed}-cust-${this.customers.size + 1}`
    this.customers.set(id, since)
    return id
  }

  /** A customer known for months or years. */
  private regular(): string {
    return this.customer(this.start - this.rng.int(60, 1500) * DAY_MS)
  }

  private device(): string {
    return `web-${this.rng.hex(8)}`
  }

  private order(): string {
    return `v${this.seed}-ord-${++this.seq}`
  }

  /** A time in store hours (9:00–21:00 UTC-ish) on the day of `at`. */
  private storeHours(day: number): number {
    const midnight = Math.floor(day / DAY_MS) * DAY_MS
    return midnight + (14 + this.rng.between(0, 11)) * HOUR
  }

  /** A time anywhere in the world's span, in store hours. */
  private anyTime(): number {
    return this.storeHours(this.start + this.rng.between(0, 38) * DAY_MS)
  }

  /** A time in the middle third, where incidents fall (their history comes before). */
  private incidentTime(): number {
    return this.storeHours(this.start + this.rng.between(12, 26) * DAY_MS)
  }

  private till(store: Store): string {
    return this.rng.pick(store.terminals)
  }

  private cashier(store: Store): string {
    return this.rng.pick(store.employees)
  }

  // ── writing ─────────────────────────────────────────────────────────────────────────

  private newCard(): CardDraft {
    return { id: `v${this.seed}-card-${++this.cardSeq}`, balance: 0 }
  }

  /**
   * Writes an event, applying this world's missing fields. A redemption is capped at the
   * balance (`Infinity` takes all of it); returns the amount moved.
   */
  private write(
    card: CardDraft | null,
    type: TransactionType,
    amount: number,
    party: Party,
    result: 'ok' | 'declined' = 'ok',
  ): number {
    let signed = 0
    if (card && result === 'ok') {
      if (type === 'redeem') signed = -Math.min(card.balance, amount)
      else if (type === 'activate' || type === 'load' || type === 'refund') signed = amount
      if (type === 'redeem' && signed === 0) return 0
      card.balance += signed
    }
    const m = this.missing
    const store = party.store
    this.events.push({
      eventId: `v${this.seed}-ev-${++this.seq}`,
      cardId: card ? card.id : null,
      type,
      result,
      amountCents: signed,
      balanceAfterCents: card && !m.balances ? card.balance : null,
      at: Math.round(party.at),
      locationId: store ? store.id : null,
      terminalId: m.terminals && store ? null : (party.terminal ?? null),
      orderId: m.orders ? null : (party.order ?? null),
      customerId: m.customers ? null : (party.customer ?? null),
      employeeId: m.employees ? null : (party.employee ?? null),
    })
    return -signed
  }

  /** A sale of a card at a till (or online, `store` null) in an order of its own or `order`. */
  private activate(
    card: CardDraft,
    value: number,
    at: number,
    store: Store | null,
    extra: Omit<Party, 'at' | 'store'> = {},
  ): void {
    this.write(card, 'activate', value, {
      at,
      store,
      terminal: store ? this.till(store) : this.device(),
      employee: store ? this.cashier(store) : null,
      order: this.order(),
      ...extra,
    })
  }

  /** A purchase paid with the card: at a till, or online when `store` is null. */
  private redeem(
    card: CardDraft,
    amount: number,
    at: number,
    store: Store | null,
    customer: string | null,
    terminal?: string,
  ): number {
    return this.write(card, 'redeem', amount, {
      at,
      store,
      terminal: terminal ?? (store ? this.till(store) : this.device()),
      employee: store ? this.cashier(store) : null,
      order: this.order(),
      customer,
    })
  }

  private label(card: CardDraft, pattern: FraudPattern, at: number): void {
    this.labels.push({
      card_id: card.id,
      pattern,
      first_event_id: this.events.at(-1)?.eventId ?? '',
      occurred_at: toIso(at),
    })
  }

  private lookalike(card: CardDraft, kind: Lookalike): void {
    this.lookalikes.push({ cardId: card.id, kind })
  }

  /** Spends a card down over weeks in a few visits, as most cards are. */
  private spendSlowly(
    card: CardDraft,
    from: number,
    stores: () => Store | null,
    customer: () => string | null,
  ): void {
    let at = from
    const visits = this.rng.int(1, 4)
    for (let v = 0; v < visits && card.balance > 0; v++) {
      at = this.storeHours(at + this.rng.exponential(8) * DAY_MS + DAY_MS / 2)
      if (at > this.end) return
      const share = v === visits - 1 ? 1 : this.rng.between(0.2, 0.7)
      this.redeem(card, Math.max(100, Math.round(card.balance * share)), at, stores(), customer())
    }
  }

  // ── ordinary traffic ────────────────────────────────────────────────────────────────

  /** An ordinary card: bought, given, spent over weeks; sometimes checked, sometimes topped up. */
  private ordinaryCard(): void {
    const rng = this.rng
    const card = this.newCard()
    const home = this.store()
    const online = rng.chance(0.25)
    const at = this.storeHours(this.start - rng.int(0, 60) * DAY_MS + rng.between(0, 38) * DAY_MS)
    const buyer = rng.chance(0.6) ? this.regular() : null
    this.activate(card, rng.pick(DENOMINATIONS), at, online ? null : home, { customer: buyer })
    const holder = rng.chance(0.5) ? this.regular() : null
    if (rng.chance(0.25)) {
      this.write(card, 'balance_check', 0, {
        at: at + rng.between(1, 20) * DAY_MS,
        store: null,
        terminal: this.device(),
        customer: holder,
      })
    }
    if (rng.chance(0.08)) {
      this.write(card, 'load', rng.pick([1000, 2500, 5000]), {
        at: this.storeHours(at + rng.between(3, 30) * DAY_MS),
        store: home,
        terminal: this.till(home),
        employee: this.cashier(home),
        order: this.order(),
        customer: holder,
      })
    }
    this.spendSlowly(
      card,
      at,
      () => (rng.chance(0.2) ? null : rng.chance(0.7) ? home : this.nearbyStore(home)),
      () => holder,
    )
  }

  // ── fraud ───────────────────────────────────────────────────────────────────────────

  /** Harvested rack cards: sold normally, drained minutes later, mostly somewhere else. */
  private drainAfterActivation(): void {
    const rng = this.rng
    const cards = rng.int(1, 3)
    const store = this.store()
    const base = this.incidentTime()
    for (let i = 0; i < cards; i++) {
      const card = this.newCard()
      const at = base + rng.between(0, 3) * DAY_MS
      const value = rng.pick(DENOMINATIONS)
      this.activate(card, value, at, store, { customer: rng.chance(0.5) ? this.regular() : null })
      this.label(card, 'drain_after_activation', at)
      // Minutes later: most drains within a quarter of an hour, a tail to two hours; some
      // harvesters wait hours (the buyer's store closes, a shift ends), then spend in store.
      const hoursLater = rng.chance(0.25)
      let drainAt =
        at +
        (hoursLater ? rng.between(60, 660) : Math.min(120, Math.max(1, rng.lognormal(12, 0.8)))) *
          MINUTE
      const where = hoursLater
        ? this.otherStore(store)
        : rng.chance(0.45)
          ? null
          : rng.chance(0.85)
            ? this.otherStore(store)
            : store
      // All at once, or in a few quick purchases; sometimes a few dollars are left.
      const leave = rng.chance(0.3) ? rng.int(1, Math.max(1, Math.round(value * 0.08))) : 0
      const parts = rng.chance(0.7) ? 1 : rng.int(2, 3)
      for (let p = 0; p < parts; p++) {
        const amount =
          p === parts - 1 ? card.balance - leave : Math.round((value / parts) * rng.between(0.8, 1))
        this.redeem(card, amount, drainAt, where, null)
        drainAt += rng.between(1, 12) * MINUTE
      }
    }
  }

  /**
   * Balance-check enumeration from one device (a kiosk terminal, a web client, or a logged-in
   * account): guessing sequential or random numbers (most fail) or checking numbers already
   * held (skimmed, photographed: all succeed); then some of the live cards are spent.
   */
  private enumeration(): void {
    if (this.rng.chance(0.3)) {
      this.manualEnumeration()
      return
    }
    const rng = this.rng
    const guessing = rng.chance(0.5)
    const victims = rng.int(3, 25)
    const kiosk = rng.chance(0.35) ? this.store() : null
    const byAccount = !kiosk && rng.chance(0.2)
    const terminal = kiosk ? this.till(kiosk) : byAccount ? null : this.device()
    const account = byAccount ? this.customer(this.start - rng.int(0, 30) * DAY_MS) : null
    // A bot fires checks seconds apart; a person at a kiosk or a script with pauses, minutes.
    const spacing = rng.chance(0.6) ? rng.between(1, 20) * 1000 : rng.between(20, 150) * 1000
    const failures = guessing ? Math.round(victims * rng.between(1.5, 12)) : rng.int(0, 3)
    const cards: CardDraft[] = []
    for (let i = 0; i < victims; i++) {
      const card = this.newCard()
      const home = this.store()
      this.activate(card, rng.pick(DENOMINATIONS), this.anyTime() - 20 * DAY_MS, home, {
        customer: rng.chance(0.5) ? this.regular() : null,
      })
      cards.push(card)
    }
    const order: (CardDraft | null)[] = [...cards, ...Array<null>(failures).fill(null)]
    order.sort(() => rng.next() - 0.5)
    let at = this.incidentTime()
    const party = () => ({ at, store: kiosk, terminal, customer: account })
    for (const card of order) {
      at += spacing * rng.between(0.5, 1.5)
      if (card) {
        this.write(card, 'balance_check', 0, party())
        this.label(card, 'balance_check_enumeration', at)
        // Holders of skimmed numbers sometimes check one twice.
        if (rng.chance(0.1)) this.write(card, 'balance_check', 0, party())
      } else this.write(null, 'balance_check', 0, party(), 'declined')
    }
    // Then the live cards are spent: many of them, soon, online or at stores far and near.
    const spent = rng.between(0.3, 1)
    for (const card of cards) {
      if (!rng.chance(spent)) continue
      const when = at + Math.min(72 * 60, rng.lognormal(90, 1.3) + 2) * MINUTE
      this.redeem(card, Number.POSITIVE_INFINITY, when, rng.chance(0.6) ? null : this.store(), null)
    }
  }

  /**
   * Enumeration by hand at a store's till: 10–20 numbers (held or guessed) typed a minute or
   * two apart, in one sitting or two or three with pauses of 10–50 minutes, at one terminal or
   * moving between two of the store's; the live cards spent later, elsewhere or not at all.
   */
  private manualEnumeration(): void {
    const rng = this.rng
    const store = this.store()
    const terminals =
      rng.chance(0.3) && store.terminals.length > 1
        ? store.terminals.slice(0, 2)
        : [this.till(store)]
    const victims = rng.int(10, 20)
    const failures = rng.chance(0.5) ? rng.int(0, 3) : rng.int(3, 10)
    const cards: CardDraft[] = []
    for (let i = 0; i < victims; i++) {
      const card = this.newCard()
      this.activate(card, rng.pick(DENOMINATIONS), this.anyTime() - 20 * DAY_MS, this.store(), {
        customer: rng.chance(0.5) ? this.regular() : null,
      })
      cards.push(card)
    }
    const order: (CardDraft | null)[] = [...cards, ...Array<null>(failures).fill(null)]
    order.sort(() => rng.next() - 0.5)
    const pieces = rng.chance(0.4) ? rng.int(2, 3) : 1
    const per = Math.ceil(order.length / pieces)
    let at = this.incidentTime()
    order.forEach((card, i) => {
      at += (i > 0 && i % per === 0 ? rng.between(10, 50) : rng.between(0.4, 2.2)) * MINUTE
      const party = { at, store, terminal: terminals[i % terminals.length] as string }
      if (card) {
        this.write(card, 'balance_check', 0, party)
        this.label(card, 'balance_check_enumeration', at)
      } else this.write(null, 'balance_check', 0, party, 'declined')
    })
    for (const card of cards) {
      if (!rng.chance(0.5)) continue
      const when = at + rng.between(0.5, 48) * HOUR
      this.redeem(
        card,
        Number.POSITIVE_INFINITY,
        when,
        rng.chance(0.5) ? null : this.otherStore(store),
        null,
      )
    }
  }

  /**
   * Many cards bought with stolen payment cards by one buyer: in one order or one order per
   * card minutes apart, at one till or online, amounts under a threshold, then redeemed or
   * resold quickly (a few cards may be kept for later).
   */
  private bulkPurchase(): void {
    const rng = this.rng
    // Now and then a small burst: three or four cards minutes apart.
    const count = rng.chance(0.2) ? rng.int(3, 4) : rng.int(4, 20)
    const online = rng.chance(0.6)
    const store = online ? null : this.store()
    let at = this.incidentTime()
    const who = rng.weighted([0.55, 0.25, 0.2])
    // A brand-new account, no customer at all, or a taken-over account with some history.
    const buyer =
      who === 0
        ? this.customer(at - rng.between(2, 4000) * MINUTE)
        : who === 1
          ? null
          : this.customer(at - rng.int(30, 900) * DAY_MS)
    const terminal = store ? this.till(store) : this.device()
    const employee = store ? this.cashier(store) : null
    const oneOrder = rng.chance(0.35)
    const shared = this.order()
    const fixed = rng.chance(0.5) ? rng.int(100, 500) * 100 : 0
    const cards: CardDraft[] = []
    for (let i = 0; i < count; i++) {
      const card = this.newCard()
      cards.push(card)
      const value = fixed || rng.int(100, 500) * 100
      this.write(card, 'activate', value, {
        at,
        store,
        terminal,
        employee,
        order: oneOrder ? shared : this.order(),
        customer: buyer,
      })
      this.label(card, 'bulk_purchase', at)
      if (!oneOrder) at += rng.between(0.3, 10) * MINUTE
    }
    // Redeemed or resold within hours to days, mostly online or at a few stores.
    const drainStores = [this.store(), this.store()]
    const kept = rng.between(0, 0.3)
    for (const card of cards) {
      if (rng.chance(kept)) continue
      const when = at + Math.min(14 * 24, rng.lognormal(8, 1.2) + 0.3) * HOUR
      this.redeem(
        card,
        rng.chance(0.8) ? Number.POSITIVE_INFINITY : Math.round(card.balance * 0.7),
        when,
        rng.chance(0.6) ? null : rng.pick(drainStores),
        null,
      )
    }
  }

  /** A cloned card: the owner's use and the clone's, in cities far apart, within hours. */
  private impossibleTravel(): void {
    const rng = this.rng
    const card = this.newCard()
    const home = this.store()
    const owner = this.regular()
    const value = rng.pick([5000, 10000, 15000, 20000, 25000])
    // The owner's use, and the card's sale days to weeks before it (never after).
    const ownAt = this.incidentTime()
    this.activate(card, value, ownAt - rng.int(5, 40) * DAY_MS, home, {
      customer: owner,
    })
    const cloneAt = ownAt + (rng.chance(0.5) ? 1 : -1) * rng.between(5, 180) * MINUTE
    const far = this.farStore(home)
    const first = Math.min(ownAt, cloneAt)
    // Sometimes the clone's holder only checks the number at a far till, or the owner checks
    // the balance at home while the clone pays far away.
    const check = rng.weighted([0.7, 0.15, 0.15])
    if (check !== 0) {
      // A check is a number tried minutes before (or after) the other use, not hours.
      const near = ownAt + (rng.chance(0.5) ? 1 : -1) * rng.between(3, 60) * MINUTE
      const checkAt = check === 1 ? near : ownAt
      const payAt = check === 1 ? ownAt : near
      const checkStore = check === 1 ? far : home
      const payStore = check === 1 ? home : far
      const checkParty = { at: checkAt, store: checkStore, terminal: this.till(checkStore) }
      const pay = () =>
        this.redeem(
          card,
          Math.round(value * rng.between(0.1, 0.6)),
          payAt,
          payStore,
          check === 1 ? owner : null,
        )
      if (checkAt < payAt) {
        this.write(card, 'balance_check', 0, checkParty)
        pay()
      } else {
        pay()
        this.write(card, 'balance_check', 0, checkParty)
      }
      this.label(card, 'impossible_travel', Math.min(checkAt, payAt))
      return
    }
    const own = Math.round(value * rng.between(0.1, 0.5))
    const uses: [number, () => void][] = [
      // If the clone got there first and took everything, the owner's payment is declined.
      [
        ownAt,
        () =>
          card.balance > 0
            ? this.redeem(card, own, ownAt, home, owner)
            : this.write(
                card,
                'redeem',
                own,
                {
                  at: ownAt,
                  store: home,
                  terminal: this.till(home),
                  employee: this.cashier(home),
                  customer: owner,
                },
                'declined',
              ),
      ],
      [
        cloneAt,
        () =>
          this.redeem(
            card,
            rng.chance(0.6) ? Number.POSITIVE_INFINITY : Math.round(value * rng.between(0.3, 0.6)),
            cloneAt,
            far,
            null,
          ),
      ],
    ]
    uses.sort((a, b) => a[0] - b[0])
    for (const [, use] of uses) use()
    this.label(card, 'impossible_travel', first)
  }

  /** Small reloads each spent almost at once, again and again, mostly elsewhere or online. */
  private reloadAndDrain(): void {
    const rng = this.rng
    const card = this.newCard()
    const store = this.store()
    const customer = rng.chance(0.6) ? this.customer(this.start - rng.int(0, 60) * DAY_MS) : null
    let at = this.incidentTime() - 6 * DAY_MS
    this.activate(
      card,
      rng.pick([500, 1000, 1500, 2000, 2500]),
      at,
      rng.chance(0.5) ? null : store,
      {
        customer,
      },
    )
    this.label(card, 'reload_and_drain', at)
    const atTill = rng.chance(0.3)
    // Some drain it at the very till of the reload, every time: then it takes a few cycles.
    const sameTill = atTill && rng.chance(0.5)
    const cycles = sameTill ? rng.int(3, 6) : rng.int(2, 6)
    const device = this.device()
    for (let c = 0; c < cycles; c++) {
      at += rng.between(0.1, 3) * DAY_MS
      const loadStore = atTill ? store : null
      this.write(card, 'load', rng.int(5, 50) * 100 * rng.pick([1, 2, 4]), {
        at,
        store: loadStore,
        terminal: loadStore ? this.till(loadStore) : device,
        employee: loadStore ? this.cashier(loadStore) : null,
        order: this.order(),
        customer,
      })
      const where = sameTill
        ? store
        : rng.chance(0.5)
          ? null
          : rng.chance(0.8)
            ? this.otherStore(store)
            : store
      const leave = rng.chance(0.3) ? rng.int(1, 200) : 0
      this.redeem(card, card.balance - leave, at + rng.between(1, 60) * MINUTE, where, null)
    }
  }

  /**
   * A cashier's refund abuse: refunds put on cards for orders those cards never paid for (or
   * with no order), or cards activated at the till with no paying order; then spent.
   */
  private refundAbuse(): void {
    const rng = this.rng
    const store = this.store()
    const employee = this.cashier(store)
    const terminal = this.till(store)
    const count = rng.int(2, 8)
    let at = this.incidentTime() - 5 * DAY_MS
    for (let i = 0; i < count; i++) {
      at = this.storeHours(at + rng.between(0.5, 3) * DAY_MS)
      const card = this.newCard()
      const unpaid = rng.chance(0.4)
      if (!unpaid && rng.chance(0.3)) {
        // A real sale paid with the card, then a refund of more than the card paid on it.
        this.write(card, 'activate', rng.pick([2500, 5000, 10000]), {
          at,
          store,
          terminal,
          employee,
          order: this.order(),
        })
        const order = this.order()
        const paid = this.write(card, 'redeem', Math.round(card.balance * rng.between(0.2, 0.6)), {
          at: at + rng.between(5, 60) * MINUTE,
          store,
          terminal,
          employee: this.cashier(store),
          order,
        })
        const refundAt = at + rng.between(2, 48) * HOUR
        this.write(card, 'refund', Math.round(paid * rng.between(1.5, 4)), {
          at: refundAt,
          store,
          terminal,
          employee,
          order,
        })
        this.label(card, 'refund_abuse', refundAt)
      } else if (unpaid) {
        this.write(card, 'activate', rng.int(50, 300) * 100, {
          at,
          store,
          terminal,
          employee,
          order: null,
        })
        this.label(card, 'refund_abuse', at)
      } else {
        this.write(card, 'activate', rng.pick([500, 1000, 2000, 2500]), {
          at,
          store,
          terminal,
          employee,
          order: this.order(),
        })
        const refundAt = at + rng.between(2, 120) * MINUTE
        this.write(card, 'refund', rng.int(20, 250) * 100, {
          at: refundAt,
          store,
          terminal,
          employee,
          // The order of someone else's sale, or none.
          order: rng.chance(0.7) ? this.order() : null,
        })
        this.label(card, 'refund_abuse', refundAt)
      }
      this.redeem(
        card,
        Number.POSITIVE_INFINITY,
        at + rng.between(1, 72) * HOUR,
        rng.chance(0.4) ? null : rng.chance(0.5) ? store : this.otherStore(store),
        null,
      )
    }
  }

  // ── look-alikes ─────────────────────────────────────────────────────────────────────

  /**
   * A company buying cards for its staff or clients: many cards, one buyer, the same
   * denomination, one order or several, then spent slowly by many people at many stores.
   */
  private corporateBulkOrder(): void {
    const rng = this.rng
    const count = rng.int(5, 60)
    const online = rng.chance(0.5)
    const store = online ? null : this.store()
    let at = this.anyTime()
    const buyer = rng.chance(0.7)
      ? this.regular()
      : this.customer(at - rng.between(5, 2000) * MINUTE)
    const value = rng.chance(0.8) ? rng.pick([2500, 5000, 5000, 10000, 10000, 20000]) : 0
    const oneOrder = rng.chance(0.6)
    const shared = this.order()
    const terminal = store ? this.till(store) : this.device()
    for (let i = 0; i < count; i++) {
      const card = this.newCard()
      this.write(card, 'activate', value || rng.pick([2500, 5000, 10000]), {
        at,
        store,
        terminal,
        employee: store ? this.cashier(store) : null,
        order: oneOrder ? shared : this.order(),
        customer: buyer,
      })
      this.lookalike(card, 'corporate_bulk_order')
      if (!oneOrder) at += rng.between(0.2, 5) * MINUTE
      // Handed out over days; each spent by its recipient, wherever they shop.
      const recipient = rng.chance(0.6) ? this.regular() : null
      const firstUse = at + rng.between(2, 40) * DAY_MS
      if (firstUse > this.end) continue
      this.spendSlowly(
        card,
        firstUse - DAY_MS,
        () => (rng.chance(0.3) ? null : this.store()),
        () => recipient,
      )
    }
  }

  /** A card bought and used the same day: by the buyer at once, or by the recipient later. */
  private sameDayGiftUse(): void {
    const rng = this.rng
    const card = this.newCard()
    const store = this.store()
    const at = this.anyTime()
    const buyer = rng.chance(0.6) ? this.regular() : null
    this.activate(card, rng.pick(DENOMINATIONS), at, store, { customer: buyer })
    this.lookalike(card, 'same_day_gift_use')
    const how = rng.weighted([0.3, 0.4, 0.3])
    if (how === 0)
      this.redeem(card, Number.POSITIVE_INFINITY, at + rng.between(3, 60) * MINUTE, store, buyer)
    else if (how === 1)
      this.redeem(
        card,
        Number.POSITIVE_INFINITY,
        at + Math.exp(rng.between(Math.log(45), Math.log(600))) * MINUTE,
        this.nearbyStore(store),
        rng.chance(0.5) ? this.regular() : null,
      )
    else
      this.redeem(
        card,
        Number.POSITIVE_INFINITY,
        at + rng.between(2, 12) * HOUR,
        null,
        rng.chance(0.5) ? this.regular() : null,
      )
  }

  /** A shopper checking one card's balance several times, then spending it. */
  private repeatBalanceChecks(): void {
    const rng = this.rng
    const card = this.newCard()
    const home = this.store()
    const at = this.anyTime()
    const holder = this.regular()
    this.activate(card, rng.pick(DENOMINATIONS), at - rng.between(1, 20) * DAY_MS, home)
    this.lookalike(card, 'repeat_balance_checks')
    const atTill = rng.chance(0.4)
    const terminal = atTill ? this.till(home) : this.device()
    let when = at
    for (let i = rng.int(2, 8); i > 0; i--) {
      when += rng.between(0.2, 10) * MINUTE
      this.write(card, 'balance_check', 0, {
        at: when,
        store: atTill ? home : null,
        terminal,
        customer: holder,
      })
    }
    // A family checking its cards together on one device, now and then.
    if (rng.chance(0.4)) {
      for (let k = rng.int(1, 3); k > 0; k--) {
        const other = this.newCard()
        this.activate(other, rng.pick(DENOMINATIONS), at - rng.between(1, 20) * DAY_MS, home)
        this.lookalike(other, 'repeat_balance_checks')
        when += rng.between(0.2, 3) * MINUTE
        this.write(other, 'balance_check', 0, {
          at: when,
          store: atTill ? home : null,
          terminal,
          customer: holder,
        })
        this.spendSlowly(
          other,
          when,
          () => home,
          () => holder,
        )
      }
    }
    if (rng.chance(0.7))
      this.redeem(
        card,
        Math.round(card.balance * rng.between(0.3, 1)),
        when + rng.between(1, 30) * MINUTE,
        atTill ? home : null,
        holder,
      )
  }

  /** A holiday rush at one till: many customers' cards checked, each paid with at once. */
  private busyTillChecks(): void {
    const rng = this.rng
    const store = this.store()
    const terminal = this.till(store)
    let at = this.anyTime()
    for (let i = rng.int(6, 16); i > 0; i--) {
      const card = this.newCard()
      this.activate(card, rng.pick(DENOMINATIONS), at - rng.between(1, 30) * DAY_MS, this.store())
      this.lookalike(card, 'busy_till_balance_checks')
      at += rng.between(0.5, 5) * MINUTE
      const holder = rng.chance(0.5) ? this.regular() : null
      this.write(card, 'balance_check', 0, { at, store, terminal, customer: holder })
      if (rng.chance(0.85))
        this.redeem(
          card,
          Math.round(card.balance * rng.between(0.2, 1)),
          at + rng.between(0.5, 4) * MINUTE,
          store,
          holder,
          terminal,
        )
    }
  }

  /** One card shared by a family: used at two stores of the same city within the hour or two. */
  private familyTwoNearbyStores(): void {
    const rng = this.rng
    const card = this.newCard()
    const home = this.store()
    const value = rng.pick([5000, 10000, 15000, 20000])
    const owner = this.regular()
    this.activate(card, value, this.anyTime() - rng.int(3, 30) * DAY_MS, home, { customer: owner })
    this.lookalike(card, 'family_two_nearby_stores')
    const at = this.anyTime()
    const second = this.nearbyStore(home)
    this.redeem(
      card,
      Math.round(value * rng.between(0.1, 0.5)),
      at,
      home,
      rng.chance(0.6) ? owner : null,
    )
    this.redeem(
      card,
      rng.chance(0.3) ? Number.POSITIVE_INFINITY : Math.round(value * rng.between(0.1, 0.4)),
      at + rng.between(10, 150) * MINUTE,
      second,
      rng.chance(0.4) ? owner : null,
    )
  }

  /** A card taken on a trip: used at home, then in a far city a day or more later. */
  private travellerDaysApart(): void {
    const rng = this.rng
    const card = this.newCard()
    const home = this.store()
    const value = rng.pick([5000, 10000, 20000])
    const owner = this.regular()
    const at = this.anyTime()
    this.activate(card, value, at - rng.int(3, 30) * DAY_MS, home, { customer: owner })
    this.lookalike(card, 'traveller_days_apart')
    this.redeem(card, Math.round(value * 0.4), at, home, owner)
    this.redeem(
      card,
      Math.round(value * 0.4),
      at + rng.between(20, 120) * HOUR,
      this.farStore(home),
      owner,
    )
  }

  /** Topping a card up at the till and paying with it there, or spending it over days. */
  private topUpAndPayAtTill(): void {
    const rng = this.rng
    const card = this.newCard()
    const store = this.store()
    const owner = rng.chance(0.7) ? this.regular() : null
    let at = this.anyTime() - 10 * DAY_MS
    this.activate(card, rng.pick([1000, 2500, 5000]), at, store, { customer: owner })
    this.lookalike(card, 'top_up_and_pay_at_till')
    for (let c = rng.int(1, 4); c > 0; c--) {
      at = this.storeHours(at + rng.between(1, 7) * DAY_MS)
      const terminal = this.till(store)
      this.write(card, 'load', rng.pick([1000, 2000, 2500, 5000]), {
        at,
        store,
        terminal,
        employee: this.cashier(store),
        order: this.order(),
        customer: owner,
      })
      if (rng.chance(0.6))
        this.redeem(
          card,
          rng.chance(0.5) ? Number.POSITIVE_INFINITY : Math.round(card.balance * 0.6),
          at + rng.between(1, 10) * MINUTE,
          store,
          owner,
          terminal,
        )
      else
        this.redeem(
          card,
          Math.round(card.balance * rng.between(0.3, 1)),
          at + rng.between(1, 5) * DAY_MS,
          rng.chance(0.7) ? store : null,
          owner,
        )
    }
  }

  /** A regular reloading once a week at their store and spending it through the week. */
  private weeklyReloadRegular(): void {
    const rng = this.rng
    const card = this.newCard()
    const store = this.store()
    const owner = rng.chance(0.6) ? this.regular() : null
    let at = this.start + rng.between(0, 5) * DAY_MS
    this.activate(card, rng.pick([1000, 2500]), at, store, { customer: owner })
    this.lookalike(card, 'weekly_reload_regular')
    for (let w = rng.int(3, 5); w > 0 && at < this.end - 7 * DAY_MS; w--) {
      at = this.storeHours(at + rng.between(6, 8) * DAY_MS)
      const terminal = this.till(store)
      this.write(card, 'load', rng.pick([1000, 2000, 2500]), {
        at,
        store,
        terminal,
        employee: this.cashier(store),
        order: this.order(),
        customer: owner,
      })
      // A first coffee right away, the rest over the following days.
      let when = at + rng.between(2, 10) * MINUTE
      for (let v = rng.int(2, 4); v > 0 && card.balance > 0; v--) {
        this.redeem(card, Math.round(card.balance * rng.between(0.2, 0.5)), when, store, owner)
        when = this.storeHours(when + rng.between(1, 2) * DAY_MS)
      }
    }
  }

  /** A store's service desk checking customers' cards all day, at a steady pace. */
  private serviceDeskChecks(): void {
    const rng = this.rng
    const store = this.store()
    const terminal = `${store.id}-desk`
    const day = this.anyTime()
    let at = Math.floor(day / DAY_MS) * DAY_MS + 14 * HOUR
    const close = at + rng.between(8, 11) * HOUR
    const pace = rng.between(6, 15)
    while (at < close) {
      at += rng.exponential(pace) * MINUTE + 2 * MINUTE
      const card = this.newCard()
      this.activate(card, rng.pick(DENOMINATIONS), at - rng.between(2, 60) * DAY_MS, this.store())
      this.lookalike(card, 'service_desk_checks')
      const holder = rng.chance(0.4) ? this.regular() : null
      this.write(card, 'balance_check', 0, { at, store, terminal, customer: holder })
      if (rng.chance(0.5))
        this.spendSlowly(
          card,
          at,
          () => (rng.chance(0.7) ? store : this.store()),
          () => holder,
        )
    }
  }

  /** A shopper buying three or four gift cards for the family, given and spent over weeks. */
  private familyFewGiftCards(): void {
    const rng = this.rng
    const store = rng.chance(0.3) ? null : this.store()
    const buyer = rng.chance(0.5)
      ? this.regular()
      : this.customer(this.start - rng.int(0, 5) * DAY_MS)
    let at = this.anyTime()
    const terminal = store ? this.till(store) : this.device()
    for (let i = rng.int(3, 4); i > 0; i--) {
      const card = this.newCard()
      this.activate(card, rng.pick([2500, 5000, 5000, 10000]), at, store, {
        customer: buyer,
        terminal,
      })
      this.lookalike(card, 'family_few_gift_cards')
      at += rng.between(0.5, 8) * MINUTE
      this.spendSlowly(
        card,
        at + rng.between(0, 10) * DAY_MS,
        () => (rng.chance(0.3) ? null : this.store()),
        () => null,
      )
    }
  }

  /** A purchase paid with the card and later returned: the refund names the card's own order. */
  private genuineRefund(): void {
    const rng = this.rng
    const card = this.newCard()
    const store = this.store()
    const owner = rng.chance(0.6) ? this.regular() : null
    let at = this.anyTime() - 10 * DAY_MS
    this.activate(card, rng.pick([5000, 10000, 20000]), at, store, { customer: owner })
    this.lookalike(card, 'genuine_refund')
    at = this.storeHours(at + rng.between(1, 10) * DAY_MS)
    const order = this.order()
    const paid = this.write(card, 'redeem', Math.round(card.balance * rng.between(0.3, 0.9)), {
      at,
      store,
      terminal: this.till(store),
      employee: this.cashier(store),
      order,
      customer: owner,
    })
    const returnStore = rng.chance(0.7) ? store : this.nearbyStore(store)
    this.write(card, 'refund', Math.round(paid * rng.between(0.2, 1)), {
      at: this.storeHours(at + rng.between(1, 25) * DAY_MS),
      store: returnStore,
      terminal: this.till(returnStore),
      employee: this.cashier(returnStore),
      order,
      customer: owner,
    })
  }
}
