import { DAY_MS, type Occasion, parseDate } from '../core/index.ts'
import { countAll, type Database } from '../db/index.ts'
import type { LedgerPassOptions } from './breakage/ledger-pass.ts'

export const OCCASION_SEGMENTS = [
  'corporate_bulk',
  'holiday_gifter',
  'self_use',
  'birthday_occasional',
] as const
export type OccasionSegment = (typeof OCCASION_SEGMENTS)[number]
export const BEHAVIOUR_SEGMENTS = ['fast', 'slow_partial', 'dormant', 'too_new'] as const
export type BehaviourSegment = (typeof BEHAVIOUR_SEGMENTS)[number]

/** Cards bought together in one order from this many on are a bulk (corporate) purchase. */
const BULK_ORDER = 5

/** What a card's ledger says about why and how it was bought and used. */
type CardFeatures = {
  id: string
  purchaser: string
  issuedAt: number
  valueCents: number
  balanceCents: number
  orderSize: number
  holiday: boolean
  selfUse: boolean
  firstUseDays: number | null
  redeemedCents: number
  recordedOccasion: Occasion | null
}

export type SegmentRow = {
  segment: string
  purchasers: number
  cards: number
  liabilityCents: number
  averageBalanceCents: number
  /** The features that put purchasers here, averaged over the segment. */
  features: Record<string, number>
}

export type SegmentReport = {
  asOf: string
  byOccasion: SegmentRow[]
  byBehaviour: SegmentRow[]
  /** Where the ledger records each card's occasion: how often the derived segment agrees. */
  occasionAccuracy: { cards: number; agreement: number } | null
}

/**
 * Segments purchasers by why they buy (corporate / bulk, holiday gifter, self-use,
 * birthday / occasional) and by how their cards are used (fast, slow / partial, dormant), from
 * ledger features only: the order a card was bought in, the month, who holds it, reloads, when
 * it was first used and how much of it was. Deterministic: the same ledger, the same segments.
 */
export async function segmentPurchasers(
  database: Database,
  options: { asOf?: string } & LedgerPassOptions = {},
): Promise<SegmentReport> {
  const asOfMs = options.asOf ? parseDate(options.asOf) : Date.now()
  const occasionRows = new Map<OccasionSegment, Accumulator>(
    OCCASION_SEGMENTS.map((s) => [s, new Accumulator()]),
  )
  const behaviourRows = new Map<BehaviourSegment, Accumulator>(
    BEHAVIOUR_SEGMENTS.map((s) => [s, new Accumulator()]),
  )
  let compared = 0
  let agreed = 0
  const classify = (cards: CardFeatures[]) => {
    const occasion = occasionOf(cards)
    const behaviour = behaviourOf(cards, asOfMs)
    const n = cards.length
    const explain = {
      cards: n,
      largestOrder: Math.max(...cards.map((c) => c.orderSize)),
      holidayShare: cards.filter((c) => c.holiday).length / n,
      selfUseShare: cards.filter((c) => c.selfUse).length / n,
      usedWithin30DaysShare:
        cards.filter((c) => c.firstUseDays !== null && c.firstUseDays <= 30).length / n,
      redeemedShare:
        sum(cards.map((c) => c.redeemedCents)) / Math.max(1, sum(cards.map((c) => c.valueCents))),
    }
    occasionRows.get(occasion)?.add(cards, explain)
    behaviourRows.get(behaviour)?.add(cards, explain)
    for (const card of cards) {
      if (!card.recordedOccasion) continue
      compared++
      if (SEGMENT_OF_OCCASION[card.recordedOccasion] === occasion) agreed++
    }
  }
  await forEachPurchaser(database, classify, options.pilotStores)
  return {
    asOf: new Date(asOfMs).toISOString(),
    byOccasion: [...occasionRows].map(([segment, acc]) => acc.row(segment)),
    byBehaviour: [...behaviourRows].map(([segment, acc]) => acc.row(segment)),
    occasionAccuracy: compared > 0 ? { cards: compared, agreement: agreed / compared } : null,
  }
}

