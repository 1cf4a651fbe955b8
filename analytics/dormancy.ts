import {
  addMonths,
  type CardStatus,
  DAY_MS,
  parseDate,
  startOfMonth,
  toIso,
} from '../core/index.ts'
import { type Database, transactionsInTimeOrder } from '../db/index.ts'
import {
  holidayIssue,
  type LedgerPassOptions,
  monthIndexOfIso,
  type OpenCard,
  readRunoffHistory,
} from './breakage/ledger-pass.ts'
import { fitRunoff, type RunoffModel, type SlotCard, useChance } from './breakage/model.ts'
import {
  fitGroupedIsotonic,
  type GroupedCalibrator,
  type GroupedOutcome,
  type Reliability,
  reliability,
} from './calibration.ts'
import { TopK } from './top.ts'

/** Months ahead the reactivation likelihood looks (about 90 days). */
const LOOKAHEAD_MONTHS = 3

/**
 * The chance a dormant balance is used again within three months: the run-off model's chance
 * that a card in its state (age, months idle, residual, reloaded, used, holiday season) leaves
 * it, month by month along the chain.
 */
export function reactivationChance(model: RunoffModel, card: SlotCard, startMonth: number): number {
  return useChance(model, card, startMonth, LOOKAHEAD_MONTHS)
}

export type DormantCard = {
  cardId: string
  /** The issuing store, when the card has one. */
  locationId: string | null
  balanceCents: number
  lastActivityAt: string
  daysInactive: number
  /** 0–1: the chance the card is used within about 90 days. */
  reactivation: number
  /** What the score is made of. */
  features: {
    ageMonths: number
    monthsIdle: number
    reloaded: boolean
    /** Spent from before (a card used and left idle is mostly done with). */
    used: boolean
  }
}

/** How a page of dormant cards is ordered. */
export const DORMANT_SORTS = ['reactivation_desc', 'balance_desc', 'idle_desc'] as const
export type DormantSort = (typeof DORMANT_SORTS)[number]

/** Which cards count: all optional, all applied in the one query. */
export type DormancyFilters = {
  /** ISO instant: idle since then (no load or redemption at or after it); overrides minDays. */
  idleBefore?: string
  maxBalanceCents?: number
  /** Cards issued at one of these stores. */
  locationIds?: readonly string[]
  /** Cards issued in this jurisdiction (`US-NY`). */
  jurisdiction?: string
  statuses?: readonly CardStatus[]
  /** Only these cards (at most a few hundred: a campaign's "those cards"). */
  cardIds?: readonly string[]
  /** A further test on each card id (a purchaser segment). */
  include?: (cardId: string) => boolean
}

export type DormancyReport = {
  asOf: string
  /** Where the idle window starts: cards with no activity at or after it. */
  idleBefore: string
  minDays: number
  cards: number
  balanceCents: number
  dormant: DormantCard[]
  /** How the likelihoods were calibrated (docs/analytics.md §Calibration). */
  calibration: CalibrationNote
}

/** Where a likelihood's scale comes from: fitted on past cut-offs, or raw when too little history. */
export type CalibrationNote = {
  method: 'isotonic' | 'none'
  /** The month starts whose next 90 days the map was fitted on. */
  cutoffs: string[]
  samples: number
  note?: string
}

/**
 * Cards with a balance and no load or redemption for `minDays` (default 90) before `asOf`,
 * most likely to come back first, with a reactivation likelihood: the run-off model's chance
 * for the card's state, calibrated on what dormant cards did at earlier cut-offs. Fitting the
 * model reads the ledger once; the calibration map once per earlier cut-off, then is kept.
 */
