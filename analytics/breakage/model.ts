import {
  FLAG_COUNT,
  HOLIDAY_KINDS,
  MAX_AGE,
  MAX_RECENCY,
  type OpenCard,
  RECENCY_BUCKETS,
  type RunoffHistory,
  SMALL_BALANCE,
  STATE_COUNT,
  stateOf,
} from './ledger-pass.ts'

export const MODEL_VERSION = 'runoff-markov-v4'

/**
 * The run-off model: a Markov chain over a balance's state (age, months since the card was
 * last used, residual or not, reloaded or not, used before or not, holiday season bought in:
 * see `stateOf`). In a month, a state's balance is used with value-weighted probability
 * `active` (times a month-of-year factor for its holiday season), and a used balance loses the
 * share `spent`. The rest of a used balance becomes "recent" again; an unused one grows a month
 * staler. Fitted on every issue cohort (each weighted as given: a bootstrap), on balances
 * owed at the start of each month spent oldest value first (what a liability at a cut-off runs
 * off as).
 */
export type RunoffModel = {
  active: Float64Array
  spent: Float64Array
  /** Of what a used balance has left, the share that is a residual (≤ $5). */
  becomesSmall: Float64Array
  /** Month-of-year factors on `active`, per holiday season: [season × 12 + month]. */
  season: Float64Array
}

/**
 * How far ultimate breakage looks: value not redeemed within five years is treated as
 * breakage (redemption remote), the horizon of the CARD Act's minimum validity and of the
 * five-year dormancy periods of most states.
 */
export const ULTIMATE_MONTHS = 60

export function fitRunoff(history: RunoffHistory, weights?: Float64Array): RunoffModel {
  const e = new Float64Array(STATE_COUNT)
  const a = new Float64Array(STATE_COUNT)
  const r = new Float64Array(STATE_COUNT)
  const leftSmall = new Float64Array(STATE_COUNT)
  const leftTotal = new Float64Array(STATE_COUNT)
  const eMoy = new Float64Array(STATE_COUNT * 12)
  const aMoy = new Float64Array(STATE_COUNT * 12)
  const cells = occupiedCells(history)
  let everyCohortWeighed = true
  for (let j = 0; j < cells.count; j++) {
    const w = weights ? (weights[cells.cohort[j] as number] as number) : 1
    if (w === 0) {
      everyCohortWeighed = false
      continue
    }
    const k = cells.cell[j] as number
    const s = (k / 12) | 0
    const exposure = w * (cells.exposure[j] as number)
    const activeExposure = w * (cells.activeExposure[j] as number)
    e[s] = (e[s] as number) + exposure
    a[s] = (a[s] as number) + activeExposure
    r[s] = (r[s] as number) + w * (cells.redeemed[j] as number)
    leftSmall[s] = (leftSmall[s] as number) + w * (cells.leftSmall[j] as number)
    leftTotal[s] = (leftTotal[s] as number) + w * (cells.leftTotal[j] as number)
    eMoy[k] = (eMoy[k] as number) + exposure
    aMoy[k] = (aMoy[k] as number) + activeExposure
  }
  const active = new Float64Array(STATE_COUNT)
  const spent = new Float64Array(STATE_COUNT)
  const becomesSmall = new Float64Array(STATE_COUNT)
  const pooledSmall = sum(leftSmall) / Math.max(1, sum(leftTotal))
  const pooledSpent = sum(r) / Math.max(1, sum(a))
  const seen = new Array<boolean>(STATE_COUNT).fill(false)
  for (let s = 0; s < STATE_COUNT; s++) {
    seen[s] = (e[s] as number) > 0
    active[s] = seen[s] ? (a[s] as number) / (e[s] as number) : 0
    spent[s] = (a[s] as number) > 0 ? Math.min(1, (r[s] as number) / (a[s] as number)) : pooledSpent
    becomesSmall[s] =
      (leftTotal[s] as number) > 0
        ? (leftSmall[s] as number) / (leftTotal[s] as number)
        : pooledSmall
  }
  // With every cohort in (the plain fit, and every bootstrap draw: Exp(1) weights are never
  // 0) the states seen are the history's, so their donors are found once per history.
  const donors = everyCohortWeighed ? cells.donors : donorsOf(seen)
  for (let s = 0; s < STATE_COUNT; s++) {
    const donor = donors[s] as number
    if (donor < 0) continue
    active[s] = active[donor] as number
    spent[s] = spent[donor] as number
    becomesSmall[s] = becomesSmall[donor] as number
  }
  const season = new Float64Array(HOLIDAY_KINDS * 12)
  for (let holiday = 0; holiday < HOLIDAY_KINDS; holiday++) {
    for (let m = 0; m < 12; m++) {
      let observed = 0
      let expected = 0
      for (let s = holiday; s < STATE_COUNT; s += HOLIDAY_KINDS) {
        observed += aMoy[s * 12 + m] as number
        expected += (eMoy[s * 12 + m] as number) * (active[s] as number)
      }
      season[holiday * 12 + m] = expected > 0 ? observed / expected : 1
    }
  }
  return { active, spent, becomesSmall, season }
}

