import { type Kysely, sql } from 'kysely'
import type { TransactionType } from '../../core/index.ts'
import type { CardTransaction, DB } from '../schema.ts'
import { countAll, sumCents } from '../sql-helpers.ts'

export type TransactionSummaryRow = {
  type: TransactionType
  count: number
  /** Sum of signed amounts (redemptions negative). */
  amountCents: number
}

/**
 * Transactions by type between two ISO instants (`from` inclusive, `to` exclusive); with
 * `locations`, only those at these stores (a pilot's, docs/pilot.md).
 */
export async function transactionSummary(
  db: Kysely<DB>,
  range: { from?: string; to?: string; locations?: readonly string[] } = {},
): Promise<TransactionSummaryRow[]> {
  let query = db
    .selectFrom('gift_card_transactions')
    .select((eb) => [
      'type',
      countAll().as('count'),
      sumCents(eb.ref('amount_cents')).as('amountCents'),
    ])
    .where('result', '=', 'ok')
  if (range.from) query = query.where('occurred_at', '>=', range.from)
  if (range.to) query = query.where('occurred_at', '<', range.to)
  if (range.locations) query = query.where('location_id', 'in', [...range.locations, ''])
  return query.groupBy('type').orderBy('count', 'desc').orderBy('type').execute()
}

/**
 * The data watermark: the latest `occurred_at` in the ledger, or null when it is empty.
 * Forecasts and audit rows record it so a figure can be traced to the data it saw.
 */
export async function ledgerWatermark(db: Kysely<DB>): Promise<string | null> {
  const row = await db
    .selectFrom('gift_card_transactions')
    .select((eb) => eb.fn.max('occurred_at').as('at'))
    .executeTakeFirst()
  return row?.at ?? null
}

export type LedgerCounts = {
  cards: number
  transactions: number
  customers: number
  locations: number
  jurisdictions: number
}

/**
 * Row counts of the ledger's main tables; with `stores` (a pilot's, docs/pilot.md), those of
 * its stores: their cards, the transactions at them, the customers who bought their cards.
 */
export async function ledgerCounts(
  db: Kysely<DB>,
  stores?: readonly string[],
): Promise<LedgerCounts> {
  if (stores) return storeCounts(db, [...stores, ''])
  const [cards, transactions, customers, locations] = await Promise.all(
    (['gift_cards', 'gift_card_transactions', 'customers', 'locations'] as const).map(
      async (table) =>
        (await db.selectFrom(table).select(countAll().as('n')).executeTakeFirstOrThrow()).n,
    ),
  )
  const jurisdictions = await db
    .selectFrom('locations')
    .select((eb) => eb.fn.count<number>('jurisdiction').distinct().as('n'))
    .executeTakeFirstOrThrow()
  return {
    cards: cards ?? 0,
    transactions: transactions ?? 0,
    customers: customers ?? 0,
    locations: locations ?? 0,
    jurisdictions: Number(jurisdictions.n),
  }
}

async function storeCounts(db: Kysely<DB>, stores: readonly string[]): Promise<LedgerCounts> {
  const [cards, transactions, customers, places] = await Promise.all([
    db
      .selectFrom('gift_cards')
      .select(countAll().as('n'))
      .where('issuing_location_id', 'in', stores)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('gift_card_transactions')
      .select(countAll().as('n'))
      .where('location_id', 'in', stores)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('gift_cards')
      .select((eb) => eb.fn.count<number>('purchaser_customer_id').distinct().as('n'))
      .where('issuing_location_id', 'in', stores)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('locations')
      .select((eb) => [
        countAll().as('n'),
        eb.fn.count<number>('jurisdiction').distinct().as('jurisdictions'),
      ])
      .where('id', 'in', stores)
      .executeTakeFirstOrThrow(),
  ])
  return {
    cards: Number(cards.n),
    transactions: Number(transactions.n),
    customers: Number(customers.n),
    locations: Number(places.n),
    jurisdictions: Number(places.jurisdictions),
  }
}

/** The columns of a ledger transaction as writers supply them (the id is generated). */
export const LEDGER_COLUMNS = [
  'source',
  'event_id',
  'card_id',
  'type',
  'result',
  'amount_cents',
  'balance_after_cents',
  'currency',
  'occurred_at',
  'location_id',
  'terminal_id',
  'order_id',
  'customer_id',
  'employee_id',
] as const

/**
 * Transactions in time order (ties by id), a page at a time, from `from` (inclusive) to `to`
 * (exclusive). The keyset's plain `>=` bound lets the engine seek the time index on each page.
 */
export async function* transactionsInTimeOrder(
  db: Kysely<DB>,
  options: {
    from?: string
    to?: string
    okOnly?: boolean
    debitsOnly?: boolean
    pageSize?: number
  } = {},
): AsyncGenerator<CardTransaction[]> {
  const pageSize = options.pageSize ?? 20_000
  let after: { at: string; id: number } | undefined
  for (;;) {
    let query = db
      .selectFrom('gift_card_transactions')
      .selectAll()
      .orderBy('occurred_at')
      .orderBy('id')
      .limit(pageSize)
    if (options.from) query = query.where('occurred_at', '>=', options.from)
    if (options.to) query = query.where('occurred_at', '<', options.to)
    if (options.okOnly) query = query.where('result', '=', 'ok')
    if (options.debitsOnly) query = query.where('amount_cents', '<', 0)
    if (after) {
      const { at, id } = after
      query = query
        .where('occurred_at', '>=', at)
        .where(sql<boolean>`(occurred_at > ${at} or (occurred_at = ${at} and id > ${id}))`)
    }
    const rows = await query.execute()
    if (rows.length > 0) yield rows
    const last = rows.at(-1)
    if (!last || rows.length < pageSize) return
    after = { at: last.occurred_at, id: last.id }
  }
}
