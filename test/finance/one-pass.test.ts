import { describe, expect, it } from 'vitest'
import {
  type RunoffHistory,
  readRunoffHistories,
  readRunoffHistory,
} from '../../analytics/index.ts'
import { parseDate } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import {
  type BreakageEstimator,
  FORECAST_ESTIMATOR,
  fixedRateEstimator,
  recognitionSchedule,
} from '../../finance/index.ts'
import { applyBatch } from '../../ingest/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/**
 * The journal reads the ledger once for both month ends (`readRunoffHistories`, docs/finance.md
 * "Benchmark"). Here its figures are checked against the straightforward way: one ledger pass
 * per month end, each as `readRunoffHistory` (the query itself cutting the ledger at the date).
 */
const OPENS = Date.UTC(2026, 10, 1)
const CLOSES = Date.UTC(2026, 11, 1)

/** An estimator run once per as-of date: a full ledger pass for each. */
function perDate(estimator: BreakageEstimator): BreakageEstimator {
  return {
    ...estimator,
    async estimate(database, asOfs, options) {
      const out = []
      for (const [i, asOf] of asOfs.entries()) {
        const [one] = await estimator.estimate(database, [asOf], {
          ...options,
          onCard: (_asOf, cardId, spent) => options.onCard(i, cardId, spent),
        })
        out.push(one as Awaited<ReturnType<BreakageEstimator['estimate']>>[number])
      }
      return out
    },
  }
}

/**
 * Cards the month boundary cuts oddly: one issued in November with a load dated in October
 * (before its issue, so counted in its issue month) and one whose only moves are in November.
 */
async function writeEdgeCards(database: Database): Promise<void> {
  const event = (eventId: string, cardRef: string, amountCents: number, occurredAt: string) => ({
    source: 'import' as const,
    eventId,
    cardRef,
    type: amountCents > 0 ? ('activate' as const) : ('redeem' as const),
    amountCents,
    currency: 'USD',
    occurredAt,
  })
  await applyBatch(database, {
    events: [
      event('edge-a1', 'edge-late', 5000, '2026-10-30T12:00:00Z'),
      event('edge-a2', 'edge-late', -1500, '2026-11-12T12:00:00Z'),
      event('edge-b1', 'edge-new', 8000, '2026-11-03T12:00:00Z'),
      event('edge-b2', 'edge-new', -8000, '2026-11-20T12:00:00Z'),
    ],
    cards: [],
  })
  await database.db
    .updateTable('gift_cards')
    .set({ issued_at: '2026-11-10T00:00:00.000Z' })
    .where('id', 'in', (eb) =>
      eb.selectFrom('gift_card_transactions').select('card_id').where('event_id', '=', 'edge-a1'),
    )
    .execute()
}

for (const dialect of DIALECTS) {
  describe(`one ledger pass for both month ends on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (d) => {
      database = d
      await seedChain(d, {
        cards: 600,
        seed: 11,
        startMs: parseDate('2024-12-01'),
        months: 24,
      })
      await writeEdgeCards(d)
    })

    it('reads each history exactly as a pass of its own does, the cards spent included', async () => {
      const spent: Map<string, number>[] = [new Map(), new Map()]
      const both = await readRunoffHistories(database, [OPENS, CLOSES], {
        onCard: (i, id, cents) => spent[i]?.set(id, cents),
      })
      for (const [i, cutoff] of [OPENS, CLOSES].entries()) {
        const alone = new Map<string, number>()
        const history = await readRunoffHistory(database, cutoff, {
          onCard: (id, cents) => alone.set(id, cents),
        })
        const { exposure, activeExposure, redeemed, leftSmall, leftTotal, ...rest } = history
        const arrays = { exposure, activeExposure, redeemed, leftSmall, leftTotal }
        const {
          exposure: _e,
          activeExposure: _a,
          redeemed: _r,
          leftSmall: _s,
          leftTotal: _t,
          ...mine
        } = both[i] as RunoffHistory
        expect(mine).toEqual(rest)
        // The accumulators cell by cell (hundreds of thousands: compared as bytes, not by expect).
        for (const [key, cells] of Object.entries(arrays)) {
          const other = (both[i] as RunoffHistory)[key as keyof typeof arrays]
          expect(`${key} ${Buffer.from(other.buffer).equals(Buffer.from(cells.buffer))}`).toBe(
            `${key} true`,
          )
        }
        expect(spent[i]).toEqual(alone)
      }
      // The chain and the edge cards give each side something to differ by.
      expect(both[1]?.openCards.length).toBeGreaterThan(100)
      expect(both[1]?.loadedCents).toBeGreaterThan(both[0]?.loadedCents ?? 0)
      const edge = await database.db
        .selectFrom('gift_card_transactions')
        .select(['event_id', 'card_id'])
        .where('event_id', 'in', ['edge-a1', 'edge-b1'])
        .execute()
      const cardOf = (event: string) => edge.find((e) => e.event_id === event)?.card_id ?? ''
      // Issued in November, loaded (by its date) in October: in the opening history by its
      // load; the card first used in November is in the closing history only.
      expect(spent[0]?.get(cardOf('edge-a1'))).toBe(0)
      expect(spent[1]?.get(cardOf('edge-a1'))).toBe(1500)
      expect(spent[0]?.has(cardOf('edge-b1'))).toBe(false)
      expect(spent[1]?.get(cardOf('edge-b1'))).toBe(8000)
    })

    it('gives the November schedule figure for figure, with the forecast and a stated rate', async () => {
      for (const estimator of [
        FORECAST_ESTIMATOR,
        fixedRateEstimator((at) => (at <= OPENS ? 0.2 : 0.3)),
      ]) {
        const fast = await recognitionSchedule(database, { month: '2026-11', estimator })
        const slow = await recognitionSchedule(database, {
          month: '2026-11',
          estimator: perDate(estimator),
        })
        expect(fast).toEqual(slow)
        expect(fast.totals.breakageRecognisedCents).toBeGreaterThan(0)
        expect(fast.pools.some((p) => p.redeemedInMonthCents > 0)).toBe(true)
      }
    })
  })
}
