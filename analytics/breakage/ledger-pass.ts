import { parseDate } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { IntColumn, Interner } from '../columns.ts'

/** Oldest age and longest inactivity (months) tracked exactly; older share the last value. */
export const MAX_AGE = 36
export const MAX_RECENCY = 24
/** A balance at or under this is a residual (cents): residuals are rarely spent. */
export const SMALL_BALANCE = 500

/** Age and recency buckets the rates are estimated on (months). */
const AGE_EDGES = [0, 1, 2, 3, 4, 5, 7, 10, 13, 16, 19, 22, 25] as const
const RECENCY_EDGES = [0, 1, 2, 3, 6, 12] as const
export const RECENCY_BUCKETS = RECENCY_EDGES.length
/**
 * Flags of a state: residual, reloaded and used (yes or no) and the holiday season it was
 * bought in (none, November, December: two bits, one value unused).
 */
export const FLAG_COUNT = 32
/** Holiday season values, the lowest two bits of a state. */
export const HOLIDAY_KINDS = 4
export const STATE_COUNT = AGE_EDGES.length * RECENCY_EDGES.length * FLAG_COUNT

function bucket(value: number, edges: readonly number[]): number {
  let b = 0
  for (let i = 0; i < edges.length; i++) if (value >= (edges[i] as number)) b = i
  return b
}

/** Buckets looked up rather than searched (the ledger pass asks tens of millions of times). */
const bucketTable = (edges: readonly number[]) =>
  Int8Array.from({ length: (edges.at(-1) as number) + 1 }, (_, v) => bucket(v, edges))
const AGE_BUCKET = bucketTable(AGE_EDGES)
const RECENCY_BUCKET = bucketTable(RECENCY_EDGES)
const lookup = (table: Int8Array, value: number) =>
  table[value < 0 ? 0 : value >= table.length ? table.length - 1 : value] as number

/**
 * The estimation state of a balance: age bucket × recency bucket × residual or not × reloaded
 * or not (a card topped up since activation is spent like a wallet, not like a gift) × used
 * before or not (a card never used waits for its first use; one used and then left idle is
 * mostly done: at the same age and recency the two behave apart) × bought in November, in
 * December or neither (a holiday gift waits for Christmas, then is spent at once; the month
 * bought in puts a card's age and the calendar in step, so January's spike has its own states).
 * The holiday season is the lowest two bits: a holiday state is its plain twin plus 1 or 2.
 */
export function stateOf(
  age: number,
  recency: number,
  small: boolean,
  reloaded: boolean,
  used: boolean,
  holiday: number,
): number {
  return (
    ((((lookup(AGE_BUCKET, age) * RECENCY_EDGES.length + lookup(RECENCY_BUCKET, recency)) * 2 +
      (small ? 1 : 0)) *
      2 +
      (reloaded ? 1 : 0)) *
      2 +
      (used ? 1 : 0)) *
      HOLIDAY_KINDS +
    holiday
  )
}

/** The holiday season of a card issued in calendar month index `issueMonth`: 0 none, 1 November, 2 December. */
export function holidayIssue(issueMonth: number): number {
  const moy = issueMonth % 12
  return moy === 10 ? 1 : moy === 11 ? 2 : 0
}

/** A card with a balance at the cut-off. */
export type OpenCard = {
  id: string
  age: number
  recency: number
  balance: number
  reloaded: boolean
  /** Redeemed from before the cut-off. */
  used: boolean
  /** Bought in November (1), December (2) or neither (0). */
  holiday: number
}

/**
 * What one pass over the ledger before a cut-off knows. Accumulators are indexed
 * [cohort][state][month of year]: exposure (balance at the start of a month plus loads in it),
 * the exposure of cards that were active that month, and what was redeemed.
 */
export type RunoffHistory = {
  firstMonth: number
  cutoffMonth: number
  cohorts: number
  exposure: Float64Array
  activeExposure: Float64Array
  redeemed: Float64Array
  /** What used balances had left at the end of their month that was a residual, per cell. */
  leftSmall: Float64Array
  leftTotal: Float64Array
  openCards: OpenCard[]
  /** Value ever loaded (activations, loads, refunds, upward adjustments) and redeemed, in cents. */
  loadedCents: number
  redeemedCents: number
  /** Exposure and redemptions in the twelve months before the cut-off (the naive baseline). */
  lastYear: { exposure: number; redeemed: number }
}