export async function findDormantCards(
  database: Database,
  options: {
    asOf?: string
    minDays?: number
    minBalanceCents?: number
    limit?: number
    offset?: number
    sort?: DormantSort
  } & DormancyFilters &
    LedgerPassOptions = {},
): Promise<DormancyReport> {
  const { pilotStores } = options
  const asOfMs = options.asOf ? parseDate(options.asOf) : Date.now()
  const cutoff = options.idleBefore ?? toIso(asOfMs - (options.minDays ?? 90) * DAY_MS)
  const minDays = options.idleBefore
    ? Math.max(0, Math.floor((asOfMs - parseDate(cutoff)) / DAY_MS))
    : (options.minDays ?? 90)
  const history = await readRunoffHistory(
    database,
    startOfMonth(asOfMs),
    pilotStores ? { pilotStores } : {},
  )
  const model = fitRunoff(history)
  // What the ledger pass knows of each open card (reloaded, used before) by id.
  const open = new Map(history.openCards.map((c) => [c.id, c]))
  const startMonth = history.cutoffMonth
  const calibration = await reactivationCalibration(database, startOfMonth(asOfMs), options)
  const offset = options.offset ?? 0
  // Only the page asked for is kept (the best offset + limit), the rest counted as it streams.
  const best = new TopK<DormantCard>(
    offset + (options.limit ?? 100),
    DORMANT_ORDER[options.sort ?? 'reactivation_desc'],
  )
  let cards = 0
  let balanceCents = 0
  const { adapter } = database
  // Placeholders are numbered in the order they appear in the text (SQLite's are positional).
  const parameters: unknown[] = []
  const p = (value: unknown) => {
    parameters.push(value)
    return adapter.placeholder(parameters.length)
  }
  const list = (values: readonly unknown[]) => values.map((v) => p(v)).join(', ')
  const minBalance = p(options.minBalanceCents ?? 1)
  const issuedBefore = p(cutoff)
  const idleBefore = p(cutoff)
  const where: string[] = []
  if (pilotStores) where.push(`c.issuing_location_id in (${list([...pilotStores, ''])})`)
  if (options.maxBalanceCents !== undefined)
    where.push(`c.balance_cents <= ${p(options.maxBalanceCents)}`)
  if (options.locationIds) where.push(`c.issuing_location_id in (${list(options.locationIds)})`)
  if (options.jurisdiction)
    where.push(
      `c.issuing_location_id in (select id from locations where jurisdiction = ${p(options.jurisdiction)})`,
    )
  if (options.statuses) where.push(`c.status in (${list(options.statuses)})`)
  if (options.cardIds) where.push(`c.id in (${list(options.cardIds)})`)
  // An empty list matches nothing (SQL's `in ()` is not valid).
  const empty = [options.locationIds, options.statuses, options.cardIds].some(
    (l) => l !== undefined && l.length === 0,
  )
  // Each dormant card, in one streaming pass.
  await adapter.scan<DormancyRow>(
    {
      sql: `select c.id, c.issuing_location_id, c.balance_cents, c.issued_at, c.last_activity_at,
          c.initial_value_cents
        from gift_cards c
        where c.balance_cents >= ${minBalance} and c.issued_at < ${issuedBefore}
          and (c.last_activity_at < ${idleBefore} or c.last_activity_at is null)
          ${where.map((w) => `and ${w}`).join(' ')}${empty ? ' and 1 = 0' : ''}`,
      parameters,
    },
    (rows) => {
      for (const row of rows) {
        if (options.include && !options.include(row.id)) continue
        const card = scoreDormant(row, {
          model,
          asOfMs,
          startMonth,
          calibrator: calibration.calibrator,
          open,
        })
        cards++
        balanceCents += card.balanceCents
        best.offer(card)
      }
    },
    2_000,
  )
  return {
    asOf: toIso(asOfMs),
    idleBefore: cutoff,
    minDays,
    cards,
    balanceCents,
    dormant: best.sorted().slice(offset),
    calibration: calibration.note,
  }
}

/** Each sort as a strict total order (ties by the next key, last by card id). */
const DORMANT_ORDER: Record<DormantSort, (a: DormantCard, b: DormantCard) => boolean> = {
  reactivation_desc: (a, b) =>
    a.reactivation > b.reactivation ||
    (a.reactivation === b.reactivation &&
      (a.balanceCents > b.balanceCents ||
        (a.balanceCents === b.balanceCents && a.cardId < b.cardId))),
  balance_desc: (a, b) =>
    a.balanceCents > b.balanceCents ||
    (a.balanceCents === b.balanceCents &&
      (a.reactivation > b.reactivation ||
        (a.reactivation === b.reactivation && a.cardId < b.cardId))),
  idle_desc: (a, b) =>
    a.lastActivityAt < b.lastActivityAt ||
    (a.lastActivityAt === b.lastActivityAt &&
      (a.balanceCents > b.balanceCents ||
        (a.balanceCents === b.balanceCents && a.cardId < b.cardId))),
}

type DormancyRow = {
  id: string
  issuing_location_id: string | null
  balance_cents: number
  issued_at: string
  last_activity_at: string | null
  initial_value_cents: number
}

/**
 * A dormant card's reactivation likelihood: the run-off model's chance for its state (as the
 * ledger pass knew it at the month's start, or from its dates), through the calibration map.
 * A purchaser's habit (how often their other cards were used) used to scale the odds; measured
 * out of time it lowered both AUC and calibration at every cut-off (docs/analytics.md
 * §Calibration), so it is gone.
 */