/**
 * For each state never seen (older or staler than the history reaches), the state it borrows
 * its rates from: the nearest younger or fresher state seen, never the pool (stale balances
 * behave like stale ones); -1 for a state seen, or with no donor.
 */
function donorsOf(seen: readonly boolean[]): Int32Array {
  const donors = new Int32Array(STATE_COUNT).fill(-1)
  for (let s = 0; s < STATE_COUNT; s++) {
    if (seen[s]) continue
    // A holiday state not seen takes the same state's rates for cards bought in other months:
    // the holiday effect is only what the history showed of it.
    const plain = s - (s % HOLIDAY_KINDS)
    const donor =
      s !== plain
        ? seen[plain]
          ? plain
          : (nearestSeen(plain, seen) ?? nearestSeen(s, seen))
        : nearestSeen(s, seen)
    if (donor !== undefined) donors[s] = donor
  }
  return donors
}

/**
 * The history's cells with exposure (a few hundred per cohort of the thousands it has), in
 * cohort order, packed side by side: what every fit reads. The bootstrap's hundreds of fits
 * resample these pre-aggregated cohort curves; packed, they fit in the processor's cache,
 * where the history's full arrays (tens of MB) sent each fit to memory for every cell.
 */
type OccupiedCells = {
  count: number
  cohort: Int32Array
  /** state × 12 + month of year. */
  cell: Int32Array
  exposure: Float64Array
  activeExposure: Float64Array
  redeemed: Float64Array
  leftSmall: Float64Array
  leftTotal: Float64Array
  /** `donorsOf` the states the whole history saw. */
  donors: Int32Array
}

const occupiedByHistory = new WeakMap<RunoffHistory, OccupiedCells>()

function occupiedCells(history: RunoffHistory): OccupiedCells {
  let occupied = occupiedByHistory.get(history)
  if (occupied) return occupied
  const at: number[] = []
  const perCell = STATE_COUNT * 12
  for (let i = 0; i < history.cohorts * perCell; i++)
    if ((history.exposure[i] as number) !== 0) at.push(i)
  const pick = (values: Float64Array) => Float64Array.from(at, (i) => values[i] as number)
  const seen = new Array<boolean>(STATE_COUNT).fill(false)
  for (const i of at) if ((history.exposure[i] as number) > 0) seen[((i % perCell) / 12) | 0] = true
  occupied = {
    count: at.length,
    cohort: Int32Array.from(at, (i) => Math.floor(i / perCell)),
    cell: Int32Array.from(at, (i) => i % perCell),
    exposure: pick(history.exposure),
    activeExposure: pick(history.activeExposure),
    redeemed: pick(history.redeemed),
    leftSmall: pick(history.leftSmall),
    leftTotal: pick(history.leftTotal),
    donors: donorsOf(seen),
  }
  occupiedByHistory.set(history, occupied)
  return occupied
}

