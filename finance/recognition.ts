import {
  canEscheat,
  ESCHEAT_RULES,
  type EscheatRule,
  escheatDeadline,
  forecastFromHistory,
  IntColumn,
  Interner,
  MODEL_VERSION,
  readRunoffHistories,
} from '../analytics/index.ts'
import { addMonths, GiftCardError, toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'

/**
 * The breakage recognition schedule of one month (docs/finance.md "Method"):
 *
 * - ASC 606-10-55-48: breakage is recognised in proportion to the pattern of rights the
 *   customers exercise. Per pool (a store × the card's claimant state), with D the value
 *   redeemed to date, O the balance outstanding and E the part of O the breakage forecast
 *   expects never to be redeemed, the breakage that should have been recognised to date is
 *   S = E × D / (D + O − E): the share of expected lifetime redemptions that has happened,
 *   times the expected breakage.
 * - ASC 606-10-55-49: what the issuer must remit to a state under unclaimed-property law is
 *   never breakage. A card whose claimant state's rule (analytics/escheatment.ts) can make it
 *   reportable is escheat-bound: its pool recognises nothing, its expected unredeemed balance is
 *   shown as owed to the state, and a balance whose deadline falls in the month is reclassified
 *   to unclaimed property payable. Exempt states, and states that claim only cards with an
 *   expiry when the card has none, leave breakage to the issuer.
 *
 * The month's revenue is split in two: what this month's redemptions earn at last month's
 * estimate (d × E₀ / (D₀ + O₀ − E₀)), and the true-up, the change of estimate applied to the
 * whole to date (S₁ − S₀ − that), so that the cumulative recognised is always S₁.
 */
export type RecognitionSchedule = {
  month: string
  /** The month's first instant and the next month's (UTC): the two as-of dates. */
  opensAt: string
  closesAt: string
  method: RecognitionMethod
  pools: RecognitionPool[]
  /** Per claimant state of escheat-bound cards: what is owed to it. */
  states: StateLiability[]
  totals: {
    outstandingCents: number
    breakageRecognisedCents: number
    trueUpCents: number
    /** Cumulative breakage recognised at the month's end (S₁ over breakage pools). */
    recognisedToDateCents: number
    escheatReclassCents: number
    expectedToEscheatCents: number
  }
}

export type RecognitionMethod = {
  recognition: string
  exclusion: string
  estimator: {
    name: string
    modelVersion: string
    /** The newest ledger event each estimate saw (before its as-of). */
    dataWatermarkOpening: string | null
    dataWatermarkClosing: string | null
  }
  /** The rules that placed the cards: each state met, with the default and incorporation. */
  rules: { jurisdiction: string; rule: string; treatment: Treatment }[]
  defaultRule: string
  incorporationState: string
  /** Pools are formed from each card's store, claimant and expiry as they are when prepared. */
  notes: string[]
}

export type Treatment = 'breakage' | 'escheat'

/** What one pool holds at an as-of date. */
export type PoolPosition = {
  outstandingCents: number
  /** Of the outstanding balance: expected never to be redeemed (the forecast's run-off). */
  expectedUnredeemedCents: number
  redeemedToDateCents: number
  /** S: breakage that should be recognised to date (0 for escheat-bound pools). */
  recognisedToDateCents: number
}

export type RecognitionPool = {
  /** The issue month (`YYYY-MM`) of the pool's cards: each vintage is recognised on its own. */
  cohort: string
  locationId: string
  /** The store's name, when the ledger knows the store. */
  locationName: string | null
  /** The claimant state (owner's address, else incorporation). */
  jurisdiction: string
  treatment: Treatment
  opening: PoolPosition
  closing: PoolPosition
  redeemedInMonthCents: number
  breakageRecognisedCents: number
  trueUpCents: number
  /** Escheat-bound cards whose deadline falls in the month: their balance, reclassified. */
  escheatReclassCents: number
  escheatReclassCards: number
}

export type StateLiability = {
  jurisdiction: string
  rule: string
  /** Reclassified this month (deadline in the month). */
  reclassCents: number
  reclassCards: number
  /** Past their deadline by the month's end, still on the ledger: owed to the state now. */
  dueCents: number
  dueCards: number
  /** Expected never to be redeemed: to be remitted when each card reaches its deadline. */
  expectedToEscheatCents: number
}

/** The ledger of a store that has no row: its cards, and cards with no store. */
export const UNASSIGNED_LOCATION = 'unassigned'

/**
 * An estimate of what each pool's outstanding balance will never see redeemed, at each of
 * several as-of dates (the month's opening and closing), from the ledger before each.
 * `onCard` receives every card's total redeemed to each date (`asOf`: the date's index).
 * An estimator reads the ledger once for all the dates (docs/finance.md "Benchmark").
 */
export type BreakageEstimator = {
  name: string
  modelVersion: string
  estimate(
    database: Database,
    asOfsMs: readonly number[],
    options: {
      groupOf: (cardId: string) => string
      onCard: (asOf: number, cardId: string, spentCents: number) => void
      pilotStores?: readonly string[]
    },
  ): Promise<BreakageEstimate[]>
}

/** One as-of date's estimate: each group's outstanding balance and expected breakage. */
export type BreakageEstimate = {
  dataWatermark: string | null
  groups: { key: string; outstandingCents: number; breakageCents: number }[]
}

/**
 * The breakage forecast (analytics/breakage): the fitted run-off model, each pool's open cards
 * run off to the end (`GroupForecast.breakageCents`). No interval is needed, so the horizon is
 * one month, and no bootstrap; nothing is stored (preparing entries is a read). Both dates'
 * histories come from one ledger pass (`readRunoffHistories`), each forecast as
 * `forecastBreakage` would as of its date.
 */
export const FORECAST_ESTIMATOR: BreakageEstimator = {
  name: 'breakage forecast run-off (analytics/breakage)',
  modelVersion: MODEL_VERSION,
  async estimate(database, asOfsMs, { groupOf, onCard, pilotStores }) {
    const histories = await readRunoffHistories(database, asOfsMs, {
      onCard,
      ...(pilotStores ? { pilotStores } : {}),
    })
    const estimates: BreakageEstimate[] = []
    for (const history of histories) {
      const forecast = await forecastFromHistory(database, history, {
        horizonMonths: 1,
        store: false,
        topCards: 0,
        bootstrap: 0,
        groupMonthly: false,
        groupOf,
        ...(pilotStores ? { pilotStores } : {}),
      })
      estimates.push({ dataWatermark: forecast.dataWatermark, groups: forecast.groups ?? [] })
    }
    return estimates
  },
}

/**
 * A stated breakage rate per treatment instead of the model (a portfolio too young to fit, an
 * auditor's sensitivity case, or a test whose figures are worked by hand). The ledger facts (each
 * card's balance at the as-of and redemptions to date) come from the same ledger pass as the
 * forecast's; only E is the rate times the outstanding balance.
 */
export function fixedRateEstimator(
  /** The rate, or the rate estimated at each as-of (a revised estimate: the true-up's case). */
  rate: number | ((asOfMs: number) => number),
): BreakageEstimator {
  const rateAt = typeof rate === 'number' ? () => rate : rate
  const label = typeof rate === 'number' ? String(rate) : 'by as-of date'
  return {
    name: `fixed breakage rate ${label}`,
    modelVersion: `fixed-rate-${label}`,
    async estimate(database, asOfsMs, { groupOf, onCard, pilotStores }) {
      const rates = asOfsMs.map((asOf) => {
        const r = rateAt(asOf)
        if (!(r >= 0 && r <= 1))
          throw new GiftCardError('INVALID_INPUT', 'rate: must be between 0 and 1')
        return r
      })
      const histories = await readRunoffHistories(database, asOfsMs, {
        onCard,
        ...(pilotStores ? { pilotStores } : {}),
      })
      return histories.map((history, i) => {
        const outstanding = new Map<string, number>()
        for (const card of history.openCards) {
          const key = groupOf(card.id)
          outstanding.set(key, (outstanding.get(key) ?? 0) + card.balance)
        }
        return {
          dataWatermark: null,
          groups: [...outstanding].map(([key, cents]) => ({
            key,
            outstandingCents: cents,
            breakageCents: Math.round(cents * (rates[i] as number)),
          })),
        }
      })
    },
  }
}

export type RecognitionOptions = {
  /** `YYYY-MM`. */
  month: string
  estimator?: BreakageEstimator
  defaultRule?: EscheatRule
  incorporationState?: string
  pilotStores?: readonly string[]
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/

/** The first instant of `YYYY-MM` (UTC), or INVALID_INPUT. */
export function monthStart(month: string): number {
  const m = MONTH.exec(month)
  if (!m) throw new GiftCardError('INVALID_INPUT', 'month: must be YYYY-MM, like 2026-11')
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)
}

type Pool = {
  key: string
  /** Its place in the pool list, from 1. */
  number: number
  cohort: string
  locationId: string
  jurisdiction: string
  treatment: Treatment
  reclassCents: number
  reclassCards: number
  dueCents: number
  dueCards: number
  opening: { outstanding: number; unredeemed: number; redeemed: number }
  closing: { outstanding: number; unredeemed: number; redeemed: number }
}

/**
 * The month's schedule: every card placed in its pool by its store and its claimant's rule, the
 * estimator run as of the month's start and end, and S, the month's recognition and the true-up
 * per pool. A month that has not ended yet is refused: its closing position is not known.
 */
export async function recognitionSchedule(
  database: Database,
  options: RecognitionOptions,
  now = Date.now(),
): Promise<RecognitionSchedule> {
  const opensAt = monthStart(options.month)
  const closesAt = addMonths(opensAt, 1)
  if (closesAt > now)
    throw new GiftCardError(
      'INVALID_INPUT',
      `month: ${options.month} has not ended yet; journal entries close a past month`,
    )
  const estimator = options.estimator ?? FORECAST_ESTIMATOR
  const incorporation = options.incorporationState ?? 'US-DE'
  const defaultRule: EscheatRule = options.defaultRule ?? {
    kind: 'dormancy',
    dormancyYears: 5,
    reason: 'default: reportable after 5 years of dormancy',
  }

  // Each card's pool, from the same facts the escheatment report reads (its claimant: the
  // holder's or purchaser's address state, else the state of incorporation; and its rule).
  const pools = new Map<string, Pool>()
  // Each card's pool by number (the pool's index + 1 in `poolList`; 0: none): a million cards
  // are looked up three times each, and fresh row strings are 3–4× faster in an Interner than a
  // Map (analytics/columns.ts).
  const poolList: Pool[] = []
  const cardNumbers = new Interner()
  const poolOfNumber = new IntColumn()
  const poolOfCard = (cardId: string): Pool | undefined => {
    const n = cardNumbers.peek(cardId)
    return n === undefined ? undefined : poolList[poolOfNumber.get(n) - 1]
  }
  const rulesMet = new Map<string, { rule: string; treatment: Treatment }>()
  const { adapter } = database
  const stores = options.pilotStores ? [...options.pilotStores, ''] : []
  await adapter.scan<
    [
      string,
      string | null,
      string | null,
      string | null,
      number,
      string,
      string | null,
      string | null,
    ]
  >(
    {
      sql: `select c.id, c.issuing_location_id, h.address_state, p.address_state, c.balance_cents,
          c.issued_at, c.last_activity_at, c.expires_at
        from ${adapter.fullScan('gift_cards', 'c')}
        left join customers h on h.id = c.holder_customer_id
        left join customers p on p.id = c.purchaser_customer_id
        where c.issued_at < ${adapter.placeholder(1)}${
          options.pilotStores
            ? ` and c.issuing_location_id in (${stores.map((_, i) => adapter.placeholder(i + 2)).join(', ')})`
            : ''
        }`,
      parameters: [toIso(closesAt), ...stores],
      arrays: true,
    },
    (rows) => {
      for (const [id, store, holder, purchaser, balance, issuedAt, lastActivity, expires] of rows) {
        const jurisdiction = holder ?? purchaser ?? incorporation
        const rule = ESCHEAT_RULES[jurisdiction] ?? defaultRule
        // Escheat-bound: the rule can make this card reportable one day.
        const treatment: Treatment = canEscheat(rule, expires) ? 'escheat' : 'breakage'
        const locationId = store ?? UNASSIGNED_LOCATION
        const cohort = issuedAt.slice(0, 7)
        const key = `${locationId}\u0000${jurisdiction}\u0000${treatment}\u0000${cohort}`
        let pool = pools.get(key)
        if (!pool) {
          pool = {
            key,
            number: 0,
            cohort,
            locationId,
            jurisdiction,
            treatment,
            reclassCents: 0,
            reclassCards: 0,
            dueCents: 0,
            dueCards: 0,
            opening: { outstanding: 0, unredeemed: 0, redeemed: 0 },
            closing: { outstanding: 0, unredeemed: 0, redeemed: 0 },
          }
          pools.set(key, pool)
          poolList.push(pool)
          pool.number = poolList.length
          if (!rulesMet.has(`${jurisdiction}\u0000${treatment}`))
            rulesMet.set(`${jurisdiction}\u0000${treatment}`, { rule: rule.reason, treatment })
        }
        poolOfNumber.set(cardNumbers.number(id), pool.number)
        // The deadline is read only where it can count: an escheat-bound card with a balance.
        if (treatment === 'breakage' || balance <= 0) continue
        const deadline = escheatDeadline(rule, lastActivity ?? issuedAt, expires) as number
        if (deadline < closesAt) {
          pool.dueCents += balance
          pool.dueCards++
          if (deadline >= opensAt) {
            pool.reclassCents += balance
            pool.reclassCards++
          }
        }
      }
    },
  )
  const groupOf = (cardId: string) => poolOfCard(cardId)?.key ?? ''
  // Both month ends from one read of the ledger: the estimator replays each card once and takes
  // its state at the opening as it passes it (docs/finance.md "Benchmark").
  const sides = ['opening', 'closing'] as const
  const estimates = await estimator.estimate(database, [opensAt, closesAt], {
    groupOf,
    onCard: (asOf, cardId, spent) => {
      const pool = poolOfCard(cardId)
      if (pool) pool[sides[asOf] as (typeof sides)[number]].redeemed += spent
    },
    ...(options.pilotStores ? { pilotStores: options.pilotStores } : {}),
  })
  const [watermarkOpening = null, watermarkClosing = null] = estimates.map((estimate, i) => {
    const side = sides[i] as (typeof sides)[number]
    for (const group of estimate.groups) {
      const pool = pools.get(group.key)
      if (!pool) continue
      pool[side].outstanding = group.outstandingCents
      pool[side].unredeemed = Math.min(group.outstandingCents, Math.max(0, group.breakageCents))
    }
    return estimate.dataWatermark
  })

  const names = new Map(
    (await database.db.selectFrom('locations').select(['id', 'name']).execute()).map((l) => [
      l.id,
      l.name,
    ]),
  )
  const scheduled: RecognitionPool[] = []
  for (const pool of pools.values()) {
    const breakage = pool.treatment === 'breakage'
    const position = (p: Pool['opening']): PoolPosition => ({
      outstandingCents: p.outstanding,
      expectedUnredeemedCents: p.unredeemed,
      redeemedToDateCents: p.redeemed,
      recognisedToDateCents: breakage ? toDate(p) : 0,
    })
    const opening = position(pool.opening)
    const closing = position(pool.closing)
    const redeemedInMonth = Math.max(0, pool.closing.redeemed - pool.opening.redeemed)
    let recognised = 0
    if (breakage) {
      const expected = pool.opening.redeemed + pool.opening.outstanding - pool.opening.unredeemed
      recognised =
        expected > 0 ? Math.round((redeemedInMonth * pool.opening.unredeemed) / expected) : 0
      // Never more than was expected and not yet recognised at last month's estimate.
      recognised = Math.min(
        recognised,
        Math.max(0, opening.expectedUnredeemedCents - opening.recognisedToDateCents),
      )
    }
    const trueUp = breakage
      ? closing.recognisedToDateCents - opening.recognisedToDateCents - recognised
      : 0
    scheduled.push({
      cohort: pool.cohort,
      locationId: pool.locationId,
      locationName: names.get(pool.locationId) ?? null,
      jurisdiction: pool.jurisdiction,
      treatment: pool.treatment,
      opening,
      closing,
      redeemedInMonthCents: redeemedInMonth,
      breakageRecognisedCents: recognised,
      trueUpCents: trueUp,
      escheatReclassCents: pool.reclassCents,
      escheatReclassCards: pool.reclassCards,
    })
  }
  scheduled.sort(
    (a, b) =>
      cmp(a.locationId, b.locationId) ||
      cmp(a.jurisdiction, b.jurisdiction) ||
      cmp(a.treatment, b.treatment) ||
      cmp(a.cohort, b.cohort),
  )

  const states = new Map<string, StateLiability>()
  for (const pool of pools.values()) {
    if (pool.treatment !== 'escheat') continue
    let state = states.get(pool.jurisdiction)
    if (!state) {
      state = {
        jurisdiction: pool.jurisdiction,
        rule: rulesMet.get(`${pool.jurisdiction}\u0000escheat`)?.rule ?? '',
        reclassCents: 0,
        reclassCards: 0,
        dueCents: 0,
        dueCards: 0,
        expectedToEscheatCents: 0,
      }
      states.set(pool.jurisdiction, state)
    }
    state.reclassCents += pool.reclassCents
    state.reclassCards += pool.reclassCards
    state.dueCents += pool.dueCents
    state.dueCards += pool.dueCards
    state.expectedToEscheatCents += pool.closing.unredeemed
  }

  const sum = (f: (p: RecognitionPool) => number) => scheduled.reduce((s, p) => s + f(p), 0)
  return {
    month: options.month,
    opensAt: toIso(opensAt),
    closesAt: toIso(closesAt),
    method: {
      recognition:
        'ASC 606-10-55-48, proportional: breakage to date = expected breakage × redeemed to date ÷ (redeemed to date + expected future redemptions), per store, claimant state and issue month',
      exclusion:
        'ASC 606-10-55-49: cards whose claimant state can claim them (analytics/escheatment.ts rules) recognise no breakage; their balances are owed to the state, reclassified to unclaimed property payable when their deadline passes',
      estimator: {
        name: estimator.name,
        modelVersion: estimator.modelVersion,
        dataWatermarkOpening: watermarkOpening,
        dataWatermarkClosing: watermarkClosing,
      },
      rules: [...rulesMet]
        .map(([key, r]) => ({
          jurisdiction: key.split('\u0000')[0] as string,
          rule: r.rule,
          treatment: r.treatment,
        }))
        .sort((a, b) => cmp(a.jurisdiction, b.jurisdiction) || cmp(a.treatment, b.treatment)),
      defaultRule: defaultRule.reason,
      incorporationState: incorporation,
      notes: [
        "Pools are formed from each card's store, claimant state and expiry as the ledger holds them when the entries are prepared.",
        'Breakage recognised to date at the month start is derived by the same method from the estimate then, not read from the general ledger.',
      ],
    },
    pools: scheduled,
    states: [...states.values()].sort((a, b) => cmp(a.jurisdiction, b.jurisdiction)),
    totals: {
      outstandingCents: sum((p) => p.closing.outstandingCents),
      breakageRecognisedCents: sum((p) => p.breakageRecognisedCents),
      trueUpCents: sum((p) => p.trueUpCents),
      recognisedToDateCents: sum((p) => p.closing.recognisedToDateCents),
      escheatReclassCents: sum((p) => p.escheatReclassCents),
      expectedToEscheatCents: [...states.values()].reduce(
        (s, x) => s + x.expectedToEscheatCents,
        0,
      ),
    },
  }
}

/** S = E × D / (D + O − E), in whole cents. */
function toDate(p: { outstanding: number; unredeemed: number; redeemed: number }): number {
  const expectedLifetime = p.redeemed + p.outstanding - p.unredeemed
  return expectedLifetime > 0 ? Math.round((p.unredeemed * p.redeemed) / expectedLifetime) : 0
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
