import { addMonths, parseDate, Rng, startOfMonth, toIso } from '../../core/index.ts'
import { type Database, ledgerWatermark, transactionsInTimeOrder } from '../../db/index.ts'
import { type Reliability, reliability } from '../calibration.ts'
import { TopK } from '../top.ts'
import {
  type LedgerPassOptions,
  monthIndex,
  type OpenCard,
  type RunoffHistory,
  readRunoffHistory,
} from './ledger-pass.ts'
import {
  baselineModel,
  fitRunoff,
  MODEL_VERSION,
  neverRedeemedBySlot,
  type RunoffModel,
  redeemedWithinBySlot,
  runOff,
  slotOf,
  startingMass,
  ULTIMATE_MONTHS,
} from './model.ts'

export type MonthForecast = {
  month: string
  expectedCents: number
  /**
   * 80% interval: the 10th and 90th percentiles of a bootstrap over issue cohorts, i.e. the
   * uncertainty of the fitted rates. It leaves out the model's own error (the backtest's WAPE),
   * so on a large ledger it is narrow.
   */
  lowCents: number
  highCents: number
  /** ASC 606 proportional method: breakage recognised with this month's redemptions. */
  breakageRecognisedCents: number
}

/** The run-off of one group of open cards (a jurisdiction, an occasion, a segment). */
export type GroupForecast = {
  key: string
  openCards: number
  outstandingCents: number
  /** Expected redemptions in each month of the horizon, in the forecast's order. */
  monthlyCents: number[]
  /** Of the group's outstanding balance: the amount expected never to be redeemed. */
  breakageCents: number
}

export type BreakageForecast = {
  id?: number
  modelVersion: string
  asOf: string
  dataWatermark: string | null
  horizonMonths: number
  outstandingCents: number
  openCards: number
  monthly: MonthForecast[]
  /** Of the value ever loaded: the share expected never to be redeemed, and its amount. */
  ultimateBreakageRate: number
  ultimateBreakageCents: number
  /** Of today's outstanding balance: the share and amount expected never to be redeemed. */
  outstandingBreakageRate: number
  outstandingBreakageCents: number
  /** Cards most likely to leave their balance unredeemed. */
  cardRisks: {
    cardId: string
    balanceCents: number
    ageMonths: number
    neverRedeemed: number
    confidence: number
  }[]
  /** With `groupOf`: the same model run off each group's cards (point estimates). */
  groups?: GroupForecast[]
}

const BOOTSTRAP = 200
/** Of the bootstrap's draws, how many give the spread of each card's risk (its confidence). */
const RISK_DRAWS = 20

export type ForecastOptions = {
  asOf?: string
  horizonMonths?: number
  store?: boolean
  topCards?: number
  /** The group of each open card (by id): the forecast is also run off group by group. */
  groupOf?: (cardId: string) => string
  /**
   * Bootstrap refits for the interval and the risks' confidence (default 200); 0 when only the
   * point estimate is wanted (the journal's recognition schedule): low and high are then the
   * point, and each refit no longer costs a pass over every cohort and state.
   */
  bootstrap?: number
  /**
   * With `groupOf`: also run each group off month by month over the horizon (default true);
   * false when only each group's breakage is wanted (thousands of groups: the journal's pools).
   */
  groupMonthly?: boolean
} & LedgerPassOptions

/**
 * The breakage and liability forecast from `asOf` (floored to the first of its month; only
 * data before it is used): expected redemptions per month with an 80% interval, ultimate
 * breakage, the ASC 606 proportional recognition schedule and per-card breakage risk. Stored
 * in `forecasts` with the model version and the data watermark, unless `store` is false.
 *
 * Kept in memory per ledger version (docs/analytics.md "Breakage forecast"): asked again with
 * the same options while the ledger has gained no row, it is answered from memory (a
 * dashboard's chart, its PNG and its table ask within seconds of each other); asked at once by
 * several callers, it is computed once. Not kept with `groupOf` or `onCard` (functions).
 */
