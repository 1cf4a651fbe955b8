/**
 * Balance-check enumeration at a human pace (docs/domain.md §3, docs/analytics.md §Fraud
 * detection): someone at a till or kiosk typing numbers by hand, a check every minute or two,
 * perhaps in two or three sittings with pauses between, perhaps moving between two terminals of
 * one store. The fast, declined and large bursts of enumeration.ts do not see it, and the
 * marks it leaves wait for the cards to be spent elsewhere.
 *
 * What tells it from the look-alikes:
 * - a shopper checking their own card checks one number, again and again;
 * - at a busy till in a holiday rush each checked card is paid with there a minute later;
 * - a service desk checking cards all day does so at a steady pace, not a check a minute for
 *   ten or more numbers (and its own rate, measured as the day goes on, vouches for it).
 * So checks are grouped per store (every terminal of it), else per terminal or customer; a
 * check within `enumerationManualGapMs` of the group's previous one is rapid (both are); and a
 * group holding, within `enumerationManualWindowMs`, at least `enumerationManualNumbers`
 * different numbers checked rapidly and not paid with at that store right after (and that
 * share of all its numbers), a count its own rate would hardly ever give, flags those cards.
 */

import { poissonTail } from './enumeration.ts'

export type ManualBurstThresholds = {
  enumerationManualWindowMs: number
  enumerationManualGapMs: number
  enumerationManualNumbers: number
  enumerationManualUnpaidShare: number
  enumerationPaidHereMs: number
  enumerationBurstChance: number
}

export type ManualFinding = {
  cardId: string
  score: number
  eventIds: string[]
  reason: string
  figures: Record<string, number | string>
}

/** One check in a group's window. */
type Entry = {
  at: number
  cardId: string | null
  eventId: string
  declined: boolean
  /** The first check of this number in the window (repeats add no number). */
  firstOfNumber: boolean
  rapid: boolean
  /** Paid with at the checking store right after: a shopper's. */
  paid: boolean
  flagged: boolean
  /** Out of its group's window. */
  evicted: boolean
  group: Group
}

type Group = {
  label: string
  location: string | null
  entries: Entry[]
  head: number
  numbers: Map<string, number>
  /** First checks of a number, rapid and not paid: the burst's count. */
  rapidUnpaid: number
  declined: number
  /** Declined checks on no card in the window. */
  guesses: number
  /** Checks in the window whose card was paid with at the store right after. */
  paid: number
  lastAt: number
  /** Checks per day, decayed (the group's own rate), as of `lastAt`. */
  rate: number
}

const DAY_MS = 86_400_000

export class ManualBurstWatch {
  private readonly groups = new Map<string, Group>()
  /** Each card's latest check, oldest first (for telling it was paid with where checked). */
  private readonly lastCheck = new Map<string, Entry>()

  constructor(private readonly t: ManualBurstThresholds) {}

  /** Checks at the store within the window whose cards were then paid with there. */
  paidAt(locationId: string | null): number {
    return locationId === null ? 0 : (this.groups.get(`store ${locationId}`)?.paid ?? 0)
  }

  size(): number {
    return this.groups.size + this.lastCheck.size
  }