function scoreDormant(
  row: DormancyRow,
  context: {
    model: RunoffModel
    asOfMs: number
    startMonth: number
    calibrator: GroupedCalibrator | null
    open: ReadonlyMap<string, OpenCard>
  },
): DormantCard {
  const { model, asOfMs, startMonth, calibrator, open } = context
  const last = parseDate(row.last_activity_at ?? row.issued_at)
  const known = open.get(row.id)
  const state: SlotCard = known ?? {
    age: Math.max(0, monthsBetween(parseDate(row.issued_at), asOfMs)),
    recency: Math.max(1, monthsBetween(last, asOfMs)),
    balance: row.balance_cents,
    reloaded: false,
    used: row.initial_value_cents > row.balance_cents,
    holiday: holidayIssue(monthIndexOfIso(row.issued_at)),
  }
  const raw = reactivationChance(model, state, startMonth)
  return {
    cardId: row.id,
    locationId: row.issuing_location_id,
    balanceCents: row.balance_cents,
    lastActivityAt: toIso(last),
    daysInactive: Math.floor((asOfMs - last) / DAY_MS),
    reactivation: Number(
      (calibrator ? calibrator.apply(raw, calibrationGroup(state)) : raw).toFixed(4),
    ),
    features: {
      ageMonths: state.age,
      monthsIdle: state.recency,
      reloaded: state.reloaded,
      used: state.used,
    },
  }
}

function monthsBetween(fromMs: number, toMs: number): number {
  const a = new Date(fromMs)
  const b = new Date(toMs)
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth())
}

/** How many earlier cut-offs, three months apart, the calibration map is fitted on. */
const CALIBRATION_CUTOFFS = 4
/** Fewer dormant cards than this (or no comeback among them) and the scores stay raw. */
const MIN_CALIBRATION_SAMPLES = 200

/**
 * The dormant cards (idle three months or more, with a balance) at the start of month
 * `cutoffMs`, as the ledger before it knew them, scored raw by a model fitted before it, and
 * whether each was used in the next 90 days. Reads the ledger before the cut-off once and the
 * 90 days after it through the time index.
 */
async function reactivationOutcomes(
  database: Database,
  cutoffMs: number,
  options: LedgerPassOptions,
): Promise<{ card: OpenCard; p: number; outcome: boolean }[]> {
  const history = await readRunoffHistory(
    database,
    cutoffMs,
    options.pilotStores ? { pilotStores: options.pilotStores } : {},
  )
  const model = fitRunoff(history)
  const dormant = history.openCards.filter((c) => c.recency >= 3 && c.balance > 0)
  const scores = new Map(
    dormant.map((c) => [c.id, reactivationChance(model, c, history.cutoffMonth)]),
  )
  const used = new Set<string>()
  for await (const page of transactionsInTimeOrder(database.db, {
    from: toIso(cutoffMs),
    to: toIso(addMonths(cutoffMs, LOOKAHEAD_MONTHS)),
    okOnly: true,
  })) {
    for (const row of page)
      if (row.card_id && row.amount_cents !== 0 && scores.has(row.card_id)) used.add(row.card_id)
  }
  return dormant.map((card) => ({
    card,
    p: scores.get(card.id) ?? 0,
    outcome: used.has(card.id),
  }))
}

type CalibrationFit = { calibrator: GroupedCalibrator | null; note: CalibrationNote }

/** Maps fitted per database: one entry, by cut-off month, pilot and the ledger's last row. */
const calibrations = new WeakMap<Database, { key: string; fit: Promise<CalibrationFit> }>()

/**
 * The calibration map for scores made at month start `cutoffMs`: isotonic regression of what
 * dormant cards did against their raw scores at the CALIBRATION_CUTOFFS earlier cut-offs whose
 * 90 days had ended by then (so it never sees the outcome it is judged on). Kept in memory
 * until the ledger gains a row or the month turns; nothing is stored.
 */
export async function reactivationCalibration(
  database: Database,
  cutoffMs: number,
  options: LedgerPassOptions = {},
): Promise<CalibrationFit> {
  const last = await database.db
    .selectFrom('gift_card_transactions')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst()
  const key = `${cutoffMs}|${options.pilotStores?.join(',') ?? '*'}|${String(last?.id ?? 0)}`
  const kept = calibrations.get(database)
  if (kept?.key === key) return kept.fit
  const fit = fitCalibration(database, cutoffMs, options)
  calibrations.set(database, { key, fit })
  fit.catch(() => calibrations.delete(database))
  return fit
}

