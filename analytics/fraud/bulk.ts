/**
 * Bulk purchase with stolen payment cards (docs/domain.md §3): many cards activated by one
 * buyer in a short window, in one order or in one order per card minutes apart. The buyer is
 * the customer when the ledger names one, else the terminal or web client that sold them
 * (a weaker grouping: the reason says the buyer is unknown), else the order. Corporate orders
 * look the same at the till; what tells them apart is what follows: stolen-card buyers cash
 * out or resell within hours, before the chargeback, while a company's cards are handed out
 * and spent slowly, over weeks, by many people. So a group is flagged, every card of it, once
 * enough of its cards are largely spent within a day of purchase (more of them for a buyer
 * known for months, whose own history vouches for them); a new buyer raises the score.
 */

export type BulkThresholds = {
  /** Cards in a group from which it is a bulk purchase. */
  bulkMinCards: number
  /**
   * A smaller group, from this many cards, counts only when its buyer is not long known and
   * (grouped by a named customer) two of its cards, or (buyer unknown) all of them, are drained:
   * a family buying three gifts is spent slowly; scored lower.
   */
  bulkSmallMinCards: number
  /** Activations by one buyer this close together belong to one group. */
  bulkGapMs: number
  /** A card of the group counts as drained when this share of it is spent within… */
  bulkDrainShare: number
  /** …this long of its activation. */
  bulkDrainWithinMs: number
  /** Drained cards (at least this many, and this share of the group) that flag it. */
  bulkMinDrained: number
  bulkDrainedShare: number
  /** A buyer known this long needs this share of the group drained (their history vouches). */
  bulkKnownBuyerMs: number
  bulkKnownBuyerDrainedShare: number
  /** A buyer first known this shortly before the purchase is new. */
  bulkNewCustomerMs: number
}

export type BulkFinding = {
  cardId: string
  score: number
  eventIds: string[]
  reason: string
  figures: Record<string, number | string>
}

type Member = { cardId: string; eventId: string; value: number; at: number; spent: number }

type Group = {
  label: string
  byCustomer: boolean
  firstAt: number
  lastAt: number
  members: Member[]
  orders: Set<string>
  drained: number
  /** How long the buyer had been known at the first purchase (undefined: unknown). */
  buyerAgeMs: number | undefined
  flagged: boolean
  lastDrainEvent: string
}

export class BulkWatch {
  /** The open group of each buyer, least recently added to first. */
  private readonly groups = new Map<string, Group>()
  /** Each recent activation's group member, oldest first (cards are drained after). */
  private readonly members = new Map<string, { group: Group; member: Member }>()

  constructor(private readonly t: BulkThresholds) {}

  /** An activation; returns flags when it joins a group already flagged. */
  activated(
    event: {
      eventId: string
      cardId: string
      at: number
      amountCents: number
      customerId: string | null
      terminalId: string | null
      orderId: string | null
    },
    customerSince: number | undefined,
  ): BulkFinding[] {
    this.prune(event.at)
    const key =
      event.customerId !== null
        ? `customer ${event.customerId}`
        : event.terminalId !== null
          ? `terminal ${event.terminalId}`
          : event.orderId !== null
            ? `order ${event.orderId}`
            : null
    if (key === null) return []
    let group = this.groups.get(key)
    if (group && event.at - group.lastAt > this.t.bulkGapMs) group = undefined
    if (!group) {
      group = {
        label: key,
        byCustomer: event.customerId !== null,
        firstAt: event.at,
        lastAt: event.at,
        members: [],
        orders: new Set(),
        drained: 0,
        buyerAgeMs: customerSince === undefined ? undefined : event.at - customerSince,
        flagged: false,
        lastDrainEvent: '',
      }
    }
    this.groups.delete(key)
    this.groups.set(key, group)
    group.lastAt = event.at
    if (event.orderId !== null && group.orders.size < 1000) group.orders.add(event.orderId)
    const member: Member = {
      cardId: event.cardId,
      eventId: event.eventId,
      value: event.amountCents,
      at: event.at,
      spent: 0,
    }
    // A card in a huge group adds nothing a reviewer needs beyond the first thousand.
    if (group.members.length < 1000) group.members.push(member)
    this.members.delete(event.cardId)
    this.members.set(event.cardId, { group, member })
    return group.flagged ? [this.finding(group, member)] : []
  }

