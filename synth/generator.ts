import {
  addMonths,
  type Channel,
  DAY_MS,
  distanceKm,
  type FraudLabel,
  type FraudPattern,
  MINUTE_MS,
  type Occasion,
  Rng,
  type TransactionType,
  toIso,
} from '../core/index.ts'
import { onlineTime, SalesCalendar, storeTime } from './calendar.ts'
import {
  AREA_CODES,
  addOnItem,
  basket,
  FIRST_NAMES,
  giftCardItem,
  type Item,
  LAST_NAMES,
} from './catalog.ts'
import { planStores, type Store } from './geography.ts'
import type { EmitRow } from './rows.ts'

/** What a synthetic chain is made from. The same parameters always give the same chain. */
export type ChainParams = {
  cards: number
  seed: number
  /** First day of sales (ms, midnight UTC). */
  startMs: number
  months: number
}

/** Share of cards that are part of an injected fraud incident (the project's choice, docs/domain.md §3). */
export const FRAUD_CARD_SHARE = 0.007

const HOUR_MS = 3_600_000
const CURRENCY = 'USD'
/**
 * Share of gift cards drawn as never used; with cards emptied by fraud and left unredeemed the
 * measured share is about 6% (docs/domain.md §1).
 */
const NEVER_USED = 0.045

/** One event in a card's life before it is written; redemption amounts are capped on write. */
type Draft = {
  at: number
  type: TransactionType
  /** Requested amount in cents (positive); `Infinity` drains the whole balance. */
  amount: number
  store: Store | null
  terminal: string | null
  employee: string | null
  order: string | null
  customer: string | null
  /** Basket theme for a redemption's order items; `null` writes no items. */
  theme: Occasion | null
  /** Items already decided (an activation's order). */
  items?: Item[]
  result?: 'ok' | 'declined'
  /** This event begins the card's fraud pattern (its label points at it). */
  marks?: FraudPattern
}

type CardPlan = {
  value: number
  issuedAt: number
  issuing: Store
  purchaser: string | null
  holder: string | null
  channel: Channel
  occasion: Occasion
  last4?: string
  expiresAt?: number | null
  events: Draft[]
}

type Incident = { at: number; kind: FraudPattern; size: number }

/**
 * Generates a retail chain's gift card ledger: stores, customers (with PII), cards sold with
 * seasonality and occasions, redemptions on the industry's curve, order items, and injected
 * fraud woven into normal traffic. Rows go to `emit`; ground truth goes only to `label`.
 */
export class ChainGenerator {
  private readonly rng: Rng
  private readonly calendar: SalesCalendar
  private readonly endMs: number
  private readonly stores: Store[]
  private readonly storeWeights: number[]
  private readonly byRegion: Map<string, Store[]>
  private eventSeq = 0
  private orderSeq = 0
  private cardSeq = 0
  private readonly customerHome: number[] = []
  private readonly customerCreated: number[] = []
  /** Recent corporate buyers, who come back for more cards. */
  private readonly corporateBuyers: number[] = []
  cardsWritten = 0
  transactionsWritten = 0

  constructor(
    private readonly params: ChainParams,
    private readonly emit: EmitRow,
    private readonly label: (label: FraudLabel) => void,
  ) {
    this.rng = new Rng(params.seed)
    this.calendar = new SalesCalendar(params.startMs, params.months)
    this.endMs = Date.UTC(
      new Date(params.startMs).getUTCFullYear(),
      new Date(params.startMs).getUTCMonth() + params.months,
      1,
    )
    const storeCount = Math.min(60, Math.max(20, Math.round(20 + params.cards / 25_000)))
    this.stores = planStores(this.rng, storeCount, params.startMs)
    this.storeWeights = this.stores.map((s) => s.weight)
    this.byRegion = new Map()
    for (const store of this.stores) {
      const list = this.byRegion.get(store.region) ?? []
      list.push(store)
      this.byRegion.set(store.region, list)
    }
  }

  /** The first instant after the data: nothing happens at or after it. */
  get dataEndMs(): number {
    return this.endMs
  }

  /**
   * Writes the whole chain. `afterPurchase` runs between purchases (the caller flushes
   * buffers and reports progress there).
   */
  async run(afterPurchase: () => Promise<void> | void): Promise<void> {
    this.writeStores()
    const incidents = this.planIncidents()
    const fraudCards = incidents.reduce((n, i) => n + i.size, 0)
    const normalCards = Math.max(0, this.params.cards - fraudCards)
    // Incidents are woven in at random points of the normal sales, not appended at the end.
    const positions = incidents
      .map((incident) => ({ incident, at: Math.floor(this.rng.next() * normalCards) }))
      .sort((a, b) => a.at - b.at)
    let next = 0
    let normal = 0
    while (normal < normalCards || next < positions.length) {
      while (next < positions.length && (positions[next] as { at: number }).at <= normal) {
        this.writeIncident((positions[next] as { incident: Incident }).incident)
        next++
        await afterPurchase()
      }
      if (normal >= normalCards) continue
      normal += this.writePurchase(normalCards - normal)
      await afterPurchase()
    }
  }