async function fitCalibration(
  database: Database,
  cutoffMs: number,
  options: LedgerPassOptions,
): Promise<CalibrationFit> {
  const first = await database.db
    .selectFrom('gift_cards')
    .select((eb) => eb.fn.min('issued_at').as('at'))
    .executeTakeFirst()
  const firstMs = first?.at ? parseDate(first.at) : cutoffMs
  const cutoffs: number[] = []
  for (let k = 1; k <= CALIBRATION_CUTOFFS; k++) {
    const at = addMonths(cutoffMs, -LOOKAHEAD_MONTHS * k)
    // A cut-off needs cards already three months idle before it.
    if (at >= addMonths(startOfMonth(firstMs), LOOKAHEAD_MONTHS + 1)) cutoffs.push(at)
  }
  const points: GroupedOutcome[] = []
  for (const at of cutoffs)
    for (const o of await reactivationOutcomes(database, at, options))
      points.push({ p: o.p, outcome: o.outcome, group: calibrationGroup(o.card) })
  const note = { cutoffs: cutoffs.map((c) => toIso(c).slice(0, 10)), samples: points.length }
  if (points.length < MIN_CALIBRATION_SAMPLES || !points.some((p) => p.outcome))
    return {
      calibrator: null,
      note: {
        method: 'none',
        ...note,
        note: `not calibrated: ${points.length} dormant cards at earlier cut-offs, fewer than ${MIN_CALIBRATION_SAMPLES} or none came back; the likelihoods are the model's raw chances`,
      },
    }
  return { calibrator: fitGroupedIsotonic(points), note: { method: 'isotonic', ...note } }
}

/**
 * The kinds of dormant card calibrated apart: never used or spent from before, idle three to
 * five months, six to eleven, or a year and more. The raw model ties cards of different kinds
 * (its rates for the stalest never-used states rest on a few cards); the past of each kind
 * does not.
 */
function calibrationGroup(card: Pick<SlotCard, 'used' | 'recency'>): string {
  const idle = card.recency >= 12 ? '12+' : card.recency >= 6 ? '6-11' : '3-5'
  return `${card.used ? 'used' : 'unused'}|${idle}`
}

export type ReactivationBacktest = {
  asOf: string
  dormantCards: number
  reactivated: number
  auc: number
  baseRate: number
  /** The likelihoods as shown (calibrated on cut-offs before asOf): table, Brier, ECE. */
  reliability: Reliability
  /** The model's raw chances, for comparison. */
  raw: Pick<Reliability, 'brier' | 'ece'> & { auc: number }
  /** Predicted against observed for each kind of card (never used or used, how long idle). */
  groups: { group: string; count: number; predicted: number; observed: number }[]
  calibration: CalibrationNote
}

/**
 * How well the likelihood ranks and how far its scale holds: at `asOf` the cards idle for three
 * months or more (state as the ledger before `asOf` knew it) are scored as `findDormantCards`
 * would have scored them then (a model fitted before `asOf`, calibrated on earlier cut-offs),
 * then compared with whether each was used in the next 90 days. AUC 0.5 is chance; an ECE of
 * 0.05 means the shown percentages are five points off on average.
 */
export async function backtestReactivation(
  database: Database,
  options: { asOf: string } & LedgerPassOptions,
): Promise<ReactivationBacktest> {
  const asOfMs = startOfMonth(parseDate(options.asOf))
  const outcomes = await reactivationOutcomes(database, asOfMs, options)
  const { calibrator, note } = await reactivationCalibration(database, asOfMs, options)
  const shown = outcomes.map((o) => ({
    p: calibrator ? calibrator.apply(o.p, calibrationGroup(o.card)) : o.p,
    outcome: o.outcome,
  }))
  const raw = reliability(outcomes)
  const reactivated = outcomes.filter((o) => o.outcome).length
  const groups = new Map<string, { count: number; predicted: number; observed: number }>()
  outcomes.forEach((o, i) => {
    const key = calibrationGroup(o.card)
    const g = groups.get(key) ?? { count: 0, predicted: 0, observed: 0 }
    g.count++
    g.predicted += (shown[i] as { p: number }).p
    if (o.outcome) g.observed++
    groups.set(key, g)
  })
  return {
    asOf: toIso(asOfMs),
    dormantCards: outcomes.length,
    reactivated,
    auc: auc(shown.map((o) => ({ score: o.p, positive: o.outcome }))),
    baseRate: outcomes.length > 0 ? reactivated / outcomes.length : 0,
    reliability: reliability(shown),
    raw: {
      brier: raw.brier,
      ece: raw.ece,
      auc: auc(outcomes.map((o) => ({ score: o.p, positive: o.outcome }))),
    },
    groups: [...groups]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([group, g]) => ({
        group,
        count: g.count,
        predicted: g.predicted / g.count,
        observed: g.observed / g.count,
      })),
    calibration: note,
  }
}

/** Area under the ROC curve by ranks (ties count half). */
function auc(points: { score: number; positive: boolean }[]): number {
  const positives = points.filter((p) => p.positive).length
  const negatives = points.length - positives
  if (positives === 0 || negatives === 0) return 0.5
  const sorted = [...points].sort((a, b) => a.score - b.score)
  let rankSum = 0
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (
      j < sorted.length &&
      (sorted[j] as { score: number }).score === (sorted[i] as { score: number }).score
    )
      j++
    const rank = (i + 1 + j) / 2
    for (let k = i; k < j; k++) if ((sorted[k] as { positive: boolean }).positive) rankSum += rank
    i = j
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}