/** Every segment a card can be in: why its purchaser buys, and how their cards get used. */
export const SEGMENTS = [...OCCASION_SEGMENTS, ...BEHAVIOUR_SEGMENTS] as const
export type Segment = (typeof SEGMENTS)[number]

/**
 * Each card's two segments (its purchaser's): the same classification as segmentPurchasers,
 * card by card, for filters and breakdowns by segment. Cards with no known purchaser have none.
 */
export async function cardSegments(
  database: Database,
  options: { asOf?: string } & LedgerPassOptions = {},
): Promise<Map<string, { occasion: OccasionSegment; behaviour: BehaviourSegment }>> {
  const asOfMs = options.asOf ? parseDate(options.asOf) : Date.now()
  const segments = new Map<string, { occasion: OccasionSegment; behaviour: BehaviourSegment }>()
  await forEachPurchaser(
    database,
    (cards) => {
      const both = { occasion: occasionOf(cards), behaviour: behaviourOf(cards, asOfMs) }
      for (const card of cards) segments.set(card.id, both)
    },
    options.pilotStores,
  )
  return segments
}

/** True when a card's segments include `segment`. */
export function inSegment(
  segments: { occasion: OccasionSegment; behaviour: BehaviourSegment } | undefined,
  segment: Segment,
): boolean {
  return segments !== undefined && (segments.occasion === segment || segments.behaviour === segment)
}

const SEGMENT_OF_OCCASION: Record<Occasion, OccasionSegment> = {
  corporate: 'corporate_bulk',
  holiday: 'holiday_gifter',
  self_use: 'self_use',
  birthday: 'birthday_occasional',
}

/** Why a purchaser buys: bulk orders first, then cards kept for themselves, then the season. */
export function occasionOf(
  cards: readonly Pick<CardFeatures, 'orderSize' | 'selfUse' | 'holiday'>[],
): OccasionSegment {
  const n = cards.length
  if (cards.some((c) => c.orderSize >= BULK_ORDER)) return 'corporate_bulk'
  if (cards.filter((c) => c.selfUse).length * 2 > n) return 'self_use'
  if (cards.filter((c) => c.holiday).length * 2 > n) return 'holiday_gifter'
  return 'birthday_occasional'
}

/** How a purchaser's cards get used (cards under 30 days old do not count yet). */
export function behaviourOf(
  cards: readonly Pick<
    CardFeatures,
    'issuedAt' | 'valueCents' | 'firstUseDays' | 'redeemedCents'
  >[],
  asOfMs: number,
): BehaviourSegment {
  const mature = cards.filter((c) => asOfMs - c.issuedAt >= 30 * DAY_MS)
  if (mature.length === 0) return 'too_new'
  const value = sum(mature.map((c) => c.valueCents))
  const fastValue = sum(
    mature.filter((c) => c.firstUseDays !== null && c.firstUseDays <= 30).map((c) => c.valueCents),
  )
  const redeemed = sum(mature.map((c) => c.redeemedCents))
  const unused = mature.every((c) => c.firstUseDays === null)
  if (unused && mature.some((c) => asOfMs - c.issuedAt >= 90 * DAY_MS)) return 'dormant'
  if (value > 0 && fastValue / value >= 0.8 && redeemed / value >= 0.8) return 'fast'
  return 'slow_partial'
}

class Accumulator {
  purchasers = 0
  cards = 0
  liability = 0
  private readonly totals: Record<string, number> = {}
  add(cards: readonly CardFeatures[], explain: Record<string, number>): void {
    this.purchasers++
    this.cards += cards.length
    this.liability += sum(cards.map((c) => c.balanceCents))
    for (const [k, v] of Object.entries(explain)) this.totals[k] = (this.totals[k] ?? 0) + v
  }
  row(segment: string): SegmentRow {
    const features: Record<string, number> = {}
    for (const [k, v] of Object.entries(this.totals))
      features[`average_${k}`] = Number((v / Math.max(1, this.purchasers)).toFixed(3))
    return {
      segment,
      purchasers: this.purchasers,
      cards: this.cards,
      liabilityCents: this.liability,
      averageBalanceCents: this.cards > 0 ? Math.round(this.liability / this.cards) : 0,
      features,
    }
  }
}

