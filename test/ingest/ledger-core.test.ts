import { describe, expect, it } from 'vitest'
import { type CardEvent, isGiftCardError, type TransactionType } from '../../core/index.ts'
import type { StoredCard, StoredOriginal } from '../../db/index.ts'
import {
  applyEvents,
  applySnapshot,
  type CardState,
  cardState,
  correctLateHolders,
  HELD_CARD_RULE,
  heldCardAlerts,
  type LedgerChanges,
  newCards,
  nextStatus,
  replay,
  VoidBatch,
  type VoidTargets,
  validateEvent,
  withoutDuplicates,
} from '../../ingest/index.ts'

/**
 * The ledger's rules (ingest/ledger-core.ts, docs/ingest.md "The write path") on their own: no
 * database, the time passed in. Each rule with the case that shows it.
 */

const NOW = Date.parse('2025-03-01T12:00:00.000Z')
let n = 0

function card(over: Partial<StoredCard> = {}): CardState {
  return cardState({
    id: 'gc-1',
    source: 'generic',
    gan_last4: '0001',
    currency: 'USD',
    balance_cents: 0,
    balance_as_of: null,
    last_activity_at: null,
    status: 'active',
    initial_value_cents: 0,
    issued_at: '2025-01-01T00:00:00.000Z',
    issuing_location_id: 'L1',
    occasion: null,
    channel: null,
    ...over,
  })
}

function ev(
  type: TransactionType,
  amountCents: number,
  occurredAt: string,
  over: Partial<CardEvent> = {},
): CardEvent {
  return {
    source: 'generic',
    eventId: `e${++n}`,
    cardRef: 'gc-1',
    type,
    amountCents,
    currency: 'USD',
    occurredAt,
    ...over,
  }
}

const NO_VOIDS: VoidTargets = { stored: new Map(), voidedBy: new Map() }
const planOptions = { queued: false, expectNew: false, again: () => new Error('again') }

/** The batch's events applied to `states` in UTC days, voids planned against `found`. */
function apply(
  states: CardState[],
  events: CardEvent[],
  found: VoidTargets = NO_VOIDS,
  snapshots: Parameters<typeof applyEvents>[0]['snapshots'] = [],
): LedgerChanges {
  const plan = VoidBatch.plan(events, found, planOptions)
  return applyEvents({
    states: new Map(states.map((s) => [s.id, s])),
    events: plan.events,
    snapshots,
    voids: plan.voids,
    timezone: 'UTC',
    keepApplied: true,
  })
}

function conflict(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    if (isGiftCardError(err) && err.code === 'CONFLICT') return err.message
    throw err
  }
  throw new Error('no conflict')
}

