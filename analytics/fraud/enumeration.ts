/**
 * Balance-check enumeration (docs/domain.md §3): bursts of balance checks from one source
 * (a terminal or web client, else a customer account, else a store whose terminals are
 * unknown), whatever their result. Declined checks (numbers that match no card) raise the
 * score; they do not gate it, since an attacker checking numbers it already holds (skimmed,
 * photographed) succeeds every time. A burst that is fast (bot pace), mostly declined or very
 * large flags the cards it found at once; a smaller one at a human pace marks them, and a
 * marked card spent afterwards somewhere other than the till that checked it is flagged then.
 * A card paid with at the till that checked it, minutes later, is a shopper at a busy till.
 * A burst is measured against the source's own day: a shared web page or a busy till checks
 * many numbers every half hour, so a burst is a count its usual rate would hardly ever give.
 */

import { type ManualBurstThresholds, ManualBurstWatch } from './manual-bursts.ts'

export type EnumerationThresholds = ManualBurstThresholds & {
  /** How far back a burst reaches. */
  enumerationWindowMs: number
  /** Distinct numbers checked (cards, plus declined checks on no card) that make a burst. */
  enumerationMinNumbers: number
  /** Mean time between checks at or under which the pace is a bot's… */
  enumerationBotGapMs: number
  /** …over at least this many numbers (a cashier may check a handful of cards at once). */
  enumerationBotMinNumbers: number
  /** Share of declined checks from which guessing is evident. */
  enumerationDeclinedShare: number
  /** Distinct numbers from which a burst is flagged whatever its pace. */
  enumerationLargeBurst: number
  /** How long a checked card stays marked, waiting to be spent. */
  enumerationFollowMs: number
  /** A card paid with at the checking till within this long was a shopper's. */
  enumerationPaidHereMs: number
  /**
   * A burst must also be this improbable from the source's ordinary rate (Poisson): a shared
   * web page or a busy till checks several numbers every half hour, by chance now and then many.
   */
  enumerationBurstChance: number
}

const DAY_MS = 86_400_000

export type CheckEvent = {
  eventId: string
  cardId: string | null
  ok: boolean
  at: number
  terminalId: string | null
  customerId: string | null
  locationId: string | null
}

/** What a flag on a card says: its score, reason, figures and the events behind it. */
export type EnumerationFinding = {
  cardId: string
  score: number
  eventIds: string[]
  reason: string
  figures: Record<string, number | string>
}

type Check = { at: number; cardId: string | null; declined: boolean; eventId: string }

/** The checks of one source within the window, with running counts. */
type Source = {
  label: string
  checks: Check[]
  head: number
  /** Checks per card number within the window. */
  numbers: Map<string, number>
  /** Declined checks on no card within the window. */
  guesses: number
  /** Declined checks (any) within the window. */
  declined: number
  /** Index of the first check not yet flagged / not yet marked. */
  flaggedTo: number
  markedTo: number
  /** Checks per day, decayed exponentially (the source's own baseline), as of `rateAt`. */
  rate: number
  rateAt: number
}

/** A card found by a slow burst, waiting to see where it is spent. */
type Mark = {
  at: number
  eventId: string
  terminalId: string | null
  locationId: string | null
  source: string
  numbers: number
  declined: number
  checks: number
}

export class EnumerationWatch {
  private readonly sources = new Map<string, Source>()
  private readonly marks = new Map<string, Mark>()
  /** Bursts typed by hand, per store (manual-bursts.ts). */
  private readonly manual: ManualBurstWatch

  constructor(private readonly t: EnumerationThresholds) {
    this.manual = new ManualBurstWatch(t)
  }

  /** A balance check; returns the cards it lets us flag now. */
  check(event: CheckEvent): EnumerationFinding[] {
    const manual = this.manual.check({ ...event, declined: !event.ok || event.cardId === null })
    for (const f of manual) this.marks.delete(f.cardId)
    const found = this.checkSource(event)
    return manual.length === 0 ? found : [...manual, ...found]
  }