/** Rows per page of the ledger pass: small pages die young instead of filling the old generation. */
const PAGE = 2_000

export function cell(cohort: number, state: number, moy: number): number {
  return (cohort * STATE_COUNT + state) * 12 + moy
}

/** The same for a stored timestamp, read from its text when it is in UTC (the ledger's form). */
export function monthIndexOfIso(at: string): number {
  if (at.endsWith('Z') && at.charCodeAt(4) === 45 && at.charCodeAt(7) === 45) {
    const index = monthIndexOfKey(at)
    if (Number.isInteger(index)) return index
  }
  return monthIndex(parseDate(at))
}

/** The same for text starting `YYYY-MM` (a month key, or a UTC timestamp). */
function monthIndexOfKey(text: string): number {
  return Number(text.slice(0, 4)) * 12 + Number(text.slice(5, 7)) - 1
}

/** Months since year 0 of a timestamp: an index that orders calendar months. */
export function monthIndex(ms: number): number {
  const d = new Date(ms)
  return d.getUTCFullYear() * 12 + d.getUTCMonth()
}

/** What a ledger pass may be limited to. */
export type LedgerPassOptions = {
  /**
   * The ledger as a pilot sees it (docs/pilot.md): only cards issued at these stores, so the
   * model is fitted on them and only they are run off.
   */
  pilotStores?: readonly string[]
  /**
   * Called once for each card with money moves before the cut-off, with the total that left its
   * balance (redemptions and other debits, cents, as the model counts them): the cumulative
   * redemptions the ASC 606 recognition schedule needs per pool (finance/, docs/finance.md).
   */
  onCard?: (cardId: string, spentCents: number) => void
}

/**
 * Reads the ledger before `cutoffMs` card by card (one row of moves per card, see
 * `cardMovesQuery`) and builds the run-off history. Memory is the accumulators, the cards'
 * issue months, the open cards and one card at a time.
 */
export async function readRunoffHistory(
  database: Database,
  cutoffMs: number,
  options: LedgerPassOptions = {},
): Promise<RunoffHistory> {
  const { pilotStores, onCard } = options
  const [history] = await readRunoffHistories(database, [cutoffMs], {
    ...(pilotStores ? { pilotStores } : {}),
    ...(onCard
      ? { onCard: (_cutoff: number, id: string, spent: number) => onCard(id, spent) }
      : {}),
  })
  return history as RunoffHistory
}

/** The same, for several cut-offs at once; `onCard` also says which cut-off (its index). */
export type LedgerPassesOptions = Omit<LedgerPassOptions, 'onCard'> & {
  onCard?: (cutoff: number, cardId: string, spentCents: number) => void
}

/**
 * The run-off histories as of several cut-offs (ascending) from ONE read of the ledger: each is
 * what `readRunoffHistory` returns for its cut-off, figure for figure (the journal's two month
 * ends, docs/finance.md "Benchmark"). The ledger is read up to the last cut-off; each card is
 * replayed once, month by month, and its state is taken for each earlier cut-off as the replay
 * passes it. A month's counts depend only on the months before it, so what a card adds for a
 * month before a cut-off is the same in every history that contains the month: each month is
 * counted once, in the segment between two cut-offs it falls in, and a history is the sum of
 * the segments before its cut-off.
 *
 * Every cut-off but the last must be a month's first instant: a move is placed before or after
 * it by its month (the moves come as 'YYYY-MM amount'); the last is applied by the query itself,
 * as `readRunoffHistory` applies it.
 */