const SLOTS = (MAX_AGE + 1) * (MAX_RECENCY + 1) * FLAG_COUNT
const slot = (
  age: number,
  recency: number,
  small: number,
  reloaded: number,
  used: number,
  holiday: number,
) =>
  ((((age * (MAX_RECENCY + 1) + recency) * 2 + small) * 2 + reloaded) * 2 + used) * HOLIDAY_KINDS +
  holiday

/** What places a card in the chain: its exact slot. */
export type SlotCard = Pick<
  OpenCard,
  'age' | 'recency' | 'balance' | 'reloaded' | 'used' | 'holiday'
>

/** Balance by exact slot (`slotOf`): the chain's starting point. */
export function startingMass(cards: readonly SlotCard[]): Float64Array {
  const mass = new Float64Array(SLOTS)
  for (const card of cards) {
    const i = slotOf(card)
    mass[i] = (mass[i] as number) + card.balance
  }
  return mass
}

/**
 * Runs the balances off month by month from calendar month index `startMonth`: expected
 * redemptions in each of the next `horizon` months, and in total over five years (or, with
 * `ultimate: false`, only over the horizon: all a bootstrap or a backtest asks).
 */
export function runOff(
  model: RunoffModel,
  start: Float64Array,
  startMonth: number,
  horizon: number,
  options: { ultimate?: boolean } = {},
): { monthly: number[]; ultimateRedeemed: number } {
  const monthly = new Array<number>(horizon).fill(0)
  const { idle, usedSame, usedSmall, state, small } = TOPOLOGY
  const byMonthOfYear = ratesByMonthOfYear(model)
  // Only the slots holding a balance are visited: a few thousand of the chain's 29,600 (a
  // card's age moves in step with the calendar, so the balances never spread over all of
  // them). `held` lists them; a slot is listed for the next month when it first gets some.
  let mass = new Float64Array(SLOTS)
  let next = new Float64Array(SLOTS)
  let held = new Int32Array(SLOTS)
  let heldNext = new Int32Array(SLOTS)
  let count = 0
  for (let i = 0; i < SLOTS; i++) {
    const m = start[i] as number
    if (m <= 0) continue
    mass[i] = m
    held[count++] = i
  }
  let ultimateRedeemed = 0
  const steps = (options.ultimate ?? true) ? Math.max(horizon, ULTIMATE_MONTHS) : horizon
  for (let step = 0; step < steps; step++) {
    const rates = byMonthOfYear[(startMonth + step) % 12] as MonthRates
    let redeemedThisMonth = 0
    let left = 0
    let countNext = 0
    const move = (to: number, amount: number) => {
      if (amount <= 0) return
      if ((next[to] as number) === 0) heldNext[countNext++] = to
      next[to] = (next[to] as number) + amount
    }
    for (let k = 0; k < count; k++) {
      const from = held[k] as number
      const m = mass[from] as number
      mass[from] = 0
      const s = state[from] as number
      const used = m * (rates.active[s] as number)
      const redeemed = used * (rates.spent[s] as number)
      const usedLeft = used - redeemed
      const toSmall = small[from] === 1 ? 1 : (rates.becomesSmall[s] as number)
      redeemedThisMonth += redeemed
      move(usedSmall[from] as number, usedLeft * toSmall)
      move(usedSame[from] as number, usedLeft * (1 - toSmall))
      move(idle[from] as number, m - used)
      left += m - redeemed
    }
    if (step < horizon) monthly[step] = redeemedThisMonth
    ultimateRedeemed += redeemedThisMonth
    // `mass` is all zeros again: it takes the next month's balances.
    ;[mass, next] = [next, mass]
    ;[held, heldNext] = [heldNext, held]
    count = countNext
    if (left < 1) break
  }
  return { monthly, ultimateRedeemed }
}

/**
 * The chance a card is used within `months` months from calendar month index `startMonth`:
 * one minus the chance it stays idle month after month along the chain.
 */