  /** The fast, declined and large bursts of one source, and the marks of slower ones. */
  private checkSource(event: CheckEvent): EnumerationFinding[] {
    const key =
      event.terminalId !== null
        ? `terminal ${event.terminalId}`
        : event.customerId !== null
          ? `customer ${event.customerId}`
          : event.locationId !== null
            ? `store ${event.locationId} (terminal unknown)`
            : null
    this.prune(event.at)
    // With no terminal, customer or store there is nothing to group checks by.
    if (key === null) return []
    let source = this.sources.get(key)
    if (!source) {
      source = {
        label: key,
        checks: [],
        head: 0,
        numbers: new Map(),
        guesses: 0,
        declined: 0,
        flaggedTo: 0,
        markedTo: 0,
        rate: 0,
        rateAt: event.at,
      }
      this.sources.set(key, source)
    } else {
      // Most recently used last, so that pruning finds the idle ones first.
      this.sources.delete(key)
      this.sources.set(key, source)
    }
    const declined = !event.ok || event.cardId === null
    source.checks.push({ at: event.at, cardId: event.cardId, declined, eventId: event.eventId })
    if (event.cardId !== null)
      source.numbers.set(event.cardId, (source.numbers.get(event.cardId) ?? 0) + 1)
    else source.guesses++
    if (declined) source.declined++
    this.evict(source, event.at)

    source.rate = source.rate * Math.exp(-(event.at - source.rateAt) / DAY_MS) + 1
    source.rateAt = event.at
    const count = source.checks.length - source.head
    const numbers = source.numbers.size + source.guesses
    if (numbers < this.t.enumerationMinNumbers) return []
    const usual = (source.rate * this.t.enumerationWindowMs) / DAY_MS
    if (poissonTail(numbers, usual) > this.t.enumerationBurstChance) return []
    const first = source.checks[source.head] as Check
    const meanGap = count > 1 ? (event.at - first.at) / (count - 1) : Number.POSITIVE_INFINITY
    const declinedShare = source.declined / count
    const bot = meanGap <= this.t.enumerationBotGapMs && numbers >= this.t.enumerationBotMinNumbers
    const guessing = declinedShare >= this.t.enumerationDeclinedShare
    // A holiday rush at one till checks many cards, each paid with there a minute later.
    const large = numbers - this.manual.paidAt(event.locationId) >= this.t.enumerationLargeBurst
    const minutes = Math.max(1, Math.round((event.at - first.at) / 60_000))
    const seen = `${count} balance checks on ${numbers} different numbers from ${source.label} in ${minutes} minutes, ${source.declined} declined`
    const findings: EnumerationFinding[] = []
    if (bot || guessing || large) {
      const score = Math.min(
        0.99,
        0.6 +
          Math.min(0.15, numbers / 150) +
          0.15 * declinedShare +
          (bot ? 0.1 : 0) +
          (large ? 0.05 : 0),
      )
      const why = [
        bot ? `${Math.round(meanGap / 1000)} s apart, a bot's pace` : '',
        guessing ? `${Math.round(declinedShare * 100)}% declined, as guessing is` : '',
        large && !bot && !guessing ? 'a run this long' : '',
      ]
        .filter(Boolean)
        .join('; ')
      for (let i = Math.max(source.head, source.flaggedTo); i < source.checks.length; i++) {
        const c = source.checks[i] as Check
        if (c.cardId === null) continue
        this.marks.delete(c.cardId)
        findings.push({
          cardId: c.cardId,
          score,
          eventIds: [c.eventId],
          reason: `found by ${seen}: ${why}`,
          figures: {
            checks: count,
            numbers,
            declined: source.declined,
            meanGapSeconds: Math.round(meanGap / 1000),
            source: source.label,
          },
        })
      }
      source.flaggedTo = source.checks.length
      source.markedTo = source.checks.length
      return findings
    }
    // A burst at a human pace with few declines: a shopper at a busy till looks the same until
    // the cards are spent, so mark them and decide when they are.
    for (let i = Math.max(source.head, source.markedTo); i < source.checks.length; i++) {
      const c = source.checks[i] as Check
      if (c.cardId === null) continue
      this.marks.delete(c.cardId)
      this.marks.set(c.cardId, {
        at: c.at,
        eventId: c.eventId,
        terminalId: event.terminalId,
        locationId: event.locationId,
        source: source.label,
        numbers,
        declined: source.declined,
        checks: count,
      })
    }
    source.markedTo = source.checks.length
    return findings
  }