describe('the ledger rules', () => {
  it('activation sets the initial value, the issue date when earlier, and the card active', () => {
    const state = card({ issued_at: '2025-02-01T00:00:00.000Z' })
    const { amount, ledgerBalance } = replay(state, ev('activate', 5000, '2025-01-15T10:00:00Z'))
    expect([amount, ledgerBalance]).toEqual([5000, 5000])
    expect(state).toMatchObject({
      initial_value_cents: 5000,
      issued_at: '2025-01-15T10:00:00Z',
      issuedMoved: true,
      status: 'active',
      last_activity_at: '2025-01-15T10:00:00Z',
      balance_as_of: '2025-01-15T10:00:00Z',
    })
    // A second activation keeps the first initial value.
    replay(state, ev('activate', 700, '2025-01-16T10:00:00Z'))
    expect(state.initial_value_cents).toBe(5000)
  })

  it('a load adds its amount, and a redemption down to zero leaves the card redeemed', () => {
    const state = card({ balance_cents: 1000, balance_as_of: '2025-01-02T00:00:00.000Z' })
    replay(state, ev('load', 500, '2025-01-03T00:00:00Z'))
    expect(state.balance_cents).toBe(1500)
    replay(state, ev('redeem', -1500, '2025-01-04T00:00:00Z'))
    expect([state.balance_cents, state.status]).toEqual([0, 'redeemed'])
    // A refund brings it back to active.
    replay(state, ev('refund', 300, '2025-01-05T00:00:00Z'))
    expect([state.balance_cents, state.status]).toEqual([300, 'active'])
  })

  it('refuses a redemption beyond the balance, naming the event, card and shortfall', () => {
    const state = card({ balance_cents: 1000 })
    const redeem = ev('redeem', -1200, '2025-01-04T00:00:00Z')
    expect(conflict(() => replay(state, redeem))).toBe(
      `event ${redeem.eventId} would take card gc-1 below zero (-200 cents)`,
    )
    // Where the POS reports the balance after, that balance is the card's, whatever the amount.
    const reported = card({ balance_cents: 1000 })
    replay(reported, ev('redeem', -1200, '2025-01-04T00:00:00Z', { balanceAfterCents: 0 }))
    expect(reported.balance_cents).toBe(0)
  })

  it('a clear or deactivation moves what the POS says was on the card', () => {
    const state = card({ balance_cents: 2500 })
    const { amount } = replay(
      state,
      ev('clear', 0, '2025-01-04T00:00:00Z', { balanceAfterCents: 0 }),
    )
    expect([amount, state.balance_cents, state.status]).toEqual([-2500, 0, 'redeemed'])
    const off = card({ balance_cents: 900 })
    const out = replay(off, ev('deactivate', 0, '2025-01-04T00:00:00Z', { balanceAfterCents: 0 }))
    expect([out.amount, off.status]).toEqual([-900, 'deactivated'])
  })

  it('statuses: holds stick until released, expiry and deactivation are final', () => {
    expect(nextStatus('active', 'block', 100)).toBe('held')
    expect(nextStatus('held', 'redeem', 50)).toBe('held')
    expect(nextStatus('held', 'unblock', 50)).toBe('active')
    expect(nextStatus('held', 'unblock', 0)).toBe('redeemed')
    expect(nextStatus('active', 'unblock', 0)).toBe('active')
    expect(nextStatus('deactivated', 'load', 50)).toBe('deactivated')
    expect(nextStatus('expired', 'refund', 50)).toBe('expired')
    expect(nextStatus('active', 'expire', 0)).toBe('expired')
    // A balance check or an activation never marks a card redeemed (a zero balance read back
    // on a redeemed card makes it active again: the rule as it stands).
    expect(nextStatus('redeemed', 'balance_check', 0)).toBe('active')
    expect(nextStatus('active', 'activate', 0)).toBe('active')
    expect(nextStatus('active', 'adjust_down', 0)).toBe('redeemed')
  })

  it('a redemption on a held card is recorded and raises one alert per card', () => {
    const state = card({ balance_cents: 1000, status: 'held' })
    const first = ev('redeem', -100, '2025-01-04T00:00:00Z', { locationId: 'L2', terminalId: 'T9' })
    const changes = apply([state], [first, ev('redeem', -200, '2025-01-05T00:00:00Z')])
    expect(changes.appliedCount).toBe(2)
    expect(state.balance_cents).toBe(700)
    expect(changes.heldRedemptions.map((h) => h.event.eventId)).toHaveLength(2)
    const alerts = heldCardAlerts(changes.heldRedemptions, '2025-03-01T00:00:00.000Z')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]?.slice(0, 4)).toEqual(['gc-1', HELD_CARD_RULE, 1, 'open'])
    expect(JSON.parse(alerts[0]?.[4] as string).events[0]).toMatchObject({
      eventId: first.eventId,
      locationId: 'L2',
      terminalId: 'T9',
    })
  })

  it('duplicates: twice in the batch or already in the ledger are left out and counted', () => {
    const a = ev('load', 100, '2025-01-04T00:00:00Z')
    const b = ev('load', 100, '2025-01-05T00:00:00Z')
    const c = ev('load', 100, '2025-01-06T00:00:00Z')
    const seen = new Map([['generic', new Set([c.eventId])]])
    const { unique, duplicates } = withoutDuplicates([a, b, a, c], seen)
    expect(unique).toEqual([a, b])
    expect(duplicates).toBe(2)
    // The same id from another source is another event.
    expect(withoutDuplicates([a, { ...a, source: 'square' }], new Map()).duplicates).toBe(0)
  })

  it('out of order: the newest reported balance wins, amounts add up, activity never goes back', () => {
    const state = card({
      balance_cents: 800,
      balance_as_of: '2025-01-10T00:00:00.000Z',
      last_activity_at: '2025-01-10T00:00:00.000Z',
    })
    // Late, with a reported balance: the balance stays the newest one's.
    replay(state, ev('redeem', -100, '2025-01-05T00:00:00Z', { balanceAfterCents: 1200 }))
    expect([state.balance_cents, state.last_activity_at]).toEqual([800, '2025-01-10T00:00:00.000Z'])
    // Late, without one: its amount counts.
    replay(state, ev('load', 200, '2025-01-06T00:00:00Z'))
    expect(state.balance_cents).toBe(1000)
    expect(state.balance_as_of).toBe('2025-01-10T00:00:00.000Z')
  })

  it('replays a card’s events in time order, whatever order the batch lists them in', () => {
    const state = card()
    const redeem = ev('redeem', -300, '2025-01-05T00:00:00Z')
    const activate = ev('activate', 1000, '2025-01-04T00:00:00Z')
    const changes = apply([state], [redeem, activate])
    expect(changes.rows.map((r) => [r[1], r[5], r[6]])).toEqual([
      [activate.eventId, 1000, 1000],
      [redeem.eventId, -300, 700],
    ])
  })

  it('a late event marks the card for the holders correction, which the ledger history settles', () => {
    const state = card({ balance_cents: 0, balance_as_of: '2025-01-10T00:00:00.000Z' })
    const onLate: string[] = []
    const changes = applyEvents({
      states: new Map([['gc-1', state]]),
      events: [ev('load', 500, '2025-01-03T00:00:00Z')],
      snapshots: [],
      voids: undefined,
      timezone: 'UTC',
      keepApplied: false,
      onLate: (id) => onLate.push(id),
    })
    expect(onLate).toEqual(['gc-1'])
    expect(changes.late.map((l) => l.moves)).toEqual([[{ day: '2025-01-03', amount: 500 }]])
    expect(changes.applied).toEqual([])
    // The ledger held 1000 from the 1st, back to 0 on the 10th: with the load, still 500 after.
    correctLateHolders(changes.rollup, changes.late, [
      { card_id: 'gc-1', occurred_at: '2025-01-01T00:00:00.000Z', amount_cents: 1000 },
      { card_id: 'gc-1', occurred_at: '2025-01-10T00:00:00.000Z', amount_cents: -1000 },
    ])
    expect(state.ledgerCents).toBe(500)
    const balance = changes.rollup.rows().filter((r) => r[0] === 'balance' && r[2] === 'L1')
    // The holders' count: no change on the 3rd (it held already); on the 10th, one opened
    // against the close the rollup had counted then (the card now still holds 500).
    expect(balance.map((r) => [r[1], r[7], r[8]])).toEqual([
      ['2025-01-03', 0, 0],
      ['2025-01-10', 1, 0],
    ])
  })

  it('voids an earlier event with the opposite of what it stored, after it, rolled up against its type', () => {
    const state = card({ balance_cents: 700, balance_as_of: '2025-01-05T00:00:00.000Z' })
    const stored: StoredOriginal = {
      event_id: 'r1',
      card_id: 'gc-1',
      type: 'redeem',
      result: 'ok',
      amount_cents: -300,
      occurred_at: '2025-01-05T00:00:00.000Z',
      location_id: 'L3',
    }
    const found: VoidTargets = {
      stored: new Map([['generic\u0000r1', stored]]),
      voidedBy: new Map(),
    }
    const v = ev('void', 0, '2025-01-04T00:00:00Z', { originalEventId: 'r1' })
    const changes = apply([state], [v], found)
    expect(state.balance_cents).toBe(1000)
    // Dated no earlier than its original, at its store.
    expect(changes.rows[0]?.slice(3, 10)).toEqual([
      'void',
      'ok',
      300,
      1000,
      'USD',
      '2025-01-05T00:00:00.000Z',
      'L3',
    ])
    const plan = VoidBatch.plan([v], found, planOptions)
    for (const e of plan.events) plan.voids?.reverse(e)
    expect(plan.voids?.rows).toEqual([
      ['generic', 'r1', v.eventId, 'gc-1', 'redeem', '2025-01-05T00:00:00.000Z'],
    ])
    const redeemCell = changes.rollup.rows().find((r) => r[0] === 'redeem' && r[2] === 'L3')
    expect(redeemCell?.slice(5, 7)).toEqual([-1, 300])
  })

  it('voids an event of the same batch, and refuses a void of a void or of an unknown event', () => {
    const state = card()
    const load = ev('load', 400, '2025-01-04T00:00:00Z')
    const v = ev('void', 0, '2025-01-04T01:00:00Z', { originalEventId: load.eventId })
    apply([state], [v, load])
    expect(state.balance_cents).toBe(0)
    const again = ev('void', 0, '2025-01-04T02:00:00Z', { originalEventId: v.eventId })
    expect(conflict(() => apply([card()], [load, v, again]))).toContain(
      'is itself a void, and a void cannot be voided',
    )
    const unknown = ev('void', 0, '2025-01-04T02:00:00Z', { originalEventId: 'nowhere' })
    expect(conflict(() => apply([card()], [unknown]))).toContain('which is not in the ledger')
  })

  it('new cards start from their earliest event, in id order', () => {
    const a = ev('activate', 500, '2025-01-04T00:00:00Z', {
      cardRef: 'gc-9',
      locationId: 'L4',
      customerId: 'C1',
    })
    const b = ev('redeem', -100, '2025-01-03T00:00:00Z', { cardRef: 'gc-9' })
    const c = ev('load', 100, '2025-01-02T00:00:00Z', { cardRef: 'x-12345' })
    const created = newCards(['x-12345', 'gc-9'], [a, b, c], [])
    expect(created.map((k) => [k.state.id, k.state.issued_at, k.state.gan_last4])).toEqual([
      ['gc-9', '2025-01-03T00:00:00Z', '0009'],
      ['x-12345', '2025-01-02T00:00:00Z', '2345'],
    ])
    // The earliest is the redemption: no purchaser, and its (absent) store.
    expect(created[0]).toMatchObject({ locationId: null, purchaserId: null })
  })

  it('snapshots: a POS hold or deactivation overrides the status, a release restores it', () => {
    const state = card({ balance_cents: 500 })
    const at = '2025-01-04T00:00:00Z'
    applySnapshot(state, { source: 'generic', cardRef: 'gc-1', occurredAt: at, state: 'held' })
    expect(state.status).toBe('held')
    applySnapshot(state, { source: 'generic', cardRef: 'gc-1', occurredAt: at, state: 'active' })
    expect(state.status).toBe('active')
    applySnapshot(state, {
      source: 'generic',
      cardRef: 'gc-1',
      occurredAt: at,
      state: 'deactivated',
    })
    expect(state.status).toBe('deactivated')
  })

  it('refuses an event dated more than a day after the time it is given, and brings times to storage form', () => {
    const tomorrow = ev('load', 100, new Date(NOW + 2 * 86_400_000).toISOString())
    expect(() => validateEvent(tomorrow, { now: NOW })).toThrow(/ahead|future/)
    // The same event, checked against a later clock, is fine.
    expect(() => validateEvent(tomorrow, { now: NOW + 2 * 86_400_000 })).not.toThrow()
    expect(
      validateEvent(ev('load', 100, '2025-02-30T10:00:00+02:00'), { now: NOW }).occurredAt,
    ).toBe('2025-03-02T08:00:00.000Z')
    expect(() => validateEvent(ev('load', 1.5, '2025-01-01T00:00:00Z'), { now: NOW })).toThrow(
      'amountCents is not a whole number of cents',
    )
    // Text that looks like the storage form is kept only when it names that very instant.
    const stored = ev('load', 100, '2025-01-28T23:59:59.999Z')
    expect(validateEvent(stored, { now: NOW })).toBe(stored)
    for (const [at, is] of [
      ['2025-01-01T24:00:00.000Z', '2025-01-02T00:00:00.000Z'],
      ['2025-02-29T10:00:00.000Z', '2025-03-01T10:00:00.000Z'],
      ['2025-01-31T10:00:00.000Z', '2025-01-31T10:00:00.000Z'],
    ] as const)
      expect(validateEvent(ev('load', 100, at), { now: NOW }).occurredAt, at).toBe(is)
    for (const at of [
      '2025-13-01T00:00:00.000Z',
      '2025-01-00T00:00:00.000Z',
      '2025-01-01T10:60:00.000Z',
    ])
      expect(() => validateEvent(ev('load', 100, at), { now: NOW }), at).toThrow(
        'occurredAt is not a timestamp',
      )
  })
})
