import type { Database } from '../../db/index.ts'

/**
 * A hand-built ledger for the finance close of October 2026, every figure known (cents):
 *
 * | card | store | claimant (rule)              | moves                                                   | balance |
 * | ---- | ----- | ---------------------------- | ------------------------------------------------------- | ------- |
 * | c1   | loc_a | US-FL holder (exempt)        | +10000 2025-01-15, −4000 2026-03-10, −1000 2026-10-05    | 5000    |
 * | c2   | loc_a | US-FL holder (exempt)        | +10000 2026-02-01                                       | 10000   |
 * | c3   | loc_b | US-FL holder (exempt)        | +5000 2026-09-20, −2000 2026-10-20                      | 3000    |
 * | c4   | loc_b | US-FL holder (exempt)        | +10000 2026-10-10                                       | 10000   |
 * | c5   | loc_b | US-CA holder, no expiry      | +4000 2024-06-01, −1000 2024-07-01                      | 3000    |
 * | c6   | loc_a | US-NY holder (5 years)       | +7000 2021-10-12 → deadline 2026-10-12 (in October)     | 7000    |
 * | c7   | loc_a | US-NY holder (5 years)       | +2000 2025-05-01, −500 2026-10-15                       | 1500    |
 * | c8   | loc_b | none → US-DE (5 years)       | +2500 2021-09-03 → deadline 2026-09-03 (September)      | 2500    |
 * | c9   | loc_b | none → US-DE (5 years)       | +1200 2021-10-30 → deadline 2026-10-30 (in October)     | 1200    |
 *
 * California claims only cards with an expiry, so c5 is breakage's; Florida never claims.
 * Pools: loc_a/US-FL and loc_b/US-FL and loc_b/US-CA recognise breakage; loc_a/US-NY and
 * loc_b/US-DE are escheat-bound. A c10 issued in November is outside the month.
 */
export async function writeHandLedger(database: Database): Promise<void> {
  const { db } = database
  const store = (id: string, name: string, jurisdiction: string) => ({
    id,
    name,
    city: name,
    region: 'test',
    jurisdiction,
    timezone: 'UTC',
    latitude: 0,
    longitude: 0,
    opened_at: '2020-01-01T00:00:00.000Z',
  })
  await db
    .insertInto('locations')
    .values([store('loc_a', 'Albany', 'US-NY'), store('loc_b', 'Boca Raton', 'US-FL')])
    .execute()
  const customer = (id: string, state: string) => ({
    id,
    pseudonym: `p_${id}`,
    name: null,
    email: null,
    phone: null,
    address_state: state,
    home_location_id: null,
    created_at: '2020-01-01T00:00:00.000Z',
  })
  await db
    .insertInto('customers')
    .values([customer('cu_fl', 'US-FL'), customer('cu_ca', 'US-CA'), customer('cu_ny', 'US-NY')])
    .execute()
  type Move = [string, number]
  const cards: [string, string, string | null, Move[]][] = [
    [
      'c1',
      'loc_a',
      'cu_fl',
      [
        ['2025-01-15', 10000],
        ['2026-03-10', -4000],
        ['2026-10-05', -1000],
      ],
    ],
    ['c2', 'loc_a', 'cu_fl', [['2026-02-01', 10000]]],
    [
      'c3',
      'loc_b',
      'cu_fl',
      [
        ['2026-09-20', 5000],
        ['2026-10-20', -2000],
      ],
    ],
    ['c4', 'loc_b', 'cu_fl', [['2026-10-10', 10000]]],
    [
      'c5',
      'loc_b',
      'cu_ca',
      [
        ['2024-06-01', 4000],
        ['2024-07-01', -1000],
      ],
    ],
    ['c6', 'loc_a', 'cu_ny', [['2021-10-12', 7000]]],
    [
      'c7',
      'loc_a',
      'cu_ny',
      [
        ['2025-05-01', 2000],
        ['2026-10-15', -500],
      ],
    ],
    ['c8', 'loc_b', null, [['2021-09-03', 2500]]],
    ['c9', 'loc_b', null, [['2021-10-30', 1200]]],
    ['c10', 'loc_a', 'cu_fl', [['2026-11-03', 9900]]],
  ]
  const at = (day: string) => `${day}T12:00:00.000Z`
  for (const [id, location, holder, moves] of cards) {
    const balance = moves.reduce((s, [, cents]) => s + cents, 0)
    const first = moves[0] as Move
    const last = moves.at(-1) as Move
    await db
      .insertInto('gift_cards')
      .values({
        id,
        source: 'seed',
        gan_last4: '0000',
        initial_value_cents: first[1],
        balance_cents: balance,
        currency: 'USD',
        status: 'active',
        issued_at: at(first[0]),
        expires_at: null,
        issuing_location_id: location,
        holder_customer_id: holder,
        last_activity_at: at(last[0]),
        updated_at: at(last[0]),
      })
      .execute()
    let running = 0
    for (const [i, [day, cents]] of moves.entries()) {
      running += cents
      await db
        .insertInto('gift_card_transactions')
        .values({
          source: 'seed',
          event_id: `${id}-${i}`,
          card_id: id,
          type: i === 0 ? 'activate' : 'redeem',
          amount_cents: cents,
          balance_after_cents: running,
          currency: 'USD',
          occurred_at: at(day),
          location_id: location,
          terminal_id: null,
          order_id: null,
          customer_id: null,
          employee_id: null,
        })
        .execute()
    }
  }
}
