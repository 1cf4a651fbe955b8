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
    purchaserCards: number
    purchaserUsedShare: number | null
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
}

/**
 * Cards with a balance and no load or redemption for `minDays` (default 90) before `asOf`,
 * most likely to come back first, with a reactivation likelihood: the run-off model's chance
 * for the card's state, scaled by its purchaser's habit (how often their other cards were used,
 * against everyone's). Fitting the model reads the ledger once.
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
  const overall = await overallUsedShare(database, pilotStores)
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
  // Under a pilot a purchaser's habit is that of their cards from its stores.
  const habitFilter = pilotStores
    ? `and issuing_location_id in (${list([...pilotStores, ''])})`
    : ''
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
  // Each dormant card with its purchaser's habit (their cards, and how many were ever spent
  // from), in one streaming pass.
  await adapter.scan<DormancyRow>(
    {
      sql: `select c.id, c.issuing_location_id, c.balance_cents, c.issued_at, c.last_activity_at,
          c.initial_value_cents, h.cards as purchaser_cards, h.used as purchaser_used
        from gift_cards c left join (
          select purchaser_customer_id, cast(count(*) as bigint) as cards,
            cast(sum(case when balance_cents < initial_value_cents then 1 else 0 end) as bigint) as used
          from gift_cards where purchaser_customer_id is not null ${habitFilter}
          group by purchaser_customer_id
        ) h on h.purchaser_customer_id = c.purchaser_customer_id
        where c.balance_cents >= ${minBalance} and c.issued_at < ${issuedBefore}
          and (c.last_activity_at < ${idleBefore} or c.last_activity_at is null)
          ${where.map((w) => `and ${w}`).join(' ')}${empty ? ' and 1 = 0' : ''}`,
      parameters,
    },
    (rows) => {
      for (const row of rows) {
        if (options.include && !options.include(row.id)) continue
        const card = scoreDormant(row, { model, asOfMs, startMonth, overall, open })
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
  purchaser_cards: number | null
  purchaser_used: number | null
}

/** A dormant card's reactivation likelihood: its state's chance, scaled by its purchaser's habit. */
function scoreDormant(
  row: DormancyRow,
  context: {
    model: RunoffModel
    asOfMs: number
    startMonth: number
    overall: number
    open: ReadonlyMap<string, OpenCard>
  },
): DormantCard {
  const { model, asOfMs, startMonth, overall, open } = context
  const last = parseDate(row.last_activity_at ?? row.issued_at)
  const age = Math.max(0, monthsBetween(parseDate(row.issued_at), asOfMs))
  const monthsIdle = Math.max(1, monthsBetween(last, asOfMs))
  const known = open.get(row.id)
  const reloaded = known?.reloaded ?? false
  const used = known?.used ?? row.initial_value_cents > row.balance_cents
  const base = reactivationChance(
    model,
    {
      age,
      recency: monthsIdle,
      balance: row.balance_cents,
      reloaded,
      used,
      holiday: known?.holiday ?? holidayIssue(monthIndexOfIso(row.issued_at)),
    },
    startMonth,
  )
  // Scale the odds by the purchaser's habit, from their *other* cards, within 0.5–2×.
  const purchaserCards = Number(row.purchaser_cards ?? 0)
  const usedShare =
    purchaserCards > 1
      ? (Number(row.purchaser_used ?? 0) - (row.initial_value_cents > row.balance_cents ? 1 : 0)) /
        (purchaserCards - 1)
      : null
  const factor =
    usedShare === null || overall === 0 ? 1 : Math.min(2, Math.max(0.5, usedShare / overall))
  const odds = (base / Math.max(1e-6, 1 - base)) * factor
  return {
    cardId: row.id,
    locationId: row.issuing_location_id,
    balanceCents: row.balance_cents,
    lastActivityAt: toIso(last),
    daysInactive: Math.floor((asOfMs - last) / DAY_MS),
    reactivation: Number((odds / (1 + odds)).toFixed(4)),
    features: {
      ageMonths: age,
      monthsIdle,
      reloaded,
      used,
      purchaserCards,
      purchaserUsedShare: usedShare === null ? null : Number(usedShare.toFixed(3)),
    },
  }
}

/**
 * The share of all cards ever spent from (the habit a purchaser's is compared with); of the
 * pilot's cards under a pilot.
 */
async function overallUsedShare(
  database: Database,
  pilotStores?: readonly string[],
): Promise<number> {
  let query = database.db.selectFrom('gift_cards')
  if (pilotStores) query = query.where('issuing_location_id', 'in', [...pilotStores, ''])
  const all = await query
    .select((eb) => [
      eb.fn.countAll<number>().as('cards'),
      eb.fn
        .sum<number>(
          eb.case().when('balance_cents', '<', eb.ref('initial_value_cents')).then(1).else(0).end(),
        )
        .as('used'),
    ])
    .executeTakeFirstOrThrow()
  return Number(all.cards) > 0 ? Number(all.used) / Number(all.cards) : 0
}

function monthsBetween(fromMs: number, toMs: number): number {
  const a = new Date(fromMs)
  const b = new Date(toMs)
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth())
}

export type ReactivationBacktest = {
  asOf: string
  dormantCards: number
  reactivated: number
  auc: number
  baseRate: number
}

/**
 * How well the model ranks dormant cards: at `asOf`, the cards idle for three months or more
 * (state as the ledger before `asOf` knew it) are scored with a model fitted before `asOf`,
 * then compared with whether each was used in the next 90 days. AUC 0.5 is chance.
 */
export async function backtestReactivation(
  database: Database,
  options: { asOf: string } & LedgerPassOptions,
): Promise<ReactivationBacktest> {
  const asOfMs = startOfMonth(parseDate(options.asOf))
  const history = await readRunoffHistory(
    database,
    asOfMs,
    options.pilotStores ? { pilotStores: options.pilotStores } : {},
  )
  const model = fitRunoff(history)
  const dormant = history.openCards.filter((c) => c.recency >= 3)
  const scores = new Map(
    dormant.map((c) => [c.id, reactivationChance(model, c, history.cutoffMonth)]),
  )
  const used = new Set<string>()
  for await (const page of transactionsInTimeOrder(database.db, {
    from: toIso(asOfMs),
    to: toIso(addMonths(asOfMs, LOOKAHEAD_MONTHS)),
    okOnly: true,
  })) {
    for (const row of page)
      if (row.card_id && row.amount_cents !== 0 && scores.has(row.card_id)) used.add(row.card_id)
  }
  return {
    asOf: toIso(asOfMs),
    dormantCards: dormant.length,
    reactivated: used.size,
    auc: auc(dormant.map((c) => ({ score: scores.get(c.id) ?? 0, positive: used.has(c.id) }))),
    baseRate: dormant.length > 0 ? used.size / dormant.length : 0,
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