  // ── stores and customers ──────────────────────────────────────────────────────────────

  private writeStores(): void {
    for (const s of this.stores) {
      this.emit('locations', [
        s.id,
        s.name,
        s.city,
        s.region,
        s.jurisdiction,
        s.timezone,
        s.latitude,
        s.longitude,
        toIso(s.openedAtMs),
      ])
      for (const t of s.terminals) this.emit('terminals', [t, s.id, 'pos'])
      s.terminals.push(`kiosk_${s.id.slice(4)}`)
      this.emit('terminals', [s.terminals.at(-1), s.id, 'kiosk'])
      s.employees.forEach((e, i) => {
        this.emit('employees', [
          e,
          s.id,
          i < 2 ? 'supervisor' : 'cashier',
          toIso(s.openedAtMs + this.rng.int(0, 900) * DAY_MS),
        ])
      })
    }
  }

  private newCustomer(home: Store, createdAt: number): string {
    const index = this.customerHome.length
    this.customerHome.push(home.index)
    this.customerCreated.push(createdAt)
    const id = customerId(index)
    const first = this.rng.pick(FIRST_NAMES)
    const last = this.rng.pick(LAST_NAMES)
    const areaCodes = AREA_CODES[home.jurisdiction] ?? ['555']
    this.emit('customers', [
      id,
      `cust_${mix32(index + 1)
        .toString(16)
        .padStart(8, '0')}`,
      `${first} ${last}`,
      `${first}.${last}${index}@example.com`.toLowerCase(),
      `+1-${this.rng.pick(areaCodes)}-555-01${String(this.rng.int(0, 99)).padStart(2, '0')}`,
      home.jurisdiction,
      home.id,
      toIso(createdAt),
    ])
    return id
  }

  /** A returning customer (30%) or a new one, living near `store`. */
  private customerAt(store: Store, at: number, returning = 0.3): string {
    if (this.customerHome.length > 50 && this.rng.chance(returning)) {
      for (let tries = 0; tries < 4; tries++) {
        const index = this.rng.int(0, this.customerHome.length - 1)
        if ((this.customerCreated[index] as number) < at) return customerId(index)
      }
    }
    return this.newCustomer(this.nearby(store), at - this.rng.int(0, 400) * DAY_MS)
  }

  private randomStore(): Store {
    return this.stores[this.rng.weighted(this.storeWeights)] as Store
  }

  /** The same store (60%) or another in its region. */
  private nearby(store: Store): Store {
    if (this.rng.chance(0.6)) return store
    return this.rng.pick(this.byRegion.get(store.region) ?? [store])
  }

  private storeOf(customer: string | null, fallback: Store): Store {
    if (!customer) return fallback
    return this.stores[this.customerHome[customerIndex(customer)] as number] ?? fallback
  }

  // ── normal sales ─────────────────────────────────────────────────────────────────────

  /** One purchase of one or more cards; returns how many cards it sold. */
  private writePurchase(cardsLeft: number): number {
    const rng = this.rng
    const day = this.calendar.saleDay(rng)
    const month = new Date(day).getUTCMonth()
    const season = month >= 10
    const occasion = (['holiday', 'birthday', 'corporate', 'self_use'] as const)[
      rng.weighted(season ? [72, 9, 1.25, 12] : [4, 72, 1.1, 16])
    ] as Occasion
    const store = this.randomStore()

    if (occasion === 'corporate') return this.writeCorporatePurchase(day, store, cardsLeft)

    const channel: Channel =
      occasion === 'self_use'
        ? (['in_store', 'mobile', 'online'] as const)[rng.weighted([40, 50, 10])]!
        : (['in_store', 'online', 'mobile'] as const)[
            rng.weighted(occasion === 'holiday' ? [60, 35, 5] : [45, 50, 5])
          ]!
    const at = channel === 'in_store' ? storeTime(rng, day, store) : onlineTime(rng, day, store)
    const purchaser = this.customerAt(store, at)
    const count =
      occasion === 'holiday' ? Math.min(cardsLeft, rng.weighted([50, 25, 15, 7, 3]) + 1) : 1
    const order = this.nextOrder()
    for (let i = 0; i < count; i++) {
      const value = denomination(rng, occasion)
      const plan: CardPlan = {
        value,
        issuedAt: at,
        issuing: channel === 'in_store' ? store : this.storeOf(purchaser, store),
        purchaser,
        holder: occasion === 'self_use' ? purchaser : null,
        channel,
        occasion,
        // A few promotional programmes print an expiry date (never under the CARD Act's 5 years).
        expiresAt: rng.chance(0.04) ? addMonths(at, 60) : null,
        events: [],
      }
      const items = [giftCardItem(value, channel !== 'in_store')]
      if (i === 0 && rng.chance(0.25)) items.push(addOnItem(rng))
      plan.events.push(this.activation(plan, order, items))
      if (occasion === 'self_use') this.selfUseLife(plan)
      else {
        if (rng.chance(0.35)) plan.holder = this.newCustomer(this.nearby(store), at)
        this.giftLife(plan)
      }
      this.writeCard(plan)
    }
    return count
  }

