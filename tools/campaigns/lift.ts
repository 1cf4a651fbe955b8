import { independenceTest } from '../../analytics/index.ts'
import { DAY_MS, toIso } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'

/** The windows a campaign's lift is measured over, in days after its launch. */
export const LIFT_WINDOWS = [30, 60, 90] as const

/** One arm over one window: its cards, how many redeemed, the rate. */
export type ArmResult = { cards: number; redeemed: number; rate: number }

/** A campaign's lift over one window (docs/campaigns.md#lift). */
export type LiftWindow = {
  days: (typeof LIFT_WINDOWS)[number]
  /** False while the window has not ended: the counts so far. */
  complete: boolean
  contacted: ArmResult
  holdout: ArmResult
  /** Contacted rate minus holdout rate, in percentage points; null with an empty arm. */
  liftPoints: number | null
  /** Two-sided p-value that the two rates are equal (chi-square, or Fisher's exact test). */
  pValue: number | null
  test: 'chi_square' | 'fisher' | null
}

/**
 * The lift of launched campaigns: for each window, the share of contacted cards with a
 * redemption in the N days after the launch against the same share of the holdout, with the
 * 2×2 test of analytics/significance.ts. Read from `campaign_members` (who was in which arm,
 * stored at launch) and the ledger; nothing is written. Campaigns launched before the holdout
 * (no members) are absent from the map.
 */
export async function campaignLift(
  database: Database,
  campaignIds: readonly number[],
  now: number = Date.now(),
): Promise<Map<number, LiftWindow[]>> {
  const lifts = new Map<number, LiftWindow[]>()
  if (campaignIds.length === 0) return lifts
  const launched = await database.db
    .selectFrom('campaigns')
    .select(['id', 'launched_at'])
    .where('id', 'in', [...campaignIds])
    .where('launched_at', 'is not', null)
    .execute()
  for (const c of launched) {
    const launchedMs = Date.parse(c.launched_at as string)
    const sizes = await database.db
      .selectFrom('campaign_members')
      .select(['arm', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('campaign_id', '=', Number(c.id))
      .groupBy('arm')
      .execute()
    if (sizes.length === 0) continue
    const size = (arm: string) => Number(sizes.find((s) => s.arm === arm)?.n ?? 0)
    const windows: LiftWindow[] = []
    for (const days of LIFT_WINDOWS) {
      const end = launchedMs + days * DAY_MS
      const redeemed = await database.db
        .selectFrom('campaign_members as m')
        .select(['m.arm', (eb) => eb.fn.count<string | number>('m.card_id').distinct().as('n')])
        .where('m.campaign_id', '=', Number(c.id))
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('gift_card_transactions as t')
              .select('t.id')
              .whereRef('t.card_id', '=', 'm.card_id')
              .where('t.type', '=', 'redeem')
              .where('t.result', '=', 'ok')
              .where('t.occurred_at', '>', c.launched_at as string)
              .where('t.occurred_at', '<=', toIso(Math.min(end, now))),
          ),
        )
        .groupBy('m.arm')
        .execute()
      const count = (arm: string) => Number(redeemed.find((r) => r.arm === arm)?.n ?? 0)
      const arm = (name: string): ArmResult => {
        const cards = size(name)
        const n = count(name)
        return { cards, redeemed: n, rate: cards > 0 ? round(n / cards) : 0 }
      }
      const contacted = arm('contacted')
      const holdout = arm('holdout')
      const both = contacted.cards > 0 && holdout.cards > 0
      const test = both
        ? independenceTest({
            a: contacted.redeemed,
            b: contacted.cards - contacted.redeemed,
            c: holdout.redeemed,
            d: holdout.cards - holdout.redeemed,
          })
        : null
      windows.push({
        days,
        complete: now >= end,
        contacted,
        holdout,
        liftPoints: both
          ? round(
              (100 * contacted.redeemed) / contacted.cards -
                (100 * holdout.redeemed) / holdout.cards,
            )
          : null,
        pValue: test ? round(test.pValue) : null,
        test: test?.test ?? null,
      })
    }
    lifts.set(Number(c.id), windows)
  }
  return lifts
}

const round = (x: number) => Number(x.toFixed(4))
