import { describe, expect, it } from 'vitest'
import { type FraudContext, FraudEngine, type ScoredEvent } from '../../analytics/index.ts'

/**
 * The behaviours issue 18's independent chain found missed (docs/analytics.md §Fraud
 * detection), each with the look-alike that must stay quiet.
 */
const T0 = Date.UTC(2025, 5, 1, 15)
const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const context: FraudContext = {
  location: (id) =>
    ({
      sf: { latitude: 37.77, longitude: -122.42 },
      oak: { latitude: 37.8, longitude: -122.27 },
      ny: { latitude: 40.71, longitude: -74.0 },
      chi: { latitude: 41.88, longitude: -87.63 },
    })[id],
  customerSince: (id) => ({ regular: T0 - 400 * DAY, newbie: T0 - 30 * MIN })[id],
}

let n = 0
function ev(partial: Partial<ScoredEvent> & Pick<ScoredEvent, 'type' | 'at'>): ScoredEvent {
  return {
    eventId: `b${++n}`,
    cardId: 'card',
    result: 'ok',
    amountCents: 0,
    balanceAfterCents: null,
    locationId: null,
    terminalId: null,
    orderId: null,
    customerId: null,
    employeeId: null,
    ...partial,
  }
}
const alertsOf = (events: ScoredEvent[], engine = new FraudEngine(context)) =>
  events.flatMap((e) => engine.observe(e))
const rulesOf = (events: ScoredEvent[]) => alertsOf(events).map((a) => `${a.cardId}:${a.rule}`)

/** A card activated with `cents` at `at` (at the sf store unless said). */
const activate = (cardId: string, cents: number, at: number, more: Partial<ScoredEvent> = {}) =>
  ev({
    cardId,
    type: 'activate',
    at,
    amountCents: cents,
    locationId: 'sf',
    orderId: `o-${cardId}-a`,
    ...more,
  })

describe('reload and drain wherever the drain happens (item 1)', () => {
  /** Cycles of a reload of `cents` at the sf till and a full spend there `after` later. */
  function cycles(cardId: string, count: number, gapMs: number, after: number, customer?: string) {
    const events = [activate(cardId, 500, T0, { customerId: customer ?? null })]
    let balance = 500
    for (let c = 0; c < count; c++) {
      const at = T0 + (c + 1) * gapMs
      const load = 2000
      balance += load
      events.push(
        ev({
          cardId,
          type: 'load',
          at,
          amountCents: load,
          balanceAfterCents: balance,
          locationId: 'sf',
          terminalId: 'sf-t1',
          customerId: customer ?? null,
          orderId: `o-${cardId}-l${c}`,
        }),
        ev({
          cardId,
          type: 'redeem',
          at: at + after,
          amountCents: -balance,
          balanceAfterCents: 0,
          locationId: 'sf',
          terminalId: 'sf-t1',
          customerId: customer ?? null,
          orderId: `o-${cardId}-r${c}`,
        }),
      )
      balance = 0
    }
    return events
  }

  it('flags a reload drained at the same till minutes later, cycle after cycle', () => {
    const alerts = alertsOf(cycles('rd', 4, DAY, 5 * MIN))
    const alert = alerts.find((a) => a.rule === 'reload_and_drain')
    expect(alert?.evidence.reason).toMatch(/3 reloads .* at the store of the reload/)
    // Scored below a drain elsewhere.
    expect(alert?.score).toBeLessThan(0.85)
  })

  it('leaves one or two top-ups paid at the till alone, and a regular topping up to pay there', () => {
    expect(rulesOf(cycles('twice', 2, DAY, 5 * MIN))).toEqual([])
    expect(rulesOf(cycles('regular', 5, 7 * DAY, 5 * MIN, 'regular'))).toEqual([])
  })

  it('leaves a weekly reload spent through the week alone', () => {
    const events = [activate('weekly', 1000, T0)]
    let balance = 1000
    for (let w = 0; w < 6; w++) {
      const at = T0 + (w + 1) * 7 * DAY
      balance += 2500
      events.push(
        ev({
          cardId: 'weekly',
          type: 'load',
          at,
          amountCents: 2500,
          balanceAfterCents: balance,
          locationId: 'sf',
        }),
      )
      for (let d = 1; d <= 3; d++) {
        const spend = Math.round(balance / (4 - d))
        balance -= spend
        events.push(
          ev({
            cardId: 'weekly',
            type: 'redeem',
            at: at + d * 2 * DAY,
            amountCents: -spend,
            balanceAfterCents: balance,
            locationId: 'sf',
          }),
        )
      }
    }
    expect(rulesOf(events)).toEqual([])
  })
})

