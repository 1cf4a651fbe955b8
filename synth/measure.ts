import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import { addMonths, DAY_MS, type FraudLabel, type FraudPattern, parseDate } from '../core/index.ts'
import { countAll, type Database } from '../db/index.ts'
import { SEED_COLUMNS } from './rows.ts'

/** The statistics the synthetic chain is held to (docs/domain.md §1, the fraud share §3), measured from the ledger itself. */
export type ChainStats = {
  cards: number
  transactions: number
  transactionsPerCard: number
  /** Share of a calendar year's cards sold in November and December (full years only). */
  seasonalShare: number
  /** Of cards observed for at least 12 months: share first used within 30 days. */
  usedWithinMonth: number
  /** Of non-reloaded cards observed 12+ months: share of initial value redeemed within 1/6/12 months. */
  valueRedeemed: { m1: number; m6: number; m12: number }
  /** Of cards observed for at least 12 months: share never redeemed. */
  neverUsed: number
  /** Of cards used at least once: share left with a small residual ($0.01–$5.00). */
  smallResidual: number
  /** Redemption value in the four weeks after Christmas over the average four weeks. */
  postHolidaySpike: number
  /** Cards whose stored balance differs from the sum of their transactions. */
  balanceMismatches: number
  /** Cards or transactions with a negative balance. */
  negativeBalances: number
  /** From the labels file, when given. */
  fraud?: { cards: number; share: number; byPattern: Record<FraudPattern, number> }
}

/** Measures the chain in `database` (and its labels file, if given). Meant for up to ~1M rows. */
export async function measureChain(database: Database, labelsPath?: string): Promise<ChainStats> {
  const { db } = database
  const cards = await db
    .selectFrom('gift_cards')
    .select(['id', 'issued_at', 'initial_value_cents', 'balance_cents'])
    .execute()
  const moves = await db
    .selectFrom('gift_card_transactions')
    .select(['card_id', 'type', 'amount_cents', 'occurred_at'])
    .where('type', 'in', ['redeem', 'load'])
    .where('result', '=', 'ok')
    .execute()
  const { n: transactions } = await db
    .selectFrom('gift_card_transactions')
    .select(countAll().as('n'))
    .executeTakeFirstOrThrow()
  const watermark = await db
    .selectFrom('gift_card_transactions')
    .select((eb) => eb.fn.max('occurred_at').as('at'))
    .executeTakeFirstOrThrow()
  const endMs = watermark.at ? parseDate(watermark.at) : Date.now()

  type Card = {
    issued: number
    value: number
    balance: number
    firstUse?: number
    loaded: boolean
    redeemed: { at: number; cents: number }[]
  }
  const byId = new Map<string, Card>()
  for (const c of cards) {
    byId.set(c.id, {
      issued: parseDate(c.issued_at),
      value: c.initial_value_cents,
      balance: c.balance_cents,
      loaded: false,
      redeemed: [],
    })
  }
  const redemptionsByDay = new Map<number, number>()
  for (const m of moves) {
    const card = m.card_id ? byId.get(m.card_id) : undefined
    if (!card) continue
    const at = parseDate(m.occurred_at)
    if (m.type === 'load') {
      card.loaded = true
      continue
    }
    card.redeemed.push({ at, cents: -m.amount_cents })
    if (card.firstUse === undefined || at < card.firstUse) card.firstUse = at
    const day = Math.floor(at / DAY_MS)
    redemptionsByDay.set(day, (redemptionsByDay.get(day) ?? 0) - m.amount_cents)
  }

  // Seasonality over full calendar years.
  const perYear = new Map<number, { all: number; season: number }>()
  for (const card of byId.values()) {
    const d = new Date(card.issued)
    const year = perYear.get(d.getUTCFullYear()) ?? { all: 0, season: 0 }
    year.all++
    if (d.getUTCMonth() >= 10) year.season++
    perYear.set(d.getUTCFullYear(), year)
  }
  const firstMs = Math.min(...[...byId.values()].map((c) => c.issued))
  let seasonCards = 0
  let yearCards = 0
  for (const [year, counts] of perYear) {
    if (
      Date.UTC(year, 0, 1) - DAY_MS <= firstMs - 2 * DAY_MS ||
      Date.UTC(year + 1, 0, 1) > endMs + DAY_MS
    )
      continue
    seasonCards += counts.season
    yearCards += counts.all
  }

  let observed = 0
  let usedInMonth = 0
  let never = 0
  let valueBase = 0
  const valueIn = { m1: 0, m6: 0, m12: 0 }
  let used = 0
  let residual = 0
  for (const card of byId.values()) {
    if (card.firstUse !== undefined) {
      used++
      if (card.balance > 0 && card.balance <= 500) residual++
    }
    if (addMonths(card.issued, 12) > endMs) continue
    observed++
    if (card.firstUse === undefined) never++
    else if (card.firstUse - card.issued <= 30 * DAY_MS) usedInMonth++
    if (card.loaded) continue
    valueBase += card.value
    const limits = {
      m1: addMonths(card.issued, 1),
      m6: addMonths(card.issued, 6),
      m12: addMonths(card.issued, 12),
    }
    for (const r of card.redeemed) {
      if (r.at < limits.m1) valueIn.m1 += r.cents
      if (r.at < limits.m6) valueIn.m6 += r.cents
      if (r.at < limits.m12) valueIn.m12 += r.cents
    }
  }

  // Four weeks after each Christmas in the data against the average four weeks.
  let spikeValue = 0
  let spikeWindows = 0
  for (const year of perYear.keys()) {
    const christmas = Date.UTC(year, 11, 26)
    if (christmas + 28 * DAY_MS > endMs) continue
    spikeWindows++
    for (let d = 0; d < 28; d++)
      spikeValue += redemptionsByDay.get(Math.floor(christmas / DAY_MS) + d) ?? 0
  }
  const allDays = [...redemptionsByDay.values()].reduce((a, b) => a + b, 0)
  const dayCount = Math.max(1, Math.round((endMs - firstMs) / DAY_MS))
  const averageFourWeeks = (allDays / dayCount) * 28

  const { n: balanceMismatches } = await db
    .selectFrom('gift_cards as c')
    .leftJoin(
      db
        .selectFrom('gift_card_transactions')
        .select((eb) => ['card_id', eb.fn.sum<number>('amount_cents').as('total')])
        .groupBy('card_id')
        .as('t'),
      't.card_id',
      'c.id',
    )
    .select(countAll().as('n'))
    .where(sql<boolean>`c.balance_cents <> coalesce(t.total, 0)`)
    .executeTakeFirstOrThrow()
  const { n: negativeCards } = await db
    .selectFrom('gift_cards')
    .select(countAll().as('n'))
    .where('balance_cents', '<', 0)
    .executeTakeFirstOrThrow()
  const { n: negativeRows } = await db
    .selectFrom('gift_card_transactions')
    .select(countAll().as('n'))
    .where('balance_after_cents', '<', 0)
    .executeTakeFirstOrThrow()

  const stats: ChainStats = {
    cards: byId.size,
    transactions,
    transactionsPerCard: transactions / Math.max(1, byId.size),
    seasonalShare: seasonCards / Math.max(1, yearCards),
    usedWithinMonth: usedInMonth / Math.max(1, observed),
    valueRedeemed: {
      m1: valueIn.m1 / Math.max(1, valueBase),
      m6: valueIn.m6 / Math.max(1, valueBase),
      m12: valueIn.m12 / Math.max(1, valueBase),
    },
    neverUsed: never / Math.max(1, observed),
    smallResidual: residual / Math.max(1, used),
    postHolidaySpike: spikeWindows > 0 ? spikeValue / spikeWindows / averageFourWeeks : 0,
    balanceMismatches,
    negativeBalances: negativeCards + negativeRows,
  }
  if (labelsPath) stats.fraud = fraudShare(readLabels(labelsPath), byId.size)
  return stats
}