  /** A card spent: flagged if a burst had found it and it is spent elsewhere. */
  spent(
    cardId: string,
    event: { eventId: string; at: number; terminalId: string | null; locationId: string | null },
  ): EnumerationFinding | undefined {
    this.manual.spent(cardId, event.at, event.locationId)
    const mark = this.marks.get(cardId)
    if (!mark) return undefined
    this.marks.delete(cardId)
    if (event.at - mark.at > this.t.enumerationFollowMs) return undefined
    const here =
      mark.terminalId !== null && event.terminalId !== null
        ? mark.terminalId === event.terminalId
        : mark.locationId !== null && mark.locationId === event.locationId
    if (here && event.at - mark.at <= this.t.enumerationPaidHereMs) return undefined
    const minutes = Math.round((event.at - mark.at) / 60_000)
    return {
      cardId,
      score: Math.min(0.95, 0.6 + Math.min(0.15, mark.numbers / 100) + (minutes < 180 ? 0.1 : 0)),
      eventIds: [mark.eventId, event.eventId],
      reason: `checked in a run of ${mark.checks} balance checks on ${mark.numbers} different numbers from ${mark.source} (${mark.declined} declined), then spent ${minutes} minutes later ${event.locationId === null ? 'online' : 'elsewhere'}`,
      figures: {
        checks: mark.checks,
        numbers: mark.numbers,
        declined: mark.declined,
        minutesToSpend: minutes,
        source: mark.source,
      },
    }
  }

  /** How much state the watch holds. */
  size(): { sources: number; marks: number } {
    return { sources: this.sources.size + this.manual.size(), marks: this.marks.size }
  }

  /** Drops the checks of `source` older than the window. */
  private evict(source: Source, now: number): void {
    const window = this.t.enumerationWindowMs
    while (source.head < source.checks.length) {
      const c = source.checks[source.head] as Check
      if (now - c.at <= window) break
      if (c.cardId !== null) {
        const n = (source.numbers.get(c.cardId) ?? 1) - 1
        if (n === 0) source.numbers.delete(c.cardId)
        else source.numbers.set(c.cardId, n)
      } else source.guesses--
      if (c.declined) source.declined--
      source.head++
    }
    if (source.head > 1024 && source.head * 2 > source.checks.length) {
      source.checks.splice(0, source.head)
      source.flaggedTo = Math.max(0, source.flaggedTo - source.head)
      source.markedTo = Math.max(0, source.markedTo - source.head)
      source.head = 0
    }
  }

  /**
   * Forgets idle sources and stale marks. Both maps are kept least recently touched first and
   * events come in time order, so each stops at the first entry still live: O(1) amortised.
   */
  private prune(now: number): void {
    // A source is kept a day after its last check, so that its baseline outlives a quiet hour.
    for (const [key, source] of this.sources) {
      if (now - source.rateAt <= DAY_MS) break
      this.sources.delete(key)
    }
    for (const [card, mark] of this.marks) {
      if (now - mark.at <= this.t.enumerationFollowMs) break
      this.marks.delete(card)
    }
  }
}

/** P(X ≥ n) for X ~ Poisson(mean), for n above the mean (the terms fall fast there). */
export function poissonTail(n: number, mean: number): number {
  if (mean <= 0) return 0
  // The n-th term, in logs (n! overflows): e^-mean · mean^n / n!
  let logTerm = -mean + n * Math.log(mean)
  for (let k = 2; k <= n; k++) logTerm -= Math.log(k)
  let term = Math.exp(logTerm)
  let sum = 0
  for (let k = n; k < n + 200 && term > sum * 1e-12; k++) {
    sum += term
    term *= mean / (k + 1)
  }
  return Math.min(1, sum)
}