describe('a refund larger than the card paid on that order (item 2)', () => {
  const paid = (cardId: string) => [
    activate(cardId, 10000, T0, { employeeId: 'e1' }),
    ev({
      cardId,
      type: 'redeem',
      at: T0 + DAY,
      amountCents: -4000,
      balanceAfterCents: 6000,
      locationId: 'sf',
      orderId: `sale-${cardId}`,
    }),
  ]
  const refund = (cardId: string, cents: number, at: number) =>
    ev({
      cardId,
      type: 'refund',
      at,
      amountCents: cents,
      locationId: 'sf',
      orderId: `sale-${cardId}`,
      employeeId: 'e2',
    })

  it('flags a refund over what the card paid, and refunds of one order adding up past it', () => {
    const over = alertsOf([...paid('over'), refund('over', 9000, T0 + 2 * DAY)])
    expect(over.map((a) => a.rule)).toEqual(['refund_abuse'])
    expect(over[0]?.evidence.reason).toMatch(
      /refund of 90 for order sale-over, on which this card paid only 40/,
    )
    expect(
      rulesOf([
        ...paid('twice'),
        refund('twice', 3000, T0 + 2 * DAY),
        refund('twice', 3000, T0 + 3 * DAY),
      ]),
    ).toEqual(['twice:refund_abuse'])
  })

  it('leaves a full return, and two partial returns within what was paid, alone', () => {
    expect(rulesOf([...paid('full'), refund('full', 4000, T0 + 2 * DAY)])).toEqual([])
    expect(
      rulesOf([
        ...paid('parts'),
        refund('parts', 1500, T0 + 2 * DAY),
        refund('parts', 2500, T0 + 9 * DAY),
      ]),
    ).toEqual([])
  })
})

describe('drain after activation, hours later (item 3)', () => {
  const drained = (cardId: string, after: number, more: Partial<ScoredEvent> = {}) => [
    activate(cardId, 10000, T0, { customerId: 'regular' }),
    ev({
      cardId,
      type: 'redeem',
      at: T0 + after,
      amountCents: -10000,
      balanceAfterCents: 0,
      locationId: 'oak',
      ...more,
    }),
  ]

  it('flags a full drain at another store hours after activation, scored down with the hours', () => {
    const soon = alertsOf(drained('soon', 20 * MIN))[0]
    const three = alertsOf(drained('three', 3 * HOUR))[0]
    const eight = alertsOf(drained('eight', 8 * HOUR))[0]
    expect([soon?.rule, three?.rule, eight?.rule]).toEqual([
      'drain_after_activation',
      'drain_after_activation',
      'drain_after_activation',
    ])
    expect(soon?.score).toBeGreaterThan(three?.score ?? 1)
    expect(three?.score).toBeGreaterThan(eight?.score ?? 1)
    expect(eight?.score).toBeLessThan(0.6)
    expect(three?.evidence.reason).toMatch(/3\.0 hours after activation, at another store/)
  })

  it('at the store that sold it, with the buyer unknown: a later visit counts, the same visit does not', () => {
    const atSale = (cardId: string, after: number) => [
      activate(cardId, 5000, T0),
      ev({
        cardId,
        type: 'redeem',
        at: T0 + after,
        amountCents: -5000,
        balanceAfterCents: 0,
        locationId: 'sf',
      }),
    ]
    const later = alertsOf(atSale('later', 4 * HOUR))
    expect(later.map((a) => a.rule)).toEqual(['drain_after_activation'])
    expect(later[0]?.evidence.reason).toMatch(/in a later visit \(the buyer is unknown\)/)
    expect(rulesOf(atSale('visit-anon', 15 * MIN))).toEqual([])
  })

  it('leaves a next-day spend, a regular recipient, and a gift spent in the same visit alone', () => {
    expect(rulesOf(drained('tomorrow', 13 * HOUR))).toEqual([])
    expect(rulesOf(drained('recipient', 3 * HOUR, { customerId: 'regular' }))).toEqual([])
    expect(
      rulesOf([
        activate('visit', 5000, T0, { customerId: 'regular' }),
        ev({
          cardId: 'visit',
          type: 'redeem',
          at: T0 + 4 * MIN,
          amountCents: -5000,
          balanceAfterCents: 0,
          locationId: 'sf',
          customerId: 'regular',
        }),
      ]),
    ).toEqual([])
  })
})