  /** A company buying cards for staff or clients: an established customer, round amounts. */
  private writeCorporatePurchase(day: number, store: Store, cardsLeft: number): number {
    const rng = this.rng
    const at = onlineTime(rng, day, store) - 6 * HOUR_MS
    // A returning buyer must have existed for a while by the day of this order (purchases are
    // generated in random date order).
    let buyer: string | undefined
    for (
      let tries = 0;
      tries < 4 && !buyer && this.corporateBuyers.length > 0 && rng.chance(0.5);
      tries++
    ) {
      const index = rng.pick(this.corporateBuyers)
      if ((this.customerCreated[index] as number) < at - 30 * DAY_MS) buyer = customerId(index)
    }
    if (!buyer) {
      buyer = this.newCustomer(store, at - rng.int(200, 2000) * DAY_MS)
      this.corporateBuyers.push(customerIndex(buyer))
    }
    const count = Math.min(cardsLeft, Math.round(rng.lognormal(14, 0.7)) + 4)
    const value = rng.pick([2500, 5000, 5000, 10000, 10000, 25000])
    const order = this.nextOrder()
    for (let i = 0; i < count; i++) {
      const plan: CardPlan = {
        value,
        issuedAt: at,
        issuing: this.storeOf(buyer, store),
        purchaser: buyer,
        holder: rng.chance(0.3) ? this.newCustomer(this.nearby(store), at) : null,
        channel: rng.chance(0.9) ? 'corporate' : 'online',
        occasion: 'corporate',
        events: [],
      }
      plan.events.push(this.activation(plan, order, [giftCardItem(value, true)]))
      this.giftLife(plan)
      this.writeCard(plan)
    }
    return count
  }

  private activation(
    plan: CardPlan,
    order: string | null,
    items: Item[] | undefined,
    employee?: string,
  ): Draft {
    const inStore = plan.channel === 'in_store'
    return {
      at: plan.issuedAt,
      type: 'activate',
      amount: plan.value,
      store: inStore ? plan.issuing : null,
      terminal: inStore
        ? this.rng.pick(plan.issuing.terminals.slice(0, -1))
        : `web-${mix32(customerIndexOrZero(plan.purchaser)).toString(16)}`,
      employee: inStore ? (employee ?? this.rng.pick(plan.issuing.employees)) : null,
      order,
      customer: plan.purchaser,
      theme: null,
      ...(items ? { items } : {}),
    }
  }

  /** First-use age of a gift card, in ms: prompt, medium and late users, and the holiday spike. */
  private firstUseDelay(plan: CardPlan): number {
    const rng = this.rng
    const month = new Date(plan.issuedAt).getUTCMonth()
    if (
      (plan.occasion === 'holiday' || plan.occasion === 'corporate') &&
      month >= 10 &&
      rng.chance(0.5)
    ) {
      // Given on Christmas, spent in the weeks after: the post-holiday redemption spike.
      const christmas = SalesCalendar.christmasOf(plan.issuedAt)
      return (
        Math.max(HOUR_MS, christmas - plan.issuedAt) +
        rng.exponential(7) * DAY_MS +
        rng.int(10, 20) * HOUR_MS
      )
    }
    const kind = rng.weighted([5, 57, 38])
    if (kind === 0) return rng.exponential(8) * DAY_MS + rng.int(1, 10) * HOUR_MS
    if (kind === 1) return rng.lognormal(52, 0.7) * DAY_MS
    return rng.lognormal(280, 0.6) * DAY_MS
  }