export async function readRunoffHistories(
  database: Database,
  cutoffsMs: readonly number[],
  options: LedgerPassesOptions = {},
): Promise<RunoffHistory[]> {
  const last = cutoffsMs.length - 1
  if (last < 0) return []
  for (let k = 0; k < last; k++) {
    const at = cutoffsMs[k] as number
    if (at >= (cutoffsMs[k + 1] as number) || monthStart(at) !== at)
      throw new Error(
        'ledger pass: the earlier cut-offs must be ascending first instants of months',
      )
  }
  const { pilotStores } = options
  let firstQuery = database.db
    .selectFrom('gift_cards')
    .select((eb) => eb.fn.min('issued_at').as('at'))
  if (pilotStores) firstQuery = firstQuery.where('issuing_location_id', 'in', [...pilotStores, ''])
  const first = await firstQuery.executeTakeFirst()
  const lastCutoffMs = cutoffsMs[last] as number
  const cutoffMonths = cutoffsMs.map(monthIndex)
  // With no card at all, each history starts at its own cut-off (nothing is replayed).
  const firstMonth = first?.at ? monthIndex(parseDate(first.at)) : (cutoffMonths[0] as number)
  const histories: RunoffHistory[] = cutoffMonths.map((cutoffMonth) => {
    const start = first?.at ? firstMonth : cutoffMonth
    const cohorts = Math.max(1, cutoffMonth - start + 1)
    const size = cohorts * STATE_COUNT * 12
    return {
      firstMonth: start,
      cutoffMonth,
      cohorts,
      exposure: new Float64Array(size),
      activeExposure: new Float64Array(size),
      redeemed: new Float64Array(size),
      leftSmall: new Float64Array(size),
      leftTotal: new Float64Array(size),
      openCards: [],
      loadedCents: 0,
      redeemedCents: 0,
      lastYear: { exposure: 0, redeemed: 0 },
    }
  })

  type Card = {
    id: string
    issueMonth: number
    balance: number
    month: number
    loads: number
    spent: number
    lastActive: number
    /** Loads so far, and of them in the month being read: reloaded is known at a month's start. */
    loadCount: number
    monthLoadCount: number
    used: boolean
    /** Everything loaded and spent so far (for the totals and `onCard`). */
    totalLoaded: number
    totalSpent: number
  }
  let card: Card | undefined
  /** The month of the earliest history whose cut-off is after `month`: its segment. */
  const segmentOf = (month: number) => {
    let k = 0
    while (k < last && month >= (cutoffMonths[k] as number)) k++
    return histories[k] as RunoffHistory
  }
  const closeMonths = (toMonth: number) => {
    if (!card) return
    const cohort = card.issueMonth - firstMonth
    const holiday = holidayIssue(card.issueMonth)
    while (card.month < toMonth) {
      if (card.balance === 0 && card.loads === 0 && card.spent === 0) {
        // Nothing owed and nothing happening: months pass with nothing to count.
        card.month = toMonth
        break
      }
      // What a forecast runs off is a balance owed at a cut-off, and a card's redemptions draw
      // on the oldest value first: the exposure of a month is the balance at its start (and,
      // in the month a card is issued, what was loaded), and only what was spent of it counts.
      // Loaded later in a month is new value, spent from after the balance before it.
      const exposure = card.month === card.issueMonth ? card.loads : card.balance
      const spent = Math.min(exposure, card.spent)
      if (exposure > 0) {
        const state = stateOf(
          card.month - card.issueMonth,
          card.month - card.lastActive,
          exposure <= SMALL_BALANCE,
          card.loadCount - card.monthLoadCount > 1,
          card.used,
          holiday,
        )
        const segment = segmentOf(card.month)
        const i = cell(cohort, state, card.month % 12)
        segment.exposure[i] = (segment.exposure[i] as number) + exposure
        if (spent > 0) {
          segment.activeExposure[i] = (segment.activeExposure[i] as number) + exposure
          segment.redeemed[i] = (segment.redeemed[i] as number) + spent
          const left = exposure - spent
          segment.leftTotal[i] = (segment.leftTotal[i] as number) + left
          if (left <= SMALL_BALANCE) segment.leftSmall[i] = (segment.leftSmall[i] as number) + left
        }
        // The naive baseline's year before each cut-off.
        for (const history of histories) {
          if (card.month >= history.cutoffMonth - 12 && card.month < history.cutoffMonth) {
            history.lastYear.exposure += exposure
            history.lastYear.redeemed += spent
          }
        }
      }
      if (card.spent > 0 || card.loads > 0) card.lastActive = card.month
      if (card.spent > 0) card.used = true
      card.balance += card.loads - card.spent
      card.loads = 0
      card.monthLoadCount = 0
      card.spent = 0
      card.month++
    }
  }
  const { onCard } = options
  /** The card as history `k` sees it at its cut-off: what `readRunoffHistory` records. */
  const finishCard = (k: number) => {
    if (!card) return
    const history = histories[k] as RunoffHistory
    const { cutoffMonth } = history
    onCard?.(k, card.id, card.totalSpent)
    history.loadedCents += card.totalLoaded
    history.redeemedCents += card.totalSpent
    closeMonths(cutoffMonth)
    if (card.balance > 0) {
      history.openCards.push({
        id: card.id,
        age: Math.min(MAX_AGE, cutoffMonth - card.issueMonth),
        // As the history counts it: months since the last month with activity.
        recency: Math.min(MAX_RECENCY, cutoffMonth - card.lastActive),
        balance: card.balance,
        reloaded: card.loadCount > 1,
        used: card.used,
        holiday: holidayIssue(card.issueMonth),
      })
    }
  }

  // Rows come as arrays (cheaper to read than objects), and card ids are numbered by an
  // Interner, which looks fresh row strings up 3-4x faster than a Map.
  const { adapter } = database
  // The cards' issue months first, in one pass in storage order (walking the id index instead
  // visits the table at random: 3 s at 1M cards against under 1).
  const cardNumbers = new Interner()
  const issueMonths = new IntColumn()
  const stores = pilotStores ? [...pilotStores, ''] : []
  await adapter.scan<[string, string]>(
    {
      sql: `select id, issued_at from ${adapter.fullScan('gift_cards')}${
        pilotStores
          ? ` where issuing_location_id in (${stores.map((_, i) => adapter.placeholder(i + 1)).join(', ')})`
          : ''
      }`,
      parameters: stores,
      arrays: true,
    },
    (rows) => {
      for (const [id, issuedAt] of rows)
        issueMonths.set(cardNumbers.number(id), monthIndexOfIso(issuedAt))
    },
    PAGE,
  )
  // Then the ledger card by card through the card index, which carries each row's amount and
  // result: the index alone is read, in card order, with nothing to sort (sorting the table per
  // card and month took twice as long at 1M cards). Each card's moves come as one text,
  // 'YYYY-MM amount' joined by commas, read into `moves` (month, amount) and summed per month.
  const moves = new MoveBuffer()
  await adapter.scan<[string, string]>(
    cardMovesQuery(adapter, new Date(lastCutoffMs).toISOString()),
    (rows) => {
      for (const [cardId, text] of rows) {
        const number = cardNumbers.peek(cardId)
        if (number === undefined) {
          // A card outside the pilot's stores is not part of this ledger.
          if (pilotStores) continue
          throw new Error(`card ${cardId} of the ledger is not among the cards`)
        }
        const issueMonth = Math.max(firstMonth, issueMonths.get(number))
        card = {
          id: cardId,
          issueMonth,
          balance: 0,
          month: issueMonth,
          loads: 0,
          spent: 0,
          lastActive: issueMonth,
          loadCount: 0,
          monthLoadCount: 0,
          used: false,
          totalLoaded: 0,
          totalSpent: 0,
        }
        moves.read(text)
        // In card and time order from SQLite's index already; PostgreSQL joins in any order.
        const order = moves.monthOrder()
        // The next earlier cut-off the replay has not passed yet, and whether this card had
        // moves before it (a card with none is not in that history, as the query would omit it).
        let next = 0
        let counted = false
        for (let j = 0; j < order.length; ) {
          const month = moves.month(order[j] as number)
          while (next < last && month >= (cutoffMonths[next] as number)) {
            if (counted) finishCard(next)
            next++
          }
          let loads = 0
          let loadCount = 0
          let spent = 0
          for (; j < order.length && moves.month(order[j] as number) === month; j++) {
            const amount = moves.amount(order[j] as number)
            if (amount > 0) {
              loads += amount
              loadCount++
            } else spent -= amount
          }
          // A move dated before the card's issue is counted in its issue month.
          closeMonths(Math.max(month, issueMonth))
          card.loads += loads
          card.loadCount += loadCount
          card.monthLoadCount += loadCount
          card.spent += spent
          card.totalLoaded += loads
          card.totalSpent += spent
          counted = true
        }
        for (; next <= last; next++) finishCard(next)
      }
    },
    PAGE,
  )
  // Each history is its own segment plus every segment before it.
  for (let k = 1; k <= last; k++) {
    const before = histories[k - 1] as RunoffHistory
    const history = histories[k] as RunoffHistory
    for (const key of [
      'exposure',
      'activeExposure',
      'redeemed',
      'leftSmall',
      'leftTotal',
    ] as const) {
      const into = history[key]
      const from = before[key]
      for (let i = 0; i < from.length; i++) into[i] = (into[i] as number) + (from[i] as number)
    }
  }
  return histories
}

