import type { Kysely } from 'kysely'
import type { TransactionType } from '../../core/index.ts'
import type { DB } from '../schema.ts'
import { countAll, sumCents } from '../sql-helpers.ts'

export type TransactionSummaryRow = {
  type: TransactionType
  count: number
  /** Sum of signed amounts (redemptions negative). */
  amountCents: number
}

/** Transactions by type between two ISO instants (`from` inclusive, `to` exclusive). */
export async function transactionSummary(
  db: Kysely<DB>,
  range: { from?: string; to?: string } = {},
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

/** Row counts of the ledger's main tables. */
export async function ledgerCounts(db: Kysely<DB>): Promise<LedgerCounts> {
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