  /** A gift card's life: most are spent in a few visits, some leave a residual, ~6% never. */
  private giftLife(plan: CardPlan): void {
    const rng = this.rng
    const holder = plan.holder
    const home = this.storeOf(holder ?? plan.purchaser, plan.issuing)
    let lastAt = plan.issuedAt
    if (!rng.chance(NEVER_USED)) {
      const visits =
        plan.value <= 3000
          ? 1 + (rng.chance(0.3) ? 1 : 0)
          : plan.value <= 7500
            ? rng.weighted([45, 40, 15]) + 1
            : rng.weighted([25, 40, 25, 10]) + 1
      const residual = rng.chance(0.45)
        ? 0
        : rng.chance(0.72)
          ? rng.int(5, 499)
          : Math.round(plan.value * rng.between(0.05, 0.35))
      let left = plan.value - residual
      let at = plan.issuedAt + this.firstUseDelay(plan)
      for (let v = 0; v < visits && left > 0; v++) {
        const amount =
          v === visits - 1 ? left : Math.max(100, Math.round(left * rng.between(0.35, 0.75)))
        left -= amount
        const store = rng.chance(0.15)
          ? null
          : rng.chance(0.8)
            ? this.nearby(home)
            : this.randomStore()
        at = store ? roundToStoreHours(at, store) : at
        this.redemption(plan, at, amount, store, holder, plan.occasion)
        lastAt = at
        at += (rng.exponential(30) + 0.2) * DAY_MS
      }
      // A few holders travel and spend the card in another state a day or more later.
      if (rng.chance(0.01) && plan.value > 5000) {
        const away = this.randomStore()
        this.redemption(
          plan,
          roundToStoreHours(lastAt + rng.int(1, 6) * DAY_MS, away),
          rng.int(500, 3000),
          away,
          holder,
          plan.occasion,
        )
      }
    }
    this.balanceChecks(plan, home, lastAt)
  }

  /** A reloadable card the buyer spends on themself: small visits, reloads, then it fades out. */
  private selfUseLife(plan: CardPlan): void {
    const rng = this.rng
    const home = plan.issuing
    const lifetime = (rng.exponential(360) + 20) * DAY_MS
    let balance = plan.value
    let at = plan.issuedAt
    if (plan.channel === 'in_store' && rng.chance(0.1)) {
      // Bought and used on the spot (looks like a drain, but at the same store, for a part).
      at += rng.int(2, 20) * MINUTE_MS
      const spend = Math.min(balance, rng.int(300, Math.max(400, Math.round(plan.value * 0.6))))
      this.redemption(plan, at, spend, home, plan.holder, 'self_use')
      balance -= spend
    }
    while (true) {
      at += (rng.exponential(4.5) + 0.1) * DAY_MS
      if (at - plan.issuedAt > lifetime) break
      const store = rng.chance(0.85) ? home : this.nearby(home)
      at = roundToStoreHours(at, store)
      const spend = Math.max(150, Math.round(rng.lognormal(1100, 0.6)))
      if (balance < spend) {
        const reload = rng.pick([2000, 2500, 2500, 5000, 5000, 10000])
        const online = rng.chance(0.6)
        this.push(plan, {
          at: Math.max(plan.issuedAt + MINUTE_MS, at - (online ? rng.int(5, 600) : 1) * MINUTE_MS),
          type: 'load',
          amount: reload,
          store: online ? null : store,
          terminal: online
            ? `web-${mix32(customerIndexOrZero(plan.purchaser)).toString(16)}`
            : rng.pick(store.terminals.slice(0, -1)),
          employee: online ? null : rng.pick(store.employees),
          order: this.nextOrder(),
          customer: plan.purchaser,
          theme: null,
        })
        balance += reload
      }
      const charge = Math.min(balance, spend)
      this.redemption(plan, at, charge, store, plan.holder, 'self_use')
      balance -= charge
    }
    this.balanceChecks(plan, home, at)
  }

  private redemption(
    plan: CardPlan,
    at: number,
    amount: number,
    store: Store | null,
    customer: string | null,
    theme: Occasion,
  ): void {
    const rng = this.rng
    const order = this.nextOrder()
    this.push(plan, {
      at,
      type: 'redeem',
      amount,
      store,
      terminal: store
        ? rng.pick(store.terminals.slice(0, -1))
        : `web-${mix32(customerIndexOrZero(customer)).toString(16)}`,
      employee: store ? rng.pick(store.employees) : null,
      order,
      customer,
      theme,
    })
    // Some goods bought with the card come back: a refund to the card, at the same store.
    if (store && Number.isFinite(amount) && amount >= 1000 && rng.chance(0.03)) {
      this.push(plan, {
        at: at + rng.int(2, 30) * DAY_MS + rng.int(0, 8) * HOUR_MS,
        type: 'refund',
        amount: Math.round(amount * rng.between(0.2, 1)),
        store,
        terminal: rng.pick(store.terminals.slice(0, -1)),
        employee: rng.pick(store.employees),
        order,
        customer,
        theme: null,
      })
    }
  }

  /** Holders checking what is left: online or at a store, now and then a mistyped number. */
  private balanceChecks(plan: CardPlan, home: Store, until: number): void {
    const rng = this.rng
    if (!rng.chance(0.45)) return
    const checks = rng.weighted([55, 30, 15]) + 1
    const span = Math.max(DAY_MS, until - plan.issuedAt)
    for (let i = 0; i < checks; i++) {
      const online = rng.chance(0.6)
      const at = plan.issuedAt + rng.next() * span + HOUR_MS
      const draft: Draft = {
        at: online ? at : roundToStoreHours(at, home),
        type: 'balance_check',
        amount: 0,
        store: online ? null : home,
        terminal: online
          ? `web-${mix32(customerIndexOrZero(plan.holder)).toString(16)}`
          : rng.pick(home.terminals),
        employee: null,
        order: null,
        customer: plan.holder,
        theme: null,
      }
      if (rng.chance(0.03)) this.writeStrayCheck(draft)
      this.push(plan, draft)
    }
  }