/** One card's moves: month index and amount side by side, grown as needed. */
class MoveBuffer {
  private months = new Int32Array(64)
  private amounts = new Float64Array(64)
  private length = 0
  private order: number[] = []

  /** Reads 'YYYY-MM amount,…' (replacing what was held). */
  read(text: string): void {
    this.length = 0
    forEachMove(text, (month, amount) => {
      if (this.length === this.months.length) {
        const months = new Int32Array(this.length * 2)
        months.set(this.months)
        this.months = months
        const amounts = new Float64Array(this.length * 2)
        amounts.set(this.amounts)
        this.amounts = amounts
      }
      this.months[this.length] = month
      this.amounts[this.length++] = amount
    })
  }

  month(i: number): number {
    return this.months[i] as number
  }

  amount(i: number): number {
    return this.amounts[i] as number
  }

  /** The moves' indexes in month order (the order held when it is already ascending). */
  monthOrder(): readonly number[] {
    const order = this.order
    order.length = this.length
    let ascending = true
    for (let i = 0; i < this.length; i++) {
      order[i] = i
      if (i > 0 && (this.months[i] as number) < (this.months[i - 1] as number)) ascending = false
    }
    if (!ascending) order.sort((a, b) => (this.months[a] as number) - (this.months[b] as number))
    return order
  }
}