  /** A redemption; returns flags for the whole group when it tips it over. */
  spent(cardId: string, eventId: string, at: number, amount: number): BulkFinding[] {
    const entry = this.members.get(cardId)
    if (!entry) return []
    const { group, member } = entry
    if (at - member.at > this.t.bulkDrainWithinMs) return []
    const before = member.spent
    member.spent += amount
    const share = this.t.bulkDrainShare * member.value
    if (before >= share || member.spent < share) return []
    group.drained++
    group.lastDrainEvent = eventId
    const size = group.members.length
    if (group.flagged || size < this.t.bulkSmallMinCards) return []
    const known = group.buyerAgeMs !== undefined && group.buyerAgeMs > this.t.bulkKnownBuyerMs
    if (size < this.t.bulkMinCards) {
      if (known) return []
      if (group.drained < (group.byCustomer ? this.t.bulkMinDrained : size)) return []
    } else {
      const needed = known ? this.t.bulkKnownBuyerDrainedShare : this.t.bulkDrainedShare
      if (group.drained < Math.max(this.t.bulkMinDrained, Math.ceil(needed * size))) return []
    }
    group.flagged = true
    return group.members.map((m) => this.finding(group, m))
  }

  size(): { groups: number; members: number } {
    return { groups: this.groups.size, members: this.members.size }
  }

  private finding(group: Group, member: Member): BulkFinding {
    const size = group.members.length
    const age = group.buyerAgeMs
    const newBuyer = age !== undefined && age <= this.t.bulkNewCustomerMs
    const longKnown = age !== undefined && age > this.t.bulkKnownBuyerMs
    const share = group.drained / size
    const score = Math.min(
      0.99,
      0.55 +
        0.25 * share +
        Math.min(0.1, size / 100) +
        (newBuyer ? 0.1 : 0) -
        (longKnown ? 0.05 : 0) -
        (size < this.t.bulkMinCards ? 0.1 : 0) -
        (group.byCustomer ? 0 : 0.05),
    )
    const minutes = Math.max(1, Math.round((group.lastAt - group.firstAt) / 60_000))
    const buyer = group.byCustomer
      ? age === undefined
        ? `${group.label} (not otherwise known)`
        : `${group.label} (first known ${describeAge(age)} before)`
      : `${group.label} (the buyer is unknown: no customer on the sales)`
    const orders =
      group.orders.size === 0
        ? 'no order ids'
        : group.orders.size === 1
          ? 'in one order'
          : `in ${group.orders.size} orders`
    const within = minutes === 1 ? '1 minute' : `${minutes} minutes`
    return {
      cardId: member.cardId,
      score,
      eventIds: [member.eventId, ...(group.lastDrainEvent ? [group.lastDrainEvent] : [])],
      reason: `one of ${size} cards bought ${orders} within ${within} by ${buyer}; ${group.drained} of them mostly spent within ${Math.round(this.t.bulkDrainWithinMs / 3_600_000)} hours of purchase, as stolen-card buyers cash out (a company's cards are spent over weeks)`,
      figures: {
        cards: size,
        drained: group.drained,
        orders: group.orders.size,
        minutes,
        buyer: group.label,
        ...(age !== undefined ? { buyerKnownHours: Math.round(age / 3_600_000) } : {}),
      },
    }
  }

  /** Forgets groups no longer open to new cards, and activations too old to count as drained. */
  private prune(now: number): void {
    // A closed group lives on through its members, which carry it to their drains.
    for (const [key, group] of this.groups) {
      if (now - group.lastAt <= this.t.bulkGapMs) break
      this.groups.delete(key)
    }
    for (const [card, entry] of this.members) {
      if (now - entry.member.at <= this.t.bulkDrainWithinMs) break
      this.members.delete(card)
    }
  }
}

function describeAge(ms: number): string {
  const minutes = ms / 60_000
  if (minutes < 120) return `${Math.round(minutes)} minutes`
  if (minutes < 72 * 60) return `${Math.round(minutes / 60)} hours`
  return `${Math.round(minutes / 1440)} days`
}
