import { GiftCardError } from './errors.ts'

/**
 * Money is integer cents end to end; these helpers convert at the edges only.
 */

/** Formats integer cents for a person: `formatCents(123456)` → `$1,234.56`. */
export function formatCents(cents: number, currency = 'USD'): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100)
}

/** Integer cents as a plain major-unit amount for an API: `centsToMajor(123456)` → `"1234.56"`. */
export function centsToMajor(cents: number): string {
  const abs = Math.abs(cents)
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

const MAJOR_AMOUNT = /^(-)?(\d+)(?:\.(\d{1,2}))?$/

/**
 * Parses a major-unit amount (`"12.5"`, `12.34`, `"-3"`) into integer cents without floating
 * point drift. Throws INVALID_INPUT for anything with more than two decimals or not a number.
 */
export function majorToCents(amount: string | number): number {
  const text = typeof amount === 'number' ? amountNumberToText(amount) : amount.trim()
  const match = MAJOR_AMOUNT.exec(text)
  if (!match) {
    throw new GiftCardError(
      'INVALID_INPUT',
      `amount must be a number with at most two decimals, got ${JSON.stringify(amount)}`,
    )
  }
  const [, sign, whole, fraction = ''] = match
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'))
  if (!Number.isSafeInteger(cents)) {
    throw new GiftCardError('INVALID_INPUT', `amount ${JSON.stringify(amount)} is too large`)
  }
  return sign ? -cents : cents
}

function amountNumberToText(amount: number): string {
  if (!Number.isFinite(amount)) return String(amount)
  // Round to 10 decimals first so 0.1 + 0.2 style artefacts do not count as extra decimals.
  return String(Number(amount.toFixed(10)))
}