/** The first instant of the month that contains `ms` (UTC). */
function monthStart(ms: number): number {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

/**
 * Each card's money moves before `cutoff` (ISO), one row per card: its id and its moves as
 * 'YYYY-MM amount' joined by commas. On SQLite it reads the card index alone (it carries the
 * amount and the result), in card order.
 */
export function cardMovesQuery(
  adapter: Database['adapter'],
  cutoff: string,
): { sql: string; parameters: unknown[]; arrays: true } {
  return {
    sql: `select card_id, ${adapter.joinText(`substr(occurred_at, 1, 7) || ' ' || amount_cents`, ',')}
      from ${adapter.byIndex('gift_card_transactions', 'gift_card_transactions_card_idx')}
      where occurred_at < ${adapter.placeholder(1)} and result = 'ok' and amount_cents <> 0
        and card_id is not null
      group by card_id`,
    parameters: [cutoff],
    arrays: true,
  }
}

/**
 * Calls `visit` with the month index and amount of each 'YYYY-MM amount' entry of `moves`, read
 * digit by digit (tens of millions of entries: no substrings).
 */
function forEachMove(moves: string, visit: (month: number, amount: number) => void): void {
  const length = moves.length
  let i = 0
  while (i < length) {
    const start = i
    let year = 0
    for (let d = 0; d < 4; d++) year = year * 10 + digitAt(moves, i++, start)
    if (moves.charCodeAt(i++) !== 45) throw unreadable(moves, start)
    const month = digitAt(moves, i++, start) * 10 + digitAt(moves, i++, start)
    if (moves.charCodeAt(i++) !== 32 || month < 1 || month > 12) throw unreadable(moves, start)
    const negative = moves.charCodeAt(i) === 45
    if (negative) i++
    let amount = digitAt(moves, i++, start)
    while (i < length && moves.charCodeAt(i) !== 44)
      amount = amount * 10 + digitAt(moves, i++, start)
    visit(year * 12 + month - 1, negative ? -amount : amount)
    i++ // the comma
  }
}

function digitAt(text: string, i: number, entry: number): number {
  const digit = text.charCodeAt(i) - 48
  if (digit >= 0 && digit <= 9) return digit
  throw unreadable(text, entry)
}

function unreadable(moves: string, at: number): Error {
  const end = moves.indexOf(',', at)
  return new Error(`unreadable ledger moves "${moves.slice(at, end < 0 ? undefined : end)}"`)
}