describe('impossible travel from a balance check at a till (item 4)', () => {
  const checkThenPay = (cardId: string, checkAt: string, payAt: string, gap: number) => [
    activate(cardId, 10000, T0 - 10 * DAY),
    ev({ cardId, type: 'balance_check', at: T0, locationId: checkAt, terminalId: `${checkAt}-t1` }),
    ev({
      cardId,
      type: 'redeem',
      at: T0 + gap,
      amountCents: -6000,
      balanceAfterCents: 4000,
      locationId: payAt,
    }),
  ]

  it('flags a check in one city and a payment far away minutes later, lower than two payments', () => {
    const alert = alertsOf(checkThenPay('far', 'sf', 'ny', 20 * MIN)).find(
      (a) => a.rule === 'impossible_travel',
    )
    expect(alert?.evidence.reason).toMatch(/balance check at a till/)
    const payments = alertsOf([
      activate('pp', 10000, T0 - 10 * DAY),
      ev({ cardId: 'pp', type: 'redeem', at: T0, amountCents: -1000, locationId: 'sf' }),
      ev({ cardId: 'pp', type: 'redeem', at: T0 + 20 * MIN, amountCents: -6000, locationId: 'ny' }),
    ]).find((a) => a.rule === 'impossible_travel')
    expect(alert?.score).toBeLessThan(payments?.score ?? 0)
    // A declined check counts too: the number was tried at that till.
    const declined = checkThenPay('declined', 'chi', 'sf', 30 * MIN)
    ;(declined[1] as ScoredEvent).result = 'declined'
    expect(rulesOf(declined)).toContain('declined:impossible_travel')
  })

  it('leaves a check and a payment at nearby stores, or far apart days later, alone', () => {
    expect(rulesOf(checkThenPay('near', 'sf', 'oak', 20 * MIN))).toEqual([])
    expect(rulesOf(checkThenPay('trip', 'sf', 'ny', 2 * DAY))).toEqual([])
  })
})