export function useChance(
  model: RunoffModel,
  card: SlotCard,
  startMonth: number,
  months: number,
): number {
  const byMonthOfYear = ratesByMonthOfYear(model)
  let at = slotOf(card)
  let idle = 1
  for (let step = 0; step < months; step++) {
    const rates = byMonthOfYear[(startMonth + step) % 12] as MonthRates
    idle *= 1 - (rates.active[TOPOLOGY.state[at] as number] as number)
    at = TOPOLOGY.idle[at] as number
  }
  return 1 - idle
}

/**
 * The share of a balance expected never to be redeemed, for every exact slot (age, recency,
 * residual, reloaded, used, holiday season): the chain solved backwards (stationary, months of year averaged
 * out).
 */
export function neverRedeemedBySlot(model: RunoffModel): Float64Array {
  const { idle, usedSame, usedSmall, state, small } = TOPOLOGY
  const rates = monthRates(model, null)
  let never = new Float64Array(SLOTS).fill(1)
  let next = new Float64Array(SLOTS)
  for (let round = 0; round < ULTIMATE_MONTHS; round++) {
    for (let from = 0; from < SLOTS; from++) {
      const s = state[from] as number
      const active = rates.active[s] as number
      const spent = rates.spent[s] as number
      const toSmall = small[from] === 1 ? 1 : (rates.becomesSmall[s] as number)
      const afterUse =
        toSmall * (never[usedSmall[from] as number] as number) +
        (1 - toSmall) * (never[usedSame[from] as number] as number)
      next[from] =
        (1 - active) * (never[idle[from] as number] as number) + active * (1 - spent) * afterUse
    }
    const swap = never
    never = next
    next = swap
  }
  return never
}

/**
 * The share of a balance redeemed within `horizon` months from calendar month index
 * `startMonth`, for every exact slot: the chain solved backwards from the horizon, each month
 * with its own month-of-year rates (so it agrees with `runOff` on every single card). One minus
 * it is a card's breakage risk over the horizon, the figure a backtest can check.
 */
export function redeemedWithinBySlot(
  model: RunoffModel,
  startMonth: number,
  horizon: number,
): Float64Array {
  const { idle, usedSame, usedSmall, state, small } = TOPOLOGY
  const byMonthOfYear = ratesByMonthOfYear(model)
  let later = new Float64Array(SLOTS)
  let now = new Float64Array(SLOTS)
  for (let step = horizon - 1; step >= 0; step--) {
    const rates = byMonthOfYear[(startMonth + step) % 12] as MonthRates
    for (let from = 0; from < SLOTS; from++) {
      const s = state[from] as number
      const active = rates.active[s] as number
      const spent = rates.spent[s] as number
      const toSmall = small[from] === 1 ? 1 : (rates.becomesSmall[s] as number)
      const afterUse =
        toSmall * (later[usedSmall[from] as number] as number) +
        (1 - toSmall) * (later[usedSame[from] as number] as number)
      now[from] =
        active * (spent + (1 - spent) * afterUse) +
        (1 - active) * (later[idle[from] as number] as number)
    }
    const swap = later
    later = now
    now = swap
  }
  return later
}

/**
 * The chain's shape, the same for every model: for each slot, the estimation state its rates
 * come from, whether it is a residual, and where its balance goes in a month. Unused, it grows
 * a month older and staler (`idle`); used, what is left was active last month (recency 1, as
 * the history counts it) and is a residual (`usedSmall`) with the share `becomesSmall` or stays
 * as it was (`usedSame`).
 */
