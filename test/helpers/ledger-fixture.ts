import type { Kysely } from 'kysely'
import type { DB } from '../../db/index.ts'

/**
 * A tiny hand-written ledger whose every figure is known: three cards in two states, a
 * load, partial and full redemptions, a balance check and a declined check on no card.
 */
export async function writeLedgerFixture(db: Kysely<DB>): Promise<void> {
  const location = (id: string, jurisdiction: string, city: string) => ({
    id,
    name: city,
    city,
    region: 'test',
    jurisdiction,
    timezone: 'UTC',
    latitude: 0,
    longitude: 0,
    opened_at: '2020-01-01T00:00:00.000Z',
  })
  await db
    .insertInto('locations')
    .values([location('loc_ca', 'US-CA', 'San Francisco'), location('loc_ny', 'US-NY', 'New York')])
    .execute()
  const card = (
    id: string,
    last4: string,
    value: number,
    balance: number,
    issuedAt: string,
    locationId: string,
    occasion: 'holiday' | 'birthday' | 'corporate',
    channel: 'in_store' | 'online' | 'corporate',
    lastActivity: string,
  ) => ({
    id,
    source: 'seed' as const,
    gan_last4: last4,
    initial_value_cents: value,
    balance_cents: balance,
    currency: 'USD',
    status: balance === 0 ? ('redeemed' as const) : ('active' as const),
    issued_at: issuedAt,
    issuing_location_id: locationId,
    occasion,
    channel,
    last_activity_at: lastActivity,
    updated_at: lastActivity,
  })
  await db
    .insertInto('gift_cards')
    .values([
      card(
        'gc_a',
        '1111',
        5000,
        2000,
        '2025-01-10T10:00:00.000Z',
        'loc_ca',
        'holiday',
        'in_store',
        '2025-03-15T18:00:00.000Z',
      ),
      card(
        'gc_b',
        '1111',
        10000,
        0,
        '2025-02-20T15:00:00.000Z',
        'loc_ny',
        'birthday',
        'online',
        '2025-04-01T12:00:00.000Z',
      ),
      card(
        'gc_c',
        '2222',
        2500,
        2500,
        '2025-03-05T09:30:00.000Z',
        'loc_ny',
        'corporate',
        'corporate',
        '2025-03-05T09:30:00.000Z',
      ),
    ])
    .execute()
  const tx = (
    eventId: string,
    cardId: string | null,
    type: 'activate' | 'load' | 'redeem' | 'balance_check',
    amount: number,
    after: number | null,
    at: string,
    result: 'ok' | 'declined' = 'ok',
  ) => ({
    source: 'seed' as const,
    event_id: eventId,
    card_id: cardId,
    type,
    result,
    amount_cents: amount,
    balance_after_cents: after,
    currency: 'USD',
    occurred_at: at,
    location_id: cardId === 'gc_a' ? 'loc_ca' : 'loc_ny',
  })
  await db
    .insertInto('gift_card_transactions')
    .values([
      tx('e1', 'gc_a', 'activate', 5000, 5000, '2025-01-10T10:00:00.000Z'),
      tx('e2', 'gc_a', 'redeem', -2000, 3000, '2025-02-01T12:00:00.000Z'),
      tx('e3', 'gc_a', 'redeem', -1000, 2000, '2025-03-15T18:00:00.000Z'),
      tx('e4', 'gc_b', 'activate', 10000, 10000, '2025-02-20T15:00:00.000Z'),
      tx('e5', 'gc_b', 'load', 2500, 12500, '2025-03-01T08:00:00.000Z'),
      tx('e6', 'gc_b', 'redeem', -12500, 0, '2025-04-01T12:00:00.000Z'),
      tx('e7', 'gc_c', 'activate', 2500, 2500, '2025-03-05T09:30:00.000Z'),
      tx('e8', 'gc_c', 'balance_check', 0, 2500, '2025-03-10T11:00:00.000Z'),
      tx('e9', null, 'balance_check', 0, null, '2025-03-11T11:00:00.000Z', 'declined'),
    ])
    .execute()
}
