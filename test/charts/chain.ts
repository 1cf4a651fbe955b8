import { type Database, rebuildDailyRollup } from '../../db/index.ts'

/**
 * The charts' tiny chain, every figure known: three stores (CA, NY, TX, all UTC); nine holiday
 * cards of $100 bought from 2025-11-20 and $60 of each spent in January 2026 (the post-holiday
 * spike: $540 redeemed that month), $10 more on four of them in March; two summer cards of $50
 * with $20 spent in July 2025. Four fraud alerts: three in January 2026 (two card_testing, one
 * refund_abuse), one impossible_travel in March. The ledger's last event is on 2026-03-13.
 */
export const CHAIN = {
  januaryRedeemedCents: 9 * 6000,
  /** Outstanding at the end: 9 × $40 − 4 × $10 + 2 × $30. */
  liabilityCents: 9 * 4000 - 4 * 1000 + 2 * 3000,
  lastDay: '2026-03-13',
  alerts: { '2026-01': 3, '2026-03': 1 },
} as const

const STATES = [
  ['loc_ca', 'US-CA'],
  ['loc_ny', 'US-NY'],
  ['loc_tx', 'US-TX'],
] as const

const iso = (day: string, hour = 12) => `${day}T${String(hour).padStart(2, '0')}:00:00.000Z`
const plusDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00.000Z`) + n * 86_400_000).toISOString().slice(0, 10)

export async function writeChartChain(database: Database): Promise<void> {
  const { db } = database
  await db
    .insertInto('locations')
    .values(
      STATES.map(([id, jurisdiction]) => ({
        id,
        name: `Store ${jurisdiction}`,
        city: jurisdiction,
        region: 'test',
        jurisdiction,
        timezone: 'UTC',
        latitude: 0,
        longitude: 0,
        opened_at: '2020-01-01T00:00:00.000Z',
      })),
    )
    .execute()
  type Tx = { type: 'activate' | 'redeem'; cents: number; day: string }
  const cards: { id: string; store: string; txs: Tx[] }[] = []
  for (let i = 0; i < 9; i++) {
    const txs: Tx[] = [
      { type: 'activate', cents: 10000, day: plusDays('2025-11-20', i) },
      { type: 'redeem', cents: -6000, day: plusDays('2026-01-03', i) },
    ]
    if (i < 4) txs.push({ type: 'redeem', cents: -1000, day: plusDays('2026-03-10', i) })
    cards.push({ id: `gc_h${i}`, store: STATES[i % 3]?.[0] ?? 'loc_ca', txs })
  }
  for (let i = 0; i < 2; i++)
    cards.push({
      id: `gc_s${i}`,
      store: 'loc_ca',
      txs: [
        { type: 'activate', cents: 5000, day: plusDays('2025-06-01', i) },
        { type: 'redeem', cents: -2000, day: plusDays('2025-07-01', i) },
      ],
    })
  await db
    .insertInto('gift_cards')
    .values(
      cards.map((c, n) => {
        const balance = c.txs.reduce((s, t) => s + t.cents, 0)
        const last = c.txs[c.txs.length - 1]?.day ?? '2025-01-01'
        return {
          id: c.id,
          source: 'seed' as const,
          gan_last4: String(1000 + n),
          initial_value_cents: c.txs[0]?.cents ?? 0,
          balance_cents: balance,
          currency: 'USD',
          status: 'active' as const,
          issued_at: iso(c.txs[0]?.day ?? '2025-01-01'),
          issuing_location_id: c.store,
          occasion: 'holiday' as const,
          channel: 'in_store' as const,
          last_activity_at: iso(last),
          updated_at: iso(last),
        }
      }),
    )
    .execute()
  await db
    .insertInto('gift_card_transactions')
    .values(
      cards.flatMap((c) => {
        let balance = 0
        return c.txs.map((t, k) => {
          balance += t.cents
          return {
            source: 'seed' as const,
            event_id: `${c.id}-${k}`,
            card_id: c.id,
            type: t.type,
            result: 'ok' as const,
            amount_cents: t.cents,
            balance_after_cents: balance,
            currency: 'USD',
            occurred_at: iso(t.day),
            location_id: c.store,
          }
        })
      }),
    )
    .execute()
  const alert = (card: string, rule: string, day: string) => ({
    card_id: card,
    rule,
    score: 0.9,
    status: 'open' as const,
    evidence: JSON.stringify({ reason: 'test' }),
    detected_at: iso(day),
    updated_at: iso(day),
    updated_by: null,
    note: null,
  })
  await db
    .insertInto('fraud_alerts')
    .values([
      alert('gc_h0', 'card_testing', '2026-01-04'),
      alert('gc_h1', 'card_testing', '2026-01-05'),
      alert('gc_h2', 'refund_abuse', '2026-01-09'),
      alert('gc_h3', 'impossible_travel', '2026-03-11'),
    ])
    .execute()
  // Written by hand, so the daily rollup ledger_metrics reads is built from it.
  await rebuildDailyRollup(db, database.adapter)
}