const TOPOLOGY = (() => {
  const state = new Int32Array(SLOTS)
  const small = new Uint8Array(SLOTS)
  const idle = new Int32Array(SLOTS)
  const usedSame = new Int32Array(SLOTS)
  const usedSmall = new Int32Array(SLOTS)
  for (let age = 0; age <= MAX_AGE; age++) {
    const older = Math.min(MAX_AGE, age + 1)
    for (let recency = 0; recency <= MAX_RECENCY; recency++) {
      const staler = Math.min(MAX_RECENCY, recency + 1)
      for (let isSmall = 0; isSmall < 2; isSmall++) {
        for (let reloaded = 0; reloaded < 2; reloaded++) {
          for (let used = 0; used < 2; used++) {
            for (let holiday = 0; holiday < HOLIDAY_KINDS; holiday++) {
              const from = slot(age, recency, isSmall, reloaded, used, holiday)
              state[from] = stateOf(
                age,
                recency,
                isSmall === 1,
                reloaded === 1,
                used === 1,
                holiday,
              )
              small[from] = isSmall
              idle[from] = slot(older, staler, isSmall, reloaded, used, holiday)
              usedSame[from] = slot(older, 1, isSmall, reloaded, 1, holiday)
              usedSmall[from] = slot(older, 1, 1, reloaded, 1, holiday)
            }
          }
        }
      }
    }
  }
  return { state, small, idle, usedSame, usedSmall }
})()

/**
 * One month of the chain for every state, under a month-of-year factor: the chance a balance
 * is used, the share a used balance loses, and the share of what it has left that is a
 * residual (a residual stays one). runOff, useChance and neverRedeemedBySlot all read these,
 * so they cannot disagree.
 */
type MonthRates = { active: Float64Array; spent: Float64Array; becomesSmall: Float64Array }

const byModel = new WeakMap<RunoffModel, MonthRates[]>()

/** The rates of each month of the year for a model, computed once per model. */
function ratesByMonthOfYear(model: RunoffModel): MonthRates[] {
  let rates = byModel.get(model)
  if (!rates) {
    rates = Array.from({ length: 12 }, (_, moy) => monthRates(model, moy))
    byModel.set(model, rates)
  }
  return rates
}

function monthRates(model: RunoffModel, moy: number | null): MonthRates {
  const active = new Float64Array(STATE_COUNT)
  for (let s = 0; s < STATE_COUNT; s++) {
    const factor = moy === null ? 1 : (model.season[(s % HOLIDAY_KINDS) * 12 + moy] as number)
    active[s] = Math.min(0.99, (model.active[s] as number) * factor)
  }
  return { active, spent: model.spent, becomesSmall: model.becomesSmall }
}

/** The slot of a card, to look its risk up in `neverRedeemedBySlot`. */
export function slotOf(card: SlotCard): number {
  return slot(
    Math.min(MAX_AGE, card.age),
    Math.min(MAX_RECENCY, Math.max(0, card.recency)),
    card.balance <= SMALL_BALANCE ? 1 : 0,
    card.reloaded ? 1 : 0,
    card.used ? 1 : 0,
    card.holiday,
  )
}

/**
 * The naive baseline: last year's average redemption rate (redemptions over exposure in the
 * twelve months before the cut-off), the same for every balance and month.
 */
export function baselineModel(history: RunoffHistory): RunoffModel {
  const flat =
    history.lastYear.exposure > 0 ? history.lastYear.redeemed / history.lastYear.exposure : 0
  return {
    active: new Float64Array(STATE_COUNT).fill(1),
    spent: new Float64Array(STATE_COUNT).fill(flat),
    becomesSmall: new Float64Array(STATE_COUNT),
    season: new Float64Array(HOLIDAY_KINDS * 12).fill(1),
  }
}

/** The seen state closest to `s` by stepping back in recency, then in age (same flags). */
function nearestSeen(s: number, seen: readonly boolean[]): number | undefined {
  const flags = s % FLAG_COUNT
  const cell = Math.floor(s / FLAG_COUNT)
  const recency = cell % RECENCY_BUCKETS
  const age = Math.floor(cell / RECENCY_BUCKETS)
  for (let a = age; a >= 0; a--) {
    for (let r = a === age ? recency : RECENCY_BUCKETS - 1; r >= 0; r--) {
      const candidate = (a * RECENCY_BUCKETS + r) * FLAG_COUNT + flags
      if (seen[candidate]) return candidate
    }
  }
  return undefined
}

function sum(values: Float64Array): number {
  let total = 0
  for (const v of values) total += v
  return total
}