describe('balance-check enumeration at a human pace (item 5)', () => {
  /** Balance checks of `cards` at the sf store, `gaps[i]` before each, at `terminals` in turn. */
  function checks(prefix: string, gaps: number[], terminals = ['sf-t1']) {
    const events: ScoredEvent[] = []
    let at = T0
    gaps.forEach((gap, i) => {
      at += gap
      events.push(
        ev({
          cardId: `${prefix}${i}`,
          type: 'balance_check',
          at,
          locationId: 'sf',
          terminalId: terminals[i % terminals.length] as string,
        }),
      )
    })
    return events
  }
  const minuteOrTwo = (count: number) =>
    Array.from({ length: count }, (_, i) => (60 + (i % 3) * 30) * 1000)

  it('flags 12 numbers typed a minute or two apart, at one terminal or alternating two', () => {
    const one = new Set(alertsOf(checks('m', minuteOrTwo(12))).map((a) => a.rule))
    expect(one).toEqual(new Set(['balance_check_enumeration']))
    const two = alertsOf(checks('t', minuteOrTwo(12), ['sf-t1', 'sf-t2']))
    expect(new Set(two.map((a) => a.cardId)).size).toBeGreaterThanOrEqual(10)
    expect(two[0]?.evidence.reason).toMatch(/store sf .*numbers tried by hand/)
  })

  it('flags a burst split into three sittings with pauses of half an hour', () => {
    const gaps = minuteOrTwo(12)
    gaps[4] = 30 * MIN
    gaps[8] = 25 * MIN
    expect(alertsOf(checks('s', gaps)).some((a) => a.rule === 'balance_check_enumeration')).toBe(
      true,
    )
  })

  it('leaves a holiday rush whose checked cards are paid with there, and a steady service desk, alone', () => {
    const rush: ScoredEvent[] = []
    let at = T0
    for (let i = 0; i < 20; i++) {
      at += 70_000
      const cardId = `rush${i}`
      rush.push(
        ev({ cardId, type: 'balance_check', at, locationId: 'sf', terminalId: 'sf-t1' }),
        ev({
          cardId,
          type: 'redeem',
          at: at + 50_000,
          amountCents: -1500,
          locationId: 'sf',
          terminalId: 'sf-t1',
        }),
      )
    }
    expect(alertsOf(rush)).toEqual([])
    const desk = checks(
      'd',
      Array.from({ length: 40 }, (_, i) => (7 + (i % 4) * 2) * MIN),
      ['sf-desk'],
    )
    expect(alertsOf(desk)).toEqual([])
    // A shopper checking their own card again and again.
    const own = Array.from({ length: 15 }, (_, i) =>
      ev({
        cardId: 'own',
        type: 'balance_check',
        at: T0 + i * 60_000,
        locationId: 'sf',
        terminalId: 'sf-t1',
      }),
    )
    expect(alertsOf(own)).toEqual([])
  })
})

describe('bulk purchase: small bursts (item 6)', () => {
  /** `count` cards bought by `buyer` minutes apart, each drained `drainAfter` later. */
  function burst(prefix: string, count: number, buyer: string | null, drainAfter: number | null) {
    const events: ScoredEvent[] = []
    for (let i = 0; i < count; i++) {
      const at = T0 + i * 6 * MIN
      events.push(
        activate(`${prefix}${i}`, 10000, at, {
          customerId: buyer,
          terminalId: 'web-1',
          locationId: null,
          orderId: `o-${prefix}${i}`,
        }),
      )
      if (drainAfter !== null)
        events.push(
          ev({
            cardId: `${prefix}${i}`,
            type: 'redeem',
            at: at + drainAfter,
            amountCents: -10000,
            balanceAfterCents: 0,
          }),
        )
    }
    return events.sort((a, b) => a.at - b.at)
  }

  it('flags three cards by a new buyer drained within hours, scored lower than a big burst', () => {
    const small = alertsOf(burst('s', 3, 'newbie', 5 * HOUR)).filter(
      (a) => a.rule === 'bulk_purchase',
    )
    expect(new Set(small.map((a) => a.cardId))).toEqual(new Set(['s0', 's1', 's2']))
    const big = alertsOf(burst('b', 8, 'newbie', 5 * HOUR)).find((a) => a.rule === 'bulk_purchase')
    expect(small[0]?.score).toBeLessThan(big?.score ?? 0)
  })

  it('leaves three gift cards by a long-known shopper, or spent over weeks, alone', () => {
    expect(
      alertsOf(burst('f', 3, 'regular', 5 * HOUR)).filter((a) => a.rule === 'bulk_purchase'),
    ).toEqual([])
    expect(alertsOf(burst('g', 3, 'newbie', 12 * DAY))).toEqual([])
  })
})