  /** A balance check on a number that matches no card (a typo, or an attacker's guess). */
  private writeStrayCheck(draft: Draft): void {
    if (draft.at >= this.endMs) return
    this.emitTransaction(null, draft, 'declined', 0, null)
  }

  // ── fraud ────────────────────────────────────────────────────────────────────────────

  /** Fraud incidents sized so about FRAUD_CARD_SHARE of cards are involved, every pattern present. */
  private planIncidents(): Incident[] {
    const rng = this.rng
    const target = this.params.cards * FRAUD_CARD_SHARE
    const first = this.params.startMs + 45 * DAY_MS
    const last = this.endMs - 21 * DAY_MS
    const when = () => first + rng.next() * Math.max(DAY_MS, last - first)
    const incidents: Incident[] = []
    const add = (kind: FraudPattern, share: number, size: () => number, minimum: number) => {
      let cards = 0
      let count = 0
      while (true) {
        const n = size()
        // Past the minimum, stop where one more incident would overshoot the pattern's share.
        if (count >= minimum && cards + n / 2 > target * share) break
        incidents.push({ at: when(), kind, size: n })
        cards += n
        count++
      }
    }
    add('bulk_purchase', 0.24, () => rng.int(8, 18), 1)
    add('balance_check_enumeration', 0.15, () => rng.int(3, 7), 1)
    add('drain_after_activation', 0.22, () => 1, 3)
    add('impossible_travel', 0.14, () => 1, 3)
    add('reload_and_drain', 0.12, () => 1, 3)
    add('refund_abuse', 0.13, () => rng.int(4, 8), 1)
    return incidents
  }

  /** How each pattern's incident is written; `Record` makes sure none is forgotten. */
  private readonly incidentWriters: Record<FraudPattern, (incident: Incident) => void> = {
    drain_after_activation: (i) => this.drainAfterActivation(i.at),
    balance_check_enumeration: (i) => this.enumeration(i.at, i.size),
    bulk_purchase: (i) => this.bulkPurchase(i.at, i.size),
    impossible_travel: (i) => this.impossibleTravel(i.at),
    reload_and_drain: (i) => this.reloadAndDrain(i.at),
    refund_abuse: (i) => this.refundAbuse(i.at, i.size),
  }

  private writeIncident(incident: Incident): void {
    this.incidentWriters[incident.kind](incident)
  }

  /** A harvested rack card: sold normally, then drained minutes later somewhere else. */
  private drainAfterActivation(day: number): void {
    const rng = this.rng
    const store = this.randomStore()
    const at = storeTime(rng, startOfDay(day), store)
    const purchaser = this.customerAt(store, at)
    const value = rng.pick([5000, 10000, 10000, 20000, 25000, 50000])
    const plan: CardPlan = {
      value,
      issuedAt: at,
      issuing: store,
      purchaser,
      holder: null,
      channel: 'in_store',
      occasion: rng.chance(0.6) ? 'holiday' : 'birthday',
      events: [],
    }
    plan.events.push({
      ...this.activation(plan, this.nextOrder(), [giftCardItem(value, false)]),
      marks: 'drain_after_activation',
    })
    const drainAt = at + Math.min(55, Math.max(1, rng.lognormal(7, 0.7))) * MINUTE_MS
    const elsewhere = rng.chance(0.45) ? null : this.otherStore(store)
    this.redemption(plan, drainAt, Number.POSITIVE_INFINITY, elsewhere, null, 'corporate')
    // The real recipient finds the card empty a few days later.
    if (rng.chance(0.6)) {
      this.push(plan, {
        at: drainAt + rng.int(1, 20) * DAY_MS,
        type: 'balance_check',
        amount: 0,
        store: null,
        terminal: `web-${rng.hex(6)}`,
        employee: null,
        order: null,
        customer: null,
        theme: null,
      })
    }
    this.writeCard(plan, 'drain_after_activation')
  }