  check(event: {
    eventId: string
    cardId: string | null
    declined: boolean
    at: number
    terminalId: string | null
    customerId: string | null
    locationId: string | null
  }): ManualFinding[] {
    this.prune(event.at)
    const key =
      event.locationId !== null
        ? `store ${event.locationId}`
        : event.terminalId !== null
          ? `terminal ${event.terminalId}`
          : event.customerId !== null
            ? `customer ${event.customerId}`
            : null
    if (key === null) return []
    let group = this.groups.get(key)
    if (!group) {
      group = {
        label: key,
        location: event.locationId,
        entries: [],
        head: 0,
        numbers: new Map(),
        rapidUnpaid: 0,
        declined: 0,
        guesses: 0,
        paid: 0,
        lastAt: event.at,
        rate: 0,
      }
      this.groups.set(key, group)
    } else {
      this.groups.delete(key)
      this.groups.set(key, group)
    }
    this.evict(group, event.at)
    const previous = group.entries.length > group.head ? group.entries.at(-1) : undefined
    const rapid = previous !== undefined && event.at - previous.at <= this.t.enumerationManualGapMs
    const firstOfNumber = event.cardId === null || !group.numbers.has(event.cardId)
    const entry: Entry = {
      at: event.at,
      cardId: event.cardId,
      eventId: event.eventId,
      declined: event.declined,
      firstOfNumber,
      rapid,
      paid: false,
      flagged: false,
      evicted: false,
      group,
    }
    // A rapid check makes the one before it rapid too (the first of a run).
    if (rapid && previous && !previous.rapid) {
      previous.rapid = true
      if (counts(previous)) group.rapidUnpaid++
    }
    group.entries.push(entry)
    if (counts(entry)) group.rapidUnpaid++
    if (event.cardId !== null) {
      group.numbers.set(event.cardId, (group.numbers.get(event.cardId) ?? 0) + 1)
      this.lastCheck.delete(event.cardId)
      this.lastCheck.set(event.cardId, entry)
    } else group.guesses++
    if (event.declined) group.declined++
    group.rate = group.rate * Math.exp(-(event.at - group.lastAt) / DAY_MS) + 1
    group.lastAt = event.at

    const numbers = group.numbers.size + group.guesses
    if (group.rapidUnpaid < this.t.enumerationManualNumbers) return []
    if (group.rapidUnpaid < this.t.enumerationManualUnpaidShare * numbers) return []
    const usual = (group.rate * this.t.enumerationManualWindowMs) / DAY_MS
    if (poissonTail(group.rapidUnpaid, usual) > this.t.enumerationBurstChance) return []
    const checks = group.entries.length - group.head
    const first = group.entries[group.head] as Entry
    const minutes = Math.max(1, Math.round((event.at - first.at) / 60_000))
    const declinedShare = group.declined / checks
    const score = Math.min(0.9, 0.55 + Math.min(0.15, numbers / 100) + 0.15 * declinedShare)
    const findings: ManualFinding[] = []
    for (let i = group.head; i < group.entries.length; i++) {
      const e = group.entries[i] as Entry
      // Only the run's own checks: a shopper's check at the store in the same two hours,
      // minutes from any other, is not swept in with it.
      if (e.flagged || !counts(e) || e.cardId === null) continue
      e.flagged = true
      findings.push({
        cardId: e.cardId,
        score,
        eventIds: [e.eventId],
        reason: `found by ${checks} balance checks on ${numbers} different numbers from ${group.label} in ${minutes} minutes, a check every minute or two on ${group.rapidUnpaid} numbers none of which was paid with there (${group.declined} declined): numbers tried by hand`,
        figures: {
          checks,
          numbers,
          rapidUnpaid: group.rapidUnpaid,
          declined: group.declined,
          minutes,
          source: group.label,
        },
      })
    }
    return findings
  }

  /** A card spent: if just checked at this store, the check was a shopper's. */
  spent(cardId: string, at: number, locationId: string | null): void {
    const entry = this.lastCheck.get(cardId)
    if (!entry || entry.paid) return
    if (at - entry.at > this.t.enumerationPaidHereMs) return
    if (locationId === null || entry.group.location !== locationId) return
    // Still in its group's window, it no longer counts towards the burst.
    const counted = counts(entry) && !entry.evicted
    entry.paid = true
    if (counted) entry.group.rapidUnpaid--
    if (!entry.evicted) entry.group.paid++
  }

  private evict(group: Group, now: number): void {
    while (group.head < group.entries.length) {
      const e = group.entries[group.head] as Entry
      if (now - e.at <= this.t.enumerationManualWindowMs) break
      if (counts(e)) group.rapidUnpaid--
      if (e.declined) group.declined--
      if (e.paid) group.paid--
      if (e.cardId !== null) {
        const n = (group.numbers.get(e.cardId) ?? 1) - 1
        if (n === 0) group.numbers.delete(e.cardId)
        else group.numbers.set(e.cardId, n)
      } else group.guesses--
      e.evicted = true
      group.head++
    }
    if (group.head > 256 && group.head * 2 > group.entries.length) {
      group.entries.splice(0, group.head)
      group.head = 0
    }
  }

  /** Forgets groups idle a day and checks too old to be paid "right after" (time order: O(1)). */
  private prune(now: number): void {
    for (const [key, group] of this.groups) {
      if (now - group.lastAt <= DAY_MS) break
      this.groups.delete(key)
    }
    const keep = Math.max(this.t.enumerationPaidHereMs, this.t.enumerationManualWindowMs)
    for (const [card, entry] of this.lastCheck) {
      if (now - entry.at <= keep) break
      this.lastCheck.delete(card)
    }
  }
}

/** Whether an entry counts towards a group's burst: a new number, rapid, not paid, on a card. */
function counts(e: Entry): boolean {
  return e.firstOfNumber && e.rapid && !e.paid && e.cardId !== null
}