export async function forecastBreakage(
  database: Database,
  options: ForecastOptions = {},
): Promise<BreakageForecast> {
  // A copy: what is kept is never changed by a caller.
  const forecast = structuredClone(await cachedForecast(database, options))
  if (options.store ?? true) {
    const { cardRisks } = forecast
    const horizon = forecast.horizonMonths
    const bootstrap = options.bootstrap ?? BOOTSTRAP
    const row = await database.db
      .insertInto('forecasts')
      .values({
        kind: 'breakage',
        model_version: MODEL_VERSION,
        data_watermark: forecast.dataWatermark,
        params: JSON.stringify({
          asOf: forecast.asOf,
          horizonMonths: horizon,
          bootstrap,
          ...(options.pilotStores ? { pilotStores: options.pilotStores } : {}),
        }),
        result: JSON.stringify({ ...forecast, cardRisks: cardRisks.slice(0, 20) }),
        created_at: toIso(Date.now()),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    forecast.id = row.id
  }
  return forecast
}

/** How many forecasts (options × ledger version) are kept per database. */
const KEPT_FORECASTS = 8

const forecastsKept = new WeakMap<Database, Map<string, Promise<BreakageForecast>>>()

/**
 * The forecast for `options` on the ledger as it is now, from memory when the ledger has not
 * changed since it was computed. The ledger is append-only (a void is a row of its own), so its
 * newest row id and time name its content; both are read through an index.
 */
async function cachedForecast(
  database: Database,
  options: ForecastOptions,
): Promise<BreakageForecast> {
  if (options.groupOf || options.onCard) return computeForecast(database, options)
  const version = await database.db
    .selectFrom('gift_card_transactions')
    .select((eb) => [eb.fn.max('id').as('id'), eb.fn.max('occurred_at').as('at')])
    .executeTakeFirst()
  const key = JSON.stringify([
    version?.id ?? 0,
    version?.at ?? null,
    startOfMonth(options.asOf ? parseDate(options.asOf) : Date.now()),
    options.horizonMonths ?? 12,
    options.topCards ?? 100,
    options.bootstrap ?? BOOTSTRAP,
    options.pilotStores ?? null,
  ])
  let kept = forecastsKept.get(database)
  if (!kept) {
    kept = new Map()
    forecastsKept.set(database, kept)
  }
  const hit = kept.get(key)
  if (hit) {
    // Most recently used last (a Map keeps insertion order).
    kept.delete(key)
    kept.set(key, hit)
    return hit
  }
  const computed = computeForecast(database, options)
  kept.set(key, computed)
  computed.catch(() => kept.delete(key))
  while (kept.size > KEPT_FORECASTS) kept.delete(kept.keys().next().value as string)
  return computed
}

/** The forecast itself: one pass over the ledger, the fit, its bootstrap and the run-off. */
async function computeForecast(
  database: Database,
  options: ForecastOptions,
): Promise<BreakageForecast> {
  const asOfMs = startOfMonth(options.asOf ? parseDate(options.asOf) : Date.now())
  const history = await readRunoffHistory(database, asOfMs, passOptions(options))
  return forecastFromHistory(database, history, options)
}

/**
 * The forecast of `forecastBreakage` from a run-off history already read (its cut-off is the
 * as-of): the journal reads the histories of both month ends in one ledger pass
 * (`readRunoffHistories`) and forecasts each.
 */
export async function forecastFromHistory(
  database: Database,
  history: RunoffHistory,
  options: ForecastOptions & Pick<LedgerPassOptions, 'pilotStores'> = {},
): Promise<BreakageForecast> {
  const horizon = options.horizonMonths ?? 12
  const asOfMs = monthStartOfIndex(history.cutoffMonth)
  const model = fitRunoff(history)
  const start = startingMass(history.openCards)
  const point = runOff(model, start, history.cutoffMonth, horizon)

  // A Bayesian bootstrap over issue cohorts (each weighted by a draw of Exp(1), so none drops
  // out: a state only a November cohort shows stays seen): the interval, and the spread of each
  // card's risk.
  // Each draw refits the rates from the cohorts' pre-aggregated cells (fitRunoff), never from
  // the ledger's rows, and runs the balances off over the horizon only.
  const rng = new Rng(20251125)
  const samples: number[][] = []
  const riskModels: RunoffModel[] = []
  const weights = new Float64Array(history.cohorts)
  const bootstrap = options.bootstrap ?? BOOTSTRAP
  for (let b = 0; b < bootstrap; b++) {
    for (let c = 0; c < history.cohorts; c++) weights[c] = rng.exponential(1)
    const resampled = fitRunoff(history, weights)
    samples.push(
      runOff(resampled, start, history.cutoffMonth, horizon, { ultimate: false }).monthly,
    )
    if (b < RISK_DRAWS) riskModels.push(resampled)
  }
  // The risks' spread is solved (60 months backwards over every slot, the costliest step of a
  // draw) only when cards are listed: the dashboard's and the journal's forecasts list none.
  let riskSamples: Float64Array[] | undefined
  const riskSpread = () => {
    riskSamples ??= riskModels.map(neverRedeemedBySlot)
    return riskSamples
  }

  const outstanding = history.openCards.reduce((sum, c) => sum + c.balance, 0)
  const outstandingBreakage = Math.max(0, outstanding - point.ultimateRedeemed)
  const futureRedemptions = point.ultimateRedeemed
  const monthly: MonthForecast[] = point.monthly.map((expected, step) => {
    const values = samples.length
      ? samples.map((s) => s[step] as number).sort((a, b) => a - b)
      : [expected]
    return {
      month: toIso(addMonths(asOfMs, step)).slice(0, 7),
      expectedCents: Math.round(expected),
      lowCents: Math.round(quantile(values, 0.1)),
      highCents: Math.round(quantile(values, 0.9)),
      breakageRecognisedCents:
        futureRedemptions > 0
          ? Math.round((outstandingBreakage * expected) / futureRedemptions)
          : 0,
    }
  })

  // Risk and its bootstrap spread belong to a slot, not a card: computed once per slot.
  const risk = neverRedeemedBySlot(model)
  const confidence = new Map<number, number>()
  const confidenceOf = (slot: number) => {
    let c = confidence.get(slot)
    if (c === undefined) {
      const spread = riskSpread()
        .map((r) => r[slot] as number)
        .sort((a, b) => a - b)
      // Narrow bootstrap spread → high confidence.
      c = Number(Math.max(0, 1 - 2 * (quantile(spread, 0.9) - quantile(spread, 0.1))).toFixed(3))
      confidence.set(slot, c)
    }
    return c
  }
  // Ranked by the balance expected to go unredeemed, ties by card id.
  const top = new TopK<{ card: OpenCard; atRisk: number }>(
    options.topCards ?? 100,
    (a, b) => a.atRisk > b.atRisk || (a.atRisk === b.atRisk && a.card.id < b.card.id),
  )
  for (const card of history.openCards)
    top.offer({ card, atRisk: (risk[slotOf(card)] as number) * card.balance })
  const cardRisks = top.sorted().map(({ card }) => {
    const i = slotOf(card)
    return {
      cardId: card.id,
      balanceCents: card.balance,
      ageMonths: card.age,
      neverRedeemed: Number((risk[i] as number).toFixed(4)),
      confidence: confidenceOf(i),
    }
  })

  let groups: GroupForecast[] | undefined
  if (options.groupOf) {
    const members = new Map<string, OpenCard[]>()
    for (const card of history.openCards) {
      const key = options.groupOf(card.id)
      const list = members.get(key)
      if (list) list.push(card)
      else members.set(key, [card])
    }
    // The run-off is linear in the starting balances: each slot's share redeemed over the
    // run-off's whole span, solved once (redeemedWithinBySlot agrees with runOff card by card),
    // gives every group's ultimate redemptions without running each group to the end. Each
    // group is run off only over the horizon, for its months (hundreds of groups: the journal's
    // stores × states).
    const ultimateShare = redeemedWithinBySlot(
      model,
      history.cutoffMonth,
      Math.max(horizon, ULTIMATE_MONTHS),
    )
    groups = [...members].map(([key, cards]) => {
      const monthlyCents =
        options.groupMonthly === false
          ? []
          : runOff(model, startingMass(cards), history.cutoffMonth, horizon, {
              ultimate: false,
            }).monthly.map((m) => Math.round(m))
      let outstandingCents = 0
      let ultimateRedeemed = 0
      for (const c of cards) {
        outstandingCents += c.balance
        ultimateRedeemed += c.balance * (ultimateShare[slotOf(c)] as number)
      }
      return {
        key,
        openCards: cards.length,
        outstandingCents,
        monthlyCents,
        breakageCents: Math.round(Math.max(0, outstandingCents - ultimateRedeemed)),
      }
    })
    groups.sort((a, b) => b.outstandingCents - a.outstandingCents || a.key.localeCompare(b.key))
  }

  const ultimateBreakage = outstandingBreakage
  const forecast: BreakageForecast = {
    modelVersion: MODEL_VERSION,
    asOf: toIso(asOfMs),
    dataWatermark: await watermarkBefore(database, asOfMs),
    horizonMonths: horizon,
    outstandingCents: outstanding,
    openCards: history.openCards.length,
    monthly,
    ultimateBreakageRate: history.loadedCents > 0 ? ultimateBreakage / history.loadedCents : 0,
    ultimateBreakageCents: Math.round(ultimateBreakage),
    outstandingBreakageRate: outstanding > 0 ? outstandingBreakage / outstanding : 0,
    outstandingBreakageCents: Math.round(outstandingBreakage),
    cardRisks,
    ...(groups ? { groups } : {}),
  }
  return forecast
}

async function watermarkBefore(database: Database, asOfMs: number): Promise<string | null> {
  const latest = await ledgerWatermark(database.db)
  if (latest === null || parseDate(latest) < asOfMs) return latest
  const row = await database.db
    .selectFrom('gift_card_transactions')
    .select((eb) => eb.fn.max('occurred_at').as('at'))
    .where('occurred_at', '<', toIso(asOfMs))
    .executeTakeFirst()
  return row?.at ?? null
}

export type BacktestScore = { wape: number; breakage12Error: number; monthlyCents: number[] }

export type BreakageBacktest = {
  asOf: string
  horizonMonths: number
  outstandingCents: number
  actualMonthlyCents: number[]
  /** Share of the outstanding balance at `asOf` still unredeemed after the horizon. */
  actualUnredeemedShare: number
  model: BacktestScore & { unredeemedShare: number }
  baseline: BacktestScore & { unredeemedShare: number }
  /** How much lower the model's WAPE is than the baseline's (0.3 = 30% lower). */
  wapeImprovement: number
  /**
   * Each open card's breakage risk over the horizon (the share of its balance the model
   * expects left unredeemed) against the share actually left: the reliability table by card,
   * Brier score and ECE (docs/analytics.md §Calibration).
   */
  cardRisk: Reliability
}

/**
 * Fits on the ledger before `asOf`, forecasts the run-off of the balance outstanding then, and
 * compares with what happened: each card's redemptions after `asOf` counted first-in-first-out
 * against its balance at `asOf` (spending of later reloads is not part of that liability).
 * Reports WAPE of monthly redemptions and the error of the share left unredeemed after the
 * horizon, beside the same for the naive baseline (last year's average redemption rate).
 */
export async function backtestBreakage(
  database: Database,
  options: { asOf: string; horizonMonths?: number } & LedgerPassOptions,
): Promise<BreakageBacktest> {
  const horizon = options.horizonMonths ?? 12
  const asOfMs = startOfMonth(parseDate(options.asOf))
  const history = await readRunoffHistory(database, asOfMs, passOptions(options))
  const { monthly: actual, left } = await actualRunoff(database, history, asOfMs, horizon)
  const outstanding = history.openCards.reduce((sum, c) => sum + c.balance, 0)
  const actualUnredeemed = outstanding > 0 ? 1 - actual.reduce((a, b) => a + b, 0) / outstanding : 0
  const score = (model: RunoffModel) => {
    const { monthly } = runOff(
      model,
      startingMass(history.openCards),
      history.cutoffMonth,
      horizon,
      {
        ultimate: false,
      },
    )
    const absolute = monthly.reduce((sum, f, i) => sum + Math.abs(f - (actual[i] as number)), 0)
    const unredeemed = outstanding > 0 ? 1 - monthly.reduce((a, b) => a + b, 0) / outstanding : 0
    return {
      wape:
        absolute /
        Math.max(
          1,
          actual.reduce((a, b) => a + b, 0),
        ),
      breakage12Error: Math.abs(unredeemed - actualUnredeemed),
      unredeemedShare: unredeemed,
      monthlyCents: monthly.map(Math.round),
    }
  }
  const fitted = fitRunoff(history)
  const model = score(fitted)
  const baseline = score(baselineModel(history))
  const redeemedWithin = redeemedWithinBySlot(fitted, history.cutoffMonth, horizon)
  const cardRisk = reliability(
    history.openCards
      .filter((c) => c.balance > 0)
      .map((c) => ({
        p: 1 - (redeemedWithin[slotOf(c)] as number),
        outcome: (left.get(c.id) ?? c.balance) / c.balance,
      })),
  )
  return {
    asOf: toIso(asOfMs),
    horizonMonths: horizon,
    outstandingCents: outstanding,
    actualMonthlyCents: actual.map(Math.round),
    actualUnredeemedShare: actualUnredeemed,
    model,
    baseline,
    wapeImprovement: baseline.wape > 0 ? 1 - model.wape / baseline.wape : 0,
    cardRisk,
  }
}

/**
 * Redemptions after the cut-off against each open card's balance then, first in first out: by
 * month, and what each card had left of that balance after the horizon.
 */
async function actualRunoff(
  database: Database,
  history: RunoffHistory,
  asOfMs: number,
  horizon: number,
): Promise<{ monthly: number[]; left: Map<string, number> }> {
  const monthly = new Array<number>(horizon).fill(0)
  const left = new Map(history.openCards.map((c) => [c.id, c.balance]))
  const pages = transactionsInTimeOrder(database.db, {
    from: toIso(asOfMs),
    to: toIso(addMonths(asOfMs, horizon)),
    okOnly: true,
    debitsOnly: true,
  })
  for await (const page of pages) {
    for (const row of page) {
      const balance = row.card_id ? left.get(row.card_id) : undefined
      if (!balance || !row.card_id) continue
      const used = Math.min(balance, -row.amount_cents)
      left.set(row.card_id, balance - used)
      const step = monthIndex(parseDate(row.occurred_at)) - history.cutoffMonth
      if (step >= 0 && step < horizon) monthly[step] = (monthly[step] as number) + used
    }
  }
  return { monthly, left }
}

/** The ledger-pass options among a function's options. */
function passOptions(options: LedgerPassOptions): LedgerPassOptions {
  return {
    ...(options.pilotStores ? { pilotStores: options.pilotStores } : {}),
    ...(options.onCard ? { onCard: options.onCard } : {}),
  }
}

/** The first instant of a month index (`monthIndex`). */
function monthStartOfIndex(index: number): number {
  return Date.UTC(Math.floor(index / 12), index % 12, 1)
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))
  return sorted[i] as number
}