  /** Balance checks run down a range of sequential card numbers; the live ones get drained. */
  private enumeration(day: number, victims: number): void {
    const rng = this.rng
    const rackStore = this.randomStore()
    const attackAt = storeTime(rng, startOfDay(day), rackStore)
    const kiosk = rng.chance(0.5)
    const attackStore = kiosk ? this.randomStore() : null
    const terminal = attackStore ? (attackStore.terminals.at(-1) as string) : `web-${rng.hex(8)}`
    const span = rng.int(40, 160) + victims
    const base = rng.int(0, 9999 - span)
    const hits = new Set<number>()
    while (hits.size < victims) hits.add(rng.int(0, span - 1))
    let at = attackAt
    const plans: CardPlan[] = []
    for (let i = 0; i < span; i++) {
      at += rng.int(3, 25) * 1000
      const check: Draft = {
        at,
        type: 'balance_check',
        amount: 0,
        store: attackStore,
        terminal,
        employee: null,
        order: null,
        customer: null,
        theme: null,
      }
      if (!hits.has(i)) {
        this.writeStrayCheck(check)
        continue
      }
      const issuedAt = storeTime(
        rng,
        startOfDay(Math.max(this.params.startMs, attackAt - rng.int(1, 60) * DAY_MS)),
        rackStore,
      )
      const purchaser = this.customerAt(rackStore, issuedAt)
      const value = rng.pick([2500, 5000, 5000, 10000])
      const plan: CardPlan = {
        value,
        issuedAt,
        issuing: rackStore,
        purchaser,
        holder: null,
        channel: 'in_store',
        occasion: rng.chance(0.5) ? 'holiday' : 'birthday',
        last4: String(base + i).padStart(4, '0'),
        events: [],
      }
      plan.events.push(this.activation(plan, this.nextOrder(), [giftCardItem(value, false)]))
      plan.events.push({ ...check, marks: 'balance_check_enumeration' })
      plans.push(plan)
    }
    for (const plan of plans) {
      const drainAt = at + (rng.exponential(90) + 5) * MINUTE_MS
      this.redemption(
        plan,
        drainAt,
        Number.POSITIVE_INFINITY,
        rng.chance(0.6) ? null : this.randomStore(),
        null,
        'corporate',
      )
      this.writeCard(plan, 'balance_check_enumeration')
    }
  }

  /** Many cards bought at once with stolen payment cards: a new customer, amounts under $250. */
  private bulkPurchase(day: number, count: number): void {
    const rng = this.rng
    const store = this.randomStore()
    const online = rng.chance(0.6)
    const at = online
      ? onlineTime(rng, startOfDay(day), store)
      : storeTime(rng, startOfDay(day), store)
    const buyer = this.newCustomer(store, at - rng.int(2, 90) * MINUTE_MS)
    const order = this.nextOrder()
    for (let i = 0; i < count; i++) {
      const value = rng.int(180, 249) * 100
      const plan: CardPlan = {
        value,
        issuedAt: at,
        issuing: store,
        purchaser: buyer,
        holder: null,
        channel: online ? 'online' : 'in_store',
        occasion: 'holiday',
        events: [],
      }
      plan.events.push({
        ...this.activation(plan, order, [giftCardItem(value, online)]),
        marks: 'bulk_purchase',
      })
      let spendAt = at + (rng.exponential(30) + 0.3) * HOUR_MS
      const visits = rng.chance(0.8) ? 1 : 2
      for (let v = 0; v < visits; v++) {
        this.redemption(
          plan,
          spendAt,
          v === visits - 1 ? Number.POSITIVE_INFINITY : Math.round(value * 0.6),
          rng.chance(0.5) ? null : this.randomStore(),
          null,
          'corporate',
        )
        spendAt += rng.exponential(18) * HOUR_MS
      }
      this.writeCard(plan, 'bulk_purchase')
    }
  }

  /** A cloned card: two redemptions hundreds of kilometres apart within an hour or two. */
  private impossibleTravel(day: number): void {
    const rng = this.rng
    const store = this.randomStore()
    const at = storeTime(
      rng,
      startOfDay(Math.max(this.params.startMs, day - rng.int(5, 60) * DAY_MS)),
      store,
    )
    const purchaser = this.customerAt(store, at)
    const value = rng.pick([5000, 10000, 15000, 20000])
    const plan: CardPlan = {
      value,
      issuedAt: at,
      issuing: store,
      purchaser,
      holder: purchaser,
      channel: 'in_store',
      occasion: 'birthday',
      events: [],
    }
    plan.events.push(this.activation(plan, this.nextOrder(), [giftCardItem(value, false)]))
    const legitAt = storeTime(rng, startOfDay(day), store)
    const far = this.farStore(store)
    const cloneAt = legitAt + (rng.chance(0.5) ? 1 : -1) * rng.int(10, 150) * MINUTE_MS
    const legit = Math.round(value * rng.between(0.2, 0.5))
    this.redemption(plan, legitAt, legit, store, purchaser, 'birthday')
    // The clone takes the rest, whichever of the two comes first.
    this.redemption(plan, cloneAt, value - legit, far, null, 'corporate')
    const [earlier] = plan.events.filter((e) => e.type === 'redeem').sort((a, b) => a.at - b.at)
    if (earlier) earlier.marks = 'impossible_travel'
    this.writeCard(plan, 'impossible_travel')
  }