type FeatureRow = {
  id: string
  purchaser_customer_id: string
  holder_customer_id: string | null
  issued_at: string
  initial_value_cents: number
  balance_cents: number
  occasion: Occasion | null
  first_redeem: string | null
  redeemed: number | null
  loads: number | null
  loaded: number | null
  activation_order: string | null
}

/**
 * Calls `visit` with each purchaser's cards and their ledger features: one pass, the cards
 * joined to their transactions summed per card and read in purchaser order, so memory holds
 * one purchaser at a time (at 1M cards: 115 MB against 650 MB for the whole ledger in maps).
 * With `pilotStores`, only cards issued (and orders placed) at those stores (docs/pilot.md).
 */
async function forEachPurchaser(
  database: Database,
  visit: (cards: CardFeatures[]) => void,
  pilotStores?: readonly string[],
): Promise<void> {
  const { db, adapter } = database
  const stores = pilotStores ? [...pilotStores, ''] : []
  // Orders that activated more than one card (the only sizes that are not 1).
  let orderQuery = db
    .selectFrom('gift_card_transactions')
    .select(['order_id', countAll().as('n')])
    .where('type', '=', 'activate')
    .where('order_id', 'is not', null)
  if (pilotStores) orderQuery = orderQuery.where('location_id', 'in', stores)
  const orders = await orderQuery.groupBy('order_id').having(countAll(), '>', 1).execute()
  const orderSize = new Map(orders.map((o) => [o.order_id as string, o.n]))
  let purchaser: string | undefined
  let cards: CardFeatures[] = []
  await adapter.scan<FeatureRow>(
    {
      sql: `select c.id, c.purchaser_customer_id, c.holder_customer_id, c.issued_at,
          c.initial_value_cents, c.balance_cents, c.occasion,
          u.first_redeem, u.redeemed, u.loads, u.loaded, u.activation_order
        from gift_cards c left join (
          select card_id,
            min(case when type = 'redeem' then occurred_at end) as first_redeem,
            cast(sum(case when type = 'redeem' then -amount_cents else 0 end) as bigint) as redeemed,
            cast(sum(case when type = 'load' then 1 else 0 end) as bigint) as loads,
            cast(sum(case when amount_cents > 0 then amount_cents else 0 end) as bigint) as loaded,
            max(case when type = 'activate' then order_id end) as activation_order
          from ${adapter.fullScan('gift_card_transactions')}
          where card_id is not null and result = 'ok'
          group by card_id
        ) u on u.card_id = c.id
        where c.purchaser_customer_id is not null${
          pilotStores
            ? ` and c.issuing_location_id in (${stores.map((_, i) => adapter.placeholder(i + 1)).join(', ')})`
            : ''
        }
        order by c.purchaser_customer_id`,
      parameters: stores,
    },
    (rows) => {
      for (const row of rows) {
        if (row.purchaser_customer_id !== purchaser) {
          if (cards.length > 0) visit(cards)
          cards = []
          purchaser = row.purchaser_customer_id
        }
        cards.push(featuresOf(row, orderSize))
      }
    },
    2_000,
  )
  if (cards.length > 0) visit(cards)
}

function featuresOf(row: FeatureRow, orderSize: ReadonlyMap<string, number>): CardFeatures {
  const issuedAt = parseDate(row.issued_at)
  const month = new Date(issuedAt).getUTCMonth()
  return {
    id: row.id,
    purchaser: row.purchaser_customer_id,
    issuedAt,
    // Everything put on the card, reloads and refunds included.
    valueCents: Math.max(row.initial_value_cents, Number(row.loaded ?? 0)),
    balanceCents: row.balance_cents,
    orderSize: row.activation_order ? (orderSize.get(row.activation_order) ?? 1) : 1,
    holiday: month >= 10,
    selfUse: row.holder_customer_id === row.purchaser_customer_id || Number(row.loads ?? 0) > 0,
    firstUseDays: row.first_redeem ? (parseDate(row.first_redeem) - issuedAt) / DAY_MS : null,
    redeemedCents: Number(row.redeemed ?? 0),
    recordedOccasion: row.occasion,
  }
}

function sum(values: readonly number[]): number {
  let total = 0
  for (const v of values) total += v
  return total
}
