import { z } from 'zod'
import {
  DEFAULT_MAX_EVENT_CENTS,
  GiftCardError,
  isTooFarAhead,
  MAX_POS_ID_CHARS,
  majorToCents,
} from '../core/index.ts'
import { type CsvRecord, readCsv } from './csv.ts'

/**
 * A balances file for `giftcards reconcile` (docs/reconciliation.md): what a POS reports each
 * card holds, one CSV row per card. The header names the card by `card_id` (the ledger's id)
 * and/or `gan_last4`, the balance by `balance_cents` (integer cents) or `balance` (major units,
 * at most two decimals), and optionally `as_of` (an ISO 8601 instant the balance was read at;
 * empty: now). Read with the import's CSV reader (quotes, CRLF, byte-order mark, 1 MiB lines).
 */

export const BALANCE_COLUMNS = [
  'card_id',
  'gan_last4',
  'balance_cents',
  'balance',
  'as_of',
] as const

/** One card's reported balance, with the line it is on. */
export type BalanceRow = {
  line: number
  cardId?: string
  last4?: string
  balanceCents: number
  /** When the POS read the balance; absent: compared with the ledger's balance now. */
  asOf?: string
}

export type BalanceRead = BalanceRow | { line: number; error: string }

const balanceRowSchema = z.object({
  card_id: z
    .string()
    .max(MAX_POS_ID_CHARS, `card_id is longer than ${MAX_POS_ID_CHARS} characters`)
    .optional(),
  gan_last4: z
    .string()
    .regex(/^\d{4}$/, 'gan_last4 must be the last four digits of the card number')
    .optional(),
  balance_cents: z
    .string()
    .regex(/^\d{1,12}$/, 'balance_cents must be a whole number of cents, not negative')
    .optional(),
  balance: z
    .string()
    .regex(
      /^\d{1,10}(?:\.\d{1,2})?$/,
      'balance must be an amount with at most two decimals, not negative',
    )
    .optional(),
  as_of: z.iso.datetime({ offset: true, error: 'as_of must be an ISO 8601 timestamp' }).optional(),
})

/** Whether a CSV header is a balances file's (it has a balance column and no `event_id`). */
export function isBalancesHeader(columns: readonly string[]): boolean {
  const names = columns.map((c) => c.trim().toLowerCase())
  return (
    !names.includes('event_id') && (names.includes('balance_cents') || names.includes('balance'))
  )
}

/** Reads a balances file's rows, validated, a chunk of the file at a time. */
export async function* readBalanceRows(
  stream: AsyncIterable<Buffer>,
  maxCents: number = DEFAULT_MAX_EVENT_CENTS,
): AsyncGenerator<BalanceRead[]> {
  let columns: string[] | undefined
  for await (const records of readCsv(stream)) {
    const rows: BalanceRead[] = []
    const now = Date.now()
    for (const record of records) {
      if (!columns) {
        if ('error' in record)
          throw new GiftCardError('INVALID_INPUT', `line ${record.line}: ${record.error}`)
        columns = balancesHeader(record.fields)
        continue
      }
      rows.push('error' in record ? record : balanceRow(columns, record, maxCents, now))
    }
    yield rows
  }
}

function balancesHeader(fields: string[]): string[] {
  const columns = fields.map((f) => f.trim().toLowerCase())
  const unknown = columns.filter((c) => !(BALANCE_COLUMNS as readonly string[]).includes(c))
  if (unknown.length > 0)
    throw new GiftCardError(
      'INVALID_INPUT',
      `the balances header has unknown columns: ${unknown.join(', ')} (it takes ${BALANCE_COLUMNS.join(', ')})`,
    )
  if (!columns.includes('card_id') && !columns.includes('gan_last4'))
    throw new GiftCardError('INVALID_INPUT', 'the balances header needs card_id or gan_last4')
  if (columns.includes('balance_cents') === columns.includes('balance'))
    throw new GiftCardError(
      'INVALID_INPUT',
      'the balances header needs one of balance_cents (cents) or balance (dollars), not both',
    )
  return columns
}

function balanceRow(
  columns: string[],
  { line, fields }: CsvRecord,
  maxCents: number,
  now: number,
): BalanceRead {
  if (fields.length > columns.length)
    return { line, error: `the row has ${fields.length} fields, the header ${columns.length}` }
  const values: Record<string, string> = {}
  for (let c = 0; c < fields.length; c++) {
    const value = (fields[c] as string).trim()
    if (value !== '') values[columns[c] as string] = value
  }
  const parsed = balanceRowSchema.safeParse(values)
  if (!parsed.success) return { line, error: parsed.error.issues.map((i) => i.message).join('; ') }
  const r = parsed.data
  if (!r.card_id && !r.gan_last4)
    return { line, error: 'the row names no card (card_id or gan_last4)' }
  const text = r.balance_cents ?? r.balance
  if (text === undefined) return { line, error: 'the row has no balance' }
  const cents = r.balance_cents !== undefined ? Number(text) : majorToCents(text)
  if (cents > maxCents)
    return {
      line,
      error: `the balance is over the limit of ${maxCents} cents a card may hold (MAX_EVENT_CENTS)`,
    }
  if (r.as_of && isTooFarAhead(r.as_of, now))
    return { line, error: 'as_of is more than a day in the future' }
  return {
    line,
    balanceCents: cents,
    ...(r.card_id ? { cardId: r.card_id } : {}),
    ...(r.gan_last4 ? { last4: r.gan_last4 } : {}),
    ...(r.as_of ? { asOf: new Date(r.as_of).toISOString() } : {}),
  }
}
