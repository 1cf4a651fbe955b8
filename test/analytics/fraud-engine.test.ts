import { describe, expect, it } from 'vitest'
import { type FraudContext, FraudEngine, type ScoredEvent } from '../../analytics/index.ts'

const T0 = Date.UTC(2025, 5, 1, 15)
const MIN = 60_000
const context: FraudContext = {
  location: (id) =>
    ({
      sf: { latitude: 37.77, longitude: -122.42 },
      ny: { latitude: 40.71, longitude: -74.0 },
      oak: { latitude: 37.8, longitude: -122.27 },
    })[id],
  customerSince: (id) => ({ newbie: T0 - 30 * MIN, regular: T0 - 400 * 86_400_000 })[id],
}

let n = 0
function ev(partial: Partial<ScoredEvent> & Pick<ScoredEvent, 'type' | 'at'>): ScoredEvent {
  return {
    eventId: `e${++n}`,
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
const rules = (engine: FraudEngine, events: ScoredEvent[]) =>
  events.flatMap((e) => engine.observe(e)).map((a) => `${a.cardId}:${a.rule}`)

describe('the fraud detectors', () => {
  it('drain after activation: a full spend minutes later elsewhere, not a partial spend on the spot', () => {
    const engine = new FraudEngine(context)
    expect(
      rules(engine, [
        ev({
          type: 'activate',
          at: T0,
          amountCents: 20000,
          balanceAfterCents: 20000,
          locationId: 'sf',
          orderId: 'o1',
          employeeId: 'emp',
        }),
        ev({
          type: 'redeem',
          at: T0 + 6 * MIN,
          amountCents: -20000,
          balanceAfterCents: 0,
          locationId: 'oak',
          orderId: 'o2',
        }),
      ]),
    ).toEqual(['card:drain_after_activation'])
    expect(
      rules(new FraudEngine(context), [
        ev({
          cardId: 'ok',
          type: 'activate',
          at: T0,
          amountCents: 5000,
          balanceAfterCents: 5000,
          locationId: 'sf',
          orderId: 'o1',
          employeeId: 'emp',
        }),
        ev({
          cardId: 'ok',
          type: 'redeem',
          at: T0 + 5 * MIN,
          amountCents: -2000,
          balanceAfterCents: 3000,
          locationId: 'sf',
          orderId: 'o2',
        }),
        ev({
          cardId: 'ok',
          type: 'redeem',
          at: T0 + 3 * 86_400_000,
          amountCents: -3000,
          balanceAfterCents: 0,
          locationId: 'oak',
          orderId: 'o3',
        }),
      ]),
    ).toEqual([])
  })

  it('balance-check enumeration: a burst of mostly failed checks from one terminal flags the cards it found', () => {
    const engine = new FraudEngine(context)
    const events: ScoredEvent[] = []
    for (let i = 0; i < 30; i++) {
      const hit = i === 10 || i === 20
      events.push(
        ev({
          type: 'balance_check',
          at: T0 + i * 10_000,
          cardId: hit ? `found-${i}` : null,
          result: hit ? 'ok' : 'declined',
          terminalId: 'kiosk-1',
        }),
      )
    }
    expect(rules(engine, events).sort()).toEqual([
      'found-10:balance_check_enumeration',
      'found-20:balance_check_enumeration',
    ])
    // Customers checking their own cards now and then at the same kiosk is no burst.
    const calm = new FraudEngine(context)
    expect(
      rules(
        calm,
        Array.from({ length: 30 }, (_, i) =>
          ev({
            type: 'balance_check',
            at: T0 + i * 20 * MIN,
            cardId: `c${i}`,
            terminalId: 'kiosk-1',
          }),
        ),
      ),
    ).toEqual([])
  })

  it('bulk purchase: many cards by one buyer, in one order or many, flagged when they are drained within the day; a corporate order spent over weeks is not', () => {
    /** Eight cards bought by `customerId` (null: none), then `drained` of them spent after `delay`. */
    const purchase = (
      prefix: string,
      customerId: string | null,
      oneOrder: boolean,
      drained: number,
      delay: number,
    ) => {
      const events: ScoredEvent[] = []
      for (let i = 0; i < 8; i++)
        events.push(
          ev({
            type: 'activate',
            cardId: `${prefix}${i}`,
            at: T0 + (oneOrder ? 0 : i * 3 * MIN),
            amountCents: 24500,
            balanceAfterCents: 24500,
            orderId: oneOrder ? `order-${prefix}` : `order-${prefix}${i}`,
            terminalId: 'web-1',
            customerId,
          }),
        )
      for (let i = 0; i < drained; i++)
        events.push(
          ev({
            type: 'redeem',
            cardId: `${prefix}${i}`,
            at: T0 + delay + i * MIN,
            amountCents: -24500,
            balanceAfterCents: 0,
            orderId: `spend-${prefix}${i}`,
          }),
        )
      return rules(new FraudEngine(context), events)
    }
    const HOUR = 60 * MIN
    // One order or eight, a new customer or no customer at all: drained within hours.
    expect(purchase('a', 'newbie', true, 3, 4 * HOUR)).toHaveLength(8)
    expect(purchase('b', 'newbie', false, 2, 2 * HOUR)).toHaveLength(8)
    expect(purchase('n', null, false, 3, 6 * HOUR)).toHaveLength(8)
    // Bought and kept (nothing spent yet), or one card spent: not yet a pattern.
    expect(purchase('k', 'newbie', false, 0, 0)).toEqual([])
    expect(purchase('o', 'newbie', false, 1, 2 * HOUR)).toEqual([])
    // A company's cards: spent days later, by their recipients.
    expect(purchase('c', 'regular', true, 8, 5 * 86_400_000)).toEqual([])
    const engine = new FraudEngine(context)
    const alerts = [
      ...Array.from({ length: 5 }, (_, i) =>
        ev({
          type: 'activate',
          cardId: `u${i}`,
          at: T0 + i * MIN,
          amountCents: 10000,
          terminalId: 'web-2',
          orderId: `u-o${i}`,
        }),
      ),
      ...Array.from({ length: 2 }, (_, i) =>
        ev({
          type: 'redeem',
          cardId: `u${i}`,
          at: T0 + HOUR,
          amountCents: -10000,
          orderId: `u-s${i}`,
        }),
      ),
    ]
      .flatMap((e) => engine.observe(e))
      .filter((a) => a.rule === 'bulk_purchase')
    expect(alerts).toHaveLength(5)
    expect(alerts[0]?.evidence.reason).toMatch(/buyer is unknown/)
  })

  it('balance-check enumeration on a shared web page: its steady traffic is no burst, a run far above it is', () => {
    const engine = new FraudEngine(context)
    const events: ScoredEvent[] = []
    // Three days of shoppers checking their own cards every six minutes or so, then spending
    // them elsewhere within the day.
    for (let i = 0; i < 720; i++) {
      const at = T0 + i * 6 * MIN + (i % 7) * 20_000
      events.push(ev({ type: 'balance_check', cardId: `s${i}`, at, terminalId: 'web-shared' }))
      events.push(
        ev({
          type: 'redeem',
          cardId: `s${i}`,
          at: at + 300 * MIN,
          amountCents: -1000,
          balanceAfterCents: 0,
          locationId: 'sf',
        }),
      )
    }
    // Then forty numbers in ten minutes through the same page.
    for (let i = 0; i < 40; i++)
      events.push(
        ev({
          type: 'balance_check',
          cardId: `x${i}`,
          at: T0 + 4321 * MIN + i * 15_000,
          terminalId: 'web-shared',
        }),
      )
    events.sort((a, b) => a.at - b.at)
    const flagged = rules(engine, events)
    // Once the engine has seen a day of it (a source new to it has no baseline yet: a scan
    // warms up on the days before its window, docs/analytics.md), and but for the few shoppers
    // whose checks fall inside the attack's own half hour, which it sweeps in.
    const shoppers = flagged
      .filter((r) => r.startsWith('s'))
      .map((r) => Number.parseInt(r.slice(1), 10))
    expect(shoppers.filter((i) => i >= 240 && i < 715)).toEqual([])
    expect(shoppers.filter((i) => i >= 715).length).toBeLessThanOrEqual(5)
    expect(flagged.filter((r) => r.startsWith('x')).length).toBeGreaterThanOrEqual(30)
  })

  it('balance-check enumeration without declines: numbers already held, checked at a bot’s pace or spent elsewhere after', () => {
    const burst = (gapMs: number, spend: 'none' | 'here' | 'online') => {
      const events: ScoredEvent[] = []
      for (let i = 0; i < 8; i++)
        events.push(
          ev({
            type: 'balance_check',
            cardId: `h${i}`,
            at: T0 + i * gapMs,
            terminalId: 'till-1',
            locationId: 'sf',
          }),
        )
      if (spend !== 'none')
        for (let i = 0; i < 8; i++)
          events.push(
            ev({
              type: 'redeem',
              cardId: `h${i}`,
              at: T0 + i * gapMs + (spend === 'here' ? 2 * MIN : 90 * MIN),
              amountCents: -5000,
              balanceAfterCents: 0,
              terminalId: spend === 'here' ? 'till-1' : null,
              locationId: spend === 'here' ? 'sf' : null,
            }),
          )
      events.sort((a, b) => a.at - b.at)
      return rules(new FraudEngine(context), events)
    }
    // Seconds apart: a bot, whatever the result codes say.
    expect(burst(5_000, 'none')).toHaveLength(8)
    // Minutes apart, then paid with at that till within minutes: a busy till.
    expect(burst(2 * MIN, 'here')).toEqual([])
    expect(burst(2 * MIN, 'none')).toEqual([])
    // Minutes apart, then spent online an hour and a half later: the checked cards are flagged.
    const found = burst(2 * MIN, 'online')
    expect(found).toHaveLength(8)
  })

  it('impossible travel: San Francisco then New York within an hour, but not Oakland', () => {
    const engine = new FraudEngine(context)
    expect(
      rules(engine, [
        ev({
          type: 'redeem',
          at: T0,
          amountCents: -1000,
          balanceAfterCents: 9000,
          locationId: 'sf',
          orderId: 'o1',
        }),
        ev({
          type: 'redeem',
          at: T0 + 40 * MIN,
          amountCents: -1000,
          balanceAfterCents: 8000,
          locationId: 'oak',
          orderId: 'o2',
        }),
        ev({
          type: 'redeem',
          at: T0 + 90 * MIN,
          amountCents: -1000,
          balanceAfterCents: 7000,
          locationId: 'ny',
          orderId: 'o3',
        }),
      ]),
    ).toEqual(['card:impossible_travel'])
  })

  it('impossible travel: a use that arrives late is judged against its neighbours in time, as in time order', () => {
    const use = (at: number, locationId: string, eventId: string) =>
      ev({ eventId, type: 'redeem', at, amountCents: -500, balanceAfterCents: null, locationId })
    const sf = use(T0, 'sf', 'a')
    const ny = use(T0 + 90 * MIN, 'ny', 'b')
    const nyNextDay = use(T0 + 20 * 60 * MIN, 'ny', 'c')
    expect(rules(new FraudEngine(context), [sf, ny, nyNextDay])).toEqual(['card:impossible_travel'])
    // The New York use 90 minutes after San Francisco is delivered last (a retried webhook):
    // compared only with the last use (New York, the next day) it would look like no trip.
    const late = new FraudEngine(context)
    const alerts = [sf, nyNextDay, ny].flatMap((e) => late.observe(e))
    expect(alerts.map((a) => a.rule)).toEqual(['impossible_travel'])
    expect(alerts[0]?.evidence.eventIds).toEqual(['a', 'b'])
    // A late use between two ordinary ones invents nothing: San Francisco, Oakland 40 minutes
    // on, San Francisco again 3 hours on, with Oakland delivered last.
    const oak = use(T0 + 40 * MIN, 'oak', 'd')
    const sfAgain = use(T0 + 180 * MIN, 'sf', 'e')
    expect(rules(new FraudEngine(context), [sf, sfAgain, oak])).toEqual([])
  })

  it('reload and drain: reloads spent elsewhere within minutes, twice; a top-up spent at the same till is ordinary', () => {
    const cycle = (card: string, at: number, loadAt: string | null, spendAt: string | null) => [
      ev({
        cardId: card,
        type: 'load',
        at,
        amountCents: 10000,
        balanceAfterCents: 10000,
        locationId: loadAt,
        orderId: `l${at}`,
      }),
      ev({
        cardId: card,
        type: 'redeem',
        at: at + 5 * MIN,
        amountCents: -10000,
        balanceAfterCents: 0,
        locationId: spendAt,
        orderId: `r${at}`,
      }),
    ]
    const engine = new FraudEngine(context)
    expect(
      rules(engine, [...cycle('rd', T0, null, 'sf'), ...cycle('rd', T0 + 86_400_000, null, null)]),
    ).toEqual(['rd:reload_and_drain'])
    expect(
      rules(engine, [
        ...cycle('till', T0, 'sf', 'sf'),
        ...cycle('till', T0 + 86_400_000, 'sf', 'sf'),
      ]),
    ).toEqual([])
  })

  it('refund abuse: a refund for goods the card never paid for, or an activation without payment', () => {
    const engine = new FraudEngine(context)
    // A ledger whose sales carry order ids (an activation without one then means something).
    const paidSales = Array.from({ length: 20 }, (_, i) =>
      ev({
        cardId: `sold${i}`,
        type: 'activate',
        at: T0 - 86_400_000 + i * MIN,
        amountCents: 2500,
        locationId: 'sf',
        orderId: `sale-${i}`,
        employeeId: 'e1',
      }),
    )
    expect(rules(engine, paidSales)).toEqual([])
    expect(
      rules(engine, [
        ev({
          cardId: 'good',
          type: 'redeem',
          at: T0,
          amountCents: -3000,
          balanceAfterCents: 2000,
          locationId: 'sf',
          orderId: 'paid-1',
        }),
        ev({
          cardId: 'good',
          type: 'refund',
          at: T0 + 86_400_000,
          amountCents: 1500,
          balanceAfterCents: 3500,
          locationId: 'sf',
          orderId: 'paid-1',
          employeeId: 'e1',
        }),
        ev({
          cardId: 'bad',
          type: 'refund',
          at: T0,
          amountCents: 15000,
          balanceAfterCents: 17000,
          locationId: 'sf',
          orderId: 'nowhere',
          employeeId: 'e9',
        }),
        ev({
          cardId: 'free',
          type: 'activate',
          at: T0,
          amountCents: 20000,
          balanceAfterCents: 20000,
          locationId: 'sf',
          orderId: null,
          employeeId: 'e9',
        }),
      ]).sort(),
    ).toEqual(['bad:refund_abuse', 'free:refund_abuse'])
    // A ledger without order ids: refunds and activations without one raise nothing.
    const blind = new FraudEngine(context)
    const unordered = Array.from({ length: 30 }, (_, i) =>
      ev({
        cardId: `u${i}`,
        type: i % 3 === 2 ? 'refund' : 'activate',
        at: T0 + i * MIN,
        amountCents: 2500,
        locationId: 'sf',
        employeeId: 'e1',
      }),
    )
    expect(rules(blind, unordered)).toEqual([])
  })

  it('raises one alert per card and rule', () => {
    const engine = new FraudEngine(context)
    const refund = (at: number) =>
      ev({
        cardId: 'x',
        type: 'refund',
        at,
        amountCents: 100,
        balanceAfterCents: 100,
        orderId: 'nope',
      })
    expect(rules(engine, [refund(T0), refund(T0 + MIN)])).toEqual(['x:refund_abuse'])
  })
})

describe('the anomaly score', () => {
  it('scores an amount far outside an entity’s history, and nothing without enough history', async () => {
    const { AnomalyScorer } = await import('../../analytics/index.ts')
    const scorer = new AnomalyScorer()
    expect(scorer.observe(90_000, ['terminal:t1']).score).toBe(0)
    const fresh = new AnomalyScorer()
    for (const cents of [1800, 2200, 1900, 2500, 2100, 2000, 2300, 1700])
      expect(fresh.observe(cents, ['terminal:t1', null]).score).toBe(0)
    expect(fresh.observe(2050, ['terminal:t1']).score).toBe(0)
    const outlier = fresh.observe(95_000, ['card:new', 'terminal:t1'])
    expect(outlier.entity).toBe('terminal:t1')
    expect(outlier.z).toBeGreaterThan(10)
    expect(outlier.score).toBeGreaterThan(0.8)
  })

  it('puts the score of the triggering event into the alert’s evidence', () => {
    const engine = new FraudEngine(context)
    const events = [
      ...Array.from({ length: 8 }, (_, i) =>
        ev({
          cardId: `n${i}`,
          type: 'redeem',
          at: T0 + i * MIN,
          amountCents: -2000,
          balanceAfterCents: 3000,
          terminalId: 'till-9',
          orderId: `o${i}`,
        }),
      ),
      ev({
        cardId: 'victim',
        type: 'activate',
        at: T0 + 20 * MIN,
        amountCents: 50000,
        balanceAfterCents: 50000,
        locationId: 'sf',
        orderId: 'oa',
        employeeId: 'e1',
      }),
      ev({
        cardId: 'victim',
        type: 'redeem',
        at: T0 + 25 * MIN,
        amountCents: -50000,
        balanceAfterCents: 0,
        locationId: 'oak',
        terminalId: 'till-9',
        orderId: 'ob',
      }),
    ]
    const alerts = events.flatMap((e) => engine.observe(e))
    expect(alerts.map((a) => a.rule)).toEqual(['drain_after_activation'])
    expect(alerts[0]?.evidence.figures).toMatchObject({ anomalyAgainst: 'terminal:till-9' })
    expect(Number(alerts[0]?.evidence.figures.anomalyScore)).toBeGreaterThan(0.5)
  })
})

describe('the fraud engine’s state', () => {
  it("a customer whose record is dated after its events (an import's stub) is first known at its first event", () => {
    // The import made the stub today; its cards were bought a year ago.
    const stubbed: FraudContext = { ...context, customerSince: () => T0 + 365 * 86_400_000 }
    const engine = new FraudEngine(stubbed)
    const alerts: ReturnType<FraudEngine['observe']> = []
    for (let i = 0; i < 8; i++)
      alerts.push(
        ...engine.observe(
          ev({
            type: 'activate',
            cardId: `s${i}`,
            at: T0 + i * 3 * MIN,
            amountCents: 24500,
            balanceAfterCents: 24500,
            orderId: `order-s${i}`,
            terminalId: 'web-1',
            customerId: 'stub',
          }),
        ),
      )
    for (let i = 0; i < 3; i++)
      alerts.push(
        ...engine.observe(
          ev({
            type: 'redeem',
            cardId: `s${i}`,
            at: T0 + 2 * 60 * MIN + i * MIN,
            amountCents: -24500,
            balanceAfterCents: 0,
            orderId: `spend-s${i}`,
          }),
        ),
      )
    const bulk = alerts.filter((a) => a.rule === 'bulk_purchase')
    expect(bulk.length).toBeGreaterThan(0)
    // Known from its first purchase, minutes before the last card: never "-525600 minutes".
    for (const a of bulk) expect(a.evidence.reason).not.toMatch(/first known -/)
    expect(bulk[0]?.evidence.reason).toMatch(/first known \d+ minutes before/)
  })

  it('forgets buyers’ groups half an hour after their last card and activations a day old', () => {
    const engine = new FraudEngine(context)

    // Three days of a busy till: an order every 36 seconds, each a single activation.
    for (let i = 0; i < 7_200; i++)
      engine.observe(
        ev({
          type: 'activate',
          at: T0 + i * 36_000,
          cardId: `c${i % 500}`,
          orderId: `o${i}`,
          amountCents: 2500,
        }),
      )
    // 100 orders an hour: half an hour of open buyers' groups (50), not 7,200; the last day's
    // activations wait for their drains (2,400, but only 500 distinct cards here).
    expect(engine.stateSize().openOrders).toBeGreaterThan(40)
    expect(engine.stateSize().openOrders).toBeLessThanOrEqual(51)
    expect(engine.stateSize().recentActivations).toBe(500)
    expect(engine.stateSize().cards).toBe(500)
  })
})