  /** Small reloads each followed within minutes by a redemption of everything on the card. */
  private reloadAndDrain(day: number): void {
    const rng = this.rng
    const store = this.randomStore()
    let at = onlineTime(rng, startOfDay(day), store)
    const customer = this.newCustomer(store, at - rng.int(1, 30) * DAY_MS)
    const value = rng.pick([1000, 1500, 2000, 2500])
    const plan: CardPlan = {
      value,
      issuedAt: at,
      issuing: store,
      purchaser: customer,
      holder: customer,
      channel: 'mobile',
      occasion: 'self_use',
      events: [],
    }
    plan.events.push(this.activation(plan, this.nextOrder(), [giftCardItem(value, true)]))
    const cycles = rng.int(3, 6)
    const client = `web-${rng.hex(8)}`
    for (let c = 0; c < cycles; c++) {
      at += (rng.exponential(2) + 0.3) * DAY_MS
      this.push(plan, {
        at,
        type: 'load',
        amount: rng.int(5, 20) * 1000,
        store: null,
        terminal: client,
        employee: null,
        order: this.nextOrder(),
        customer,
        theme: null,
        ...(c === 0 ? { marks: 'reload_and_drain' as const } : {}),
      })
      const drainStore = rng.chance(0.5) ? null : this.randomStore()
      this.redemption(
        plan,
        at + rng.int(1, 15) * MINUTE_MS,
        Number.POSITIVE_INFINITY,
        drainStore,
        null,
        'corporate',
      )
    }
    this.writeCard(plan, 'reload_and_drain')
  }

  /** One cashier loading refunds onto cards, or activating cards nobody paid for. */
  private refundAbuse(day: number, count: number): void {
    const rng = this.rng
    const store = this.randomStore()
    const employee = rng.pick(store.employees)
    const terminal = rng.pick(store.terminals.slice(0, -1))
    let at = storeTime(rng, startOfDay(day), store)
    for (let i = 0; i < count; i++) {
      at = storeTime(rng, startOfDay(at + rng.int(1, 9) * DAY_MS), store)
      const unpaid = rng.chance(0.4)
      const value = unpaid ? rng.int(10, 30) * 1000 : rng.pick([1000, 2000, 2500])
      const plan: CardPlan = {
        value,
        issuedAt: at,
        issuing: store,
        purchaser: null,
        holder: null,
        channel: 'in_store',
        occasion: 'self_use',
        events: [],
      }
      const activation = {
        ...this.activation(
          plan,
          unpaid ? null : this.nextOrder(),
          unpaid ? undefined : [giftCardItem(value, false)],
          employee,
        ),
        terminal,
      }
      plan.events.push(unpaid ? { ...activation, marks: 'refund_abuse' } : activation)
      if (!unpaid) {
        this.push(plan, {
          at: at + rng.int(3, 40) * MINUTE_MS,
          type: 'refund',
          amount: rng.int(6, 25) * 1000,
          store,
          terminal,
          employee,
          order: `ord_r${rng.hex(8)}`,
          customer: null,
          theme: null,
          marks: 'refund_abuse',
        })
      }
      this.redemption(
        plan,
        at + (rng.exponential(20) + 1) * HOUR_MS,
        Number.POSITIVE_INFINITY,
        rng.chance(0.5) ? null : this.otherStore(store),
        null,
        'corporate',
      )
      this.writeCard(plan, 'refund_abuse')
    }
  }

  private otherStore(store: Store): Store {
    for (let tries = 0; tries < 10; tries++) {
      const other = this.randomStore()
      if (other.id !== store.id) return other
    }
    return this.stores.find((s) => s.id !== store.id) ?? store
  }

  /** A store at least 1,000 km away. */
  private farStore(store: Store): Store {
    const far = this.stores.filter((s) => distanceKm(s, store) >= 1000)
    return far.length > 0 ? this.rng.pick(far) : this.otherStore(store)
  }

  // ── writing ──────────────────────────────────────────────────────────────────────────

  private push(plan: CardPlan, draft: Draft): void {
    plan.events.push(draft)
  }

  private nextOrder(): string {
    return `ord_${(++this.orderSeq).toString(36).padStart(7, '0')}`
  }

