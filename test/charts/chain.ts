import { type Database, rebuildDailyRollup } from '../../db/index.ts'

const iso = (day: string, hour = 12) => `${day}T${String(hour).padStart(2, '0')}:00:00.000Z`
const plusDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00.000Z`) + n * 86_400_000).toISOString().slice(0, 10)

const STATES = [
  ['loc_ca', 'US-CA'],
  ['loc_ny', 'US-NY'],
  ['loc_tx', 'US-TX'],
] as const

type Tx = { type: 'activate' | 'redeem'; cents: number; day: string }
type ChainCard = { id: string; store: string; txs: Tx[] }

const LAST_DAY = '2026-03-13'

/**
 * The charts' tiny chain, every figure known: three stores (CA, NY, TX, all UTC); nine holiday
 * cards of $100 bought from 2025-11-20 with $60 of each spent in January 2026 (the post-holiday
 * spike) and $10 more on four of them in March; and one $50 card bought on the 5th of each month
 * from 2025-01 to 2026-02, $5 to $20 of it spent the next month, $10 two to four months on and
 * $5 five or six months on (while the ledger lasts), so the forecast has cohorts to fit. Four fraud alerts: three in January 2026
 * (two card_testing, one refund_abuse), one impossible_travel in March. The ledger's last
 * event is on 2026-03-13.
 */
function chainCards(): ChainCard[] {
  const cards: ChainCard[] = []
  for (let i = 0; i < 9; i++) {
    const txs: Tx[] = [
      { type: 'activate', cents: 10000, day: plusDays('2025-11-20', i) },
      { type: 'redeem', cents: -6000, day: plusDays('2026-01-03', i) },
    ]
    if (i < 4) txs.push({ type: 'redeem', cents: -1000, day: plusDays('2026-03-10', i) })
    cards.push({ id: `gc_h${i}`, store: STATES[i % 3]?.[0] ?? 'loc_ca', txs })
  }
  for (let m = 0; m < 14; m++) {
    const month = (k: number) => {
      const date = new Date(Date.UTC(2025, m + k, 5))
      return date.toISOString().slice(0, 10)
    }
    const txs: Tx[] = [{ type: 'activate', cents: 5000, day: month(0) }]
    // Cohorts unlike each other (amounts, idle months), so the bootstrap has a spread to show.
    const uses = [
      { after: 1, cents: 500 + 500 * (m % 4) },
      { after: 2 + (m % 3), cents: 1000 },
      { after: 5 + (m % 2), cents: 500 },
    ]
    for (const use of uses)
      if (month(use.after) <= LAST_DAY)
        txs.push({ type: 'redeem', cents: -use.cents, day: month(use.after) })
    cards.push({
      id: `gc_m${String(m).padStart(2, '0')}`,
      store: STATES[m % 3]?.[0] ?? 'loc_ca',
      txs,
    })
  }
  return cards
}

const CARDS = chainCards()
const redeemedIn = (month: string) =>
  -CARDS.flatMap((c) => c.txs)
    .filter((t) => t.type === 'redeem' && t.day.startsWith(month))
    .reduce((s, t) => s + t.cents, 0)

export const CHAIN = {
  januaryRedeemedCents: redeemedIn('2026-01'),
  /** The month with the most redeemed after January (the spike must beat it). */
  otherMonthsMaxCents: Math.max(
    ...[...new Set(CARDS.flatMap((c) => c.txs.map((t) => t.day.slice(0, 7))))]
      .filter((m) => m !== '2026-01')
      .map(redeemedIn),
  ),
  /** Outstanding at the end: every card's balance. */
  liabilityCents: CARDS.reduce((s, c) => s + c.txs.reduce((b, t) => b + t.cents, 0), 0),
  lastDay: LAST_DAY,
  alerts: { '2026-01': 3, '2026-03': 1 },
} as const

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
  const cards = CARDS
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