/** Reads a labels file (JSON lines). */
export function readLabels(path: string): FraudLabel[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FraudLabel)
}

function fraudShare(labels: FraudLabel[], cards: number) {
  const byPattern = {} as Record<FraudPattern, number>
  const distinct = new Set<string>()
  for (const label of labels) {
    distinct.add(label.card_id)
    byPattern[label.pattern] = (byPattern[label.pattern] ?? 0) + 1
  }
  return { cards: distinct.size, share: distinct.size / Math.max(1, cards), byPattern }
}

/**
 * A SHA-256 over every card and transaction (ids, amounts, balances, times, places), in a
 * fixed order: two ledgers with the same checksum hold the same chain.
 */
export async function ledgerChecksum(database: Database): Promise<string> {
  const { createHash } = await import('node:crypto')
  const hash = createHash('sha256')
  // Every column the seed writes, except the volatile `updated_at`.
  const cardColumns = SEED_COLUMNS.gift_cards.filter((c) => c !== 'updated_at')
  const cards = await database.db.selectFrom('gift_cards').select(cardColumns).execute()
  cards.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  for (const card of cards) hash.update(`${JSON.stringify(cardColumns.map((c) => card[c]))}\n`)
  const txColumns = SEED_COLUMNS.gift_card_transactions
  const transactions = await database.db
    .selectFrom('gift_card_transactions')
    .select(txColumns)
    .execute()
  transactions.sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0))
  for (const tx of transactions) hash.update(`${JSON.stringify(txColumns.map((c) => tx[c]))}\n`)
  return hash.digest('hex')
}