  /**
   * Replays the card's events in time order: caps each redemption at the balance (no
   * balance ever goes negative), drops what falls after the data ends, and writes the card,
   * its transactions, order items and, for fraud, its label.
   */
  private writeCard(plan: CardPlan, fraud?: FraudPattern): void {
    const rng = this.rng
    const n = this.cardSeq++
    const id = `gc_${mix32(n + 0x5eed)
      .toString(16)
      .padStart(8, '0')}`
    const events = plan.events
      .filter((e) => e.at < this.endMs && e.at >= plan.issuedAt)
      .sort((a, b) => a.at - b.at)
    let balance = 0
    let lastActivity: number | null = null
    let redeemed = false
    let label: FraudLabel | undefined
    const rows: { draft: Draft; amount: number; balance: number }[] = []
    for (const draft of events) {
      let amount = 0
      if (draft.type === 'redeem') {
        amount = -Math.min(balance, draft.amount)
        if (amount === 0) continue
        redeemed = true
      } else if (draft.type !== 'balance_check') {
        amount = draft.amount
      }
      if (!Number.isSafeInteger(amount)) {
        throw new Error(`seed bug: ${draft.type} of ${amount} cents on card ${id}`)
      }
      balance += amount
      if (draft.type !== 'balance_check') lastActivity = draft.at
      rows.push({ draft, amount, balance })
    }
    this.emit('gift_cards', [
      id,
      'seed',
      null,
      plan.last4 ?? String(rng.int(0, 9999)).padStart(4, '0'),
      plan.value,
      balance,
      CURRENCY,
      balance === 0 && redeemed ? 'redeemed' : 'active',
      toIso(plan.issuedAt),
      plan.expiresAt ? toIso(plan.expiresAt) : null,
      plan.issuing.id,
      plan.purchaser,
      plan.holder,
      plan.channel,
      plan.occasion,
      lastActivity === null ? null : toIso(lastActivity),
      toIso(lastActivity ?? plan.issuedAt),
    ])
    this.cardsWritten++
    for (const { draft, amount, balance: after } of rows) {
      const eventId = this.emitTransaction(id, draft, draft.result ?? 'ok', amount, after)
      if (fraud && draft.marks === fraud && !label) {
        label = {
          card_id: id,
          pattern: fraud,
          first_event_id: eventId,
          occurred_at: toIso(draft.at),
        }
      }
      if (draft.order && draft.type !== 'refund') {
        const items = draft.items ?? (draft.theme ? this.orderItems(draft.theme, -amount) : [])
        for (const item of items)
          this.emit('order_items', [draft.order, item.sku, item.category, item.amountCents])
      }
    }
    if (label) this.label(label)
  }

  /** The order a redemption paid for: the card's part plus, often, another tender. */
  private orderItems(theme: Occasion, cardPart: number): Item[] {
    const extra = this.rng.chance(0.4) ? Math.round(cardPart * this.rng.between(0.1, 0.8)) : 0
    return basket(this.rng, theme, cardPart + extra)
  }

  private emitTransaction(
    cardId: string | null,
    draft: Draft,
    result: 'ok' | 'declined',
    amount: number,
    balanceAfter: number | null,
  ): string {
    const eventId = `seed-${(++this.eventSeq).toString(36).padStart(8, '0')}`
    this.emit('gift_card_transactions', [
      'seed',
      eventId,
      cardId,
      draft.type,
      result,
      amount,
      balanceAfter,
      CURRENCY,
      toIso(draft.at),
      draft.store?.id ?? null,
      draft.terminal,
      draft.order,
      draft.customer,
      draft.employee,
    ])
    this.transactionsWritten++
    return eventId
  }
}

/** A card's face value for the occasion: the usual denominations, now and then a custom amount. */
function denomination(rng: Rng, occasion: Occasion): number {
  if (rng.chance(0.08)) return rng.int(2, 40) * 500
  switch (occasion) {
    case 'holiday':
      return [2500, 5000, 7500, 10000, 15000, 20000][rng.weighted([25, 35, 8, 22, 5, 5])] as number
    case 'birthday':
      return [2000, 2500, 5000, 7500, 10000][rng.weighted([10, 35, 35, 8, 12])] as number
    case 'corporate':
      return [2500, 5000, 10000][rng.weighted([25, 45, 30])] as number
    case 'self_use':
      return [1000, 1500, 2000, 2500, 5000][rng.weighted([20, 15, 30, 25, 10])] as number
  }
}

/** Moves a timestamp into store hours on the same local day (or the next morning). */
function roundToStoreHours(at: number, store: Store): number {
  const localHour = (((at / HOUR_MS + store.utcOffsetHours) % 24) + 24) % 24
  if (localHour >= 9 && localHour < 21) return Math.round(at)
  const shift = localHour < 9 ? 9 - localHour : 24 - localHour + 9
  return Math.round(at + (shift + 0.25) * HOUR_MS)
}

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS
}

/** A bijective 32-bit mix: turns sequence numbers into ids that do not look sequential. */
export function mix32(n: number): number {
  let x = n >>> 0
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0
  return (x ^ (x >>> 16)) >>> 0
}

function customerId(index: number): string {
  return `cus_${String(index + 1).padStart(7, '0')}`
}

function customerIndex(id: string): number {
  return Number(id.slice(4)) - 1
}

function customerIndexOrZero(id: string | null): number {
  return id ? customerIndex(id) + 1 : 0
}
