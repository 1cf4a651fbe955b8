import { GiftCardError } from './errors.ts'

/**
 * Time is stored as UTC ISO 8601 text with milliseconds (`2025-01-31T23:59:59.000Z`), the one
 * fixed-width form that sorts the same as text and as time on every engine.
 */

export const DAY_MS = 86_400_000
export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000

/** Milliseconds since the epoch → the storage form. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString()
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/**
 * Parses `YYYY-MM-DD` (midnight UTC) or a full ISO timestamp into milliseconds.
 * Throws INVALID_INPUT naming the bad value.
 */
export function parseDate(text: string, what = 'date'): number {
  const ms = DATE_ONLY.test(text) ? Date.parse(`${text}T00:00:00.000Z`) : Date.parse(text)
  if (Number.isNaN(ms) || (DATE_ONLY.test(text) && toIso(ms).slice(0, 10) !== text)) {
    throw new GiftCardError(
      'INVALID_INPUT',
      `${what} must be YYYY-MM-DD or an ISO 8601 timestamp, got ${JSON.stringify(text)}`,
    )
  }
  return ms
}

/** Adds calendar months in UTC, keeping the day of month where it exists. */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms)
  return Date.UTC(
    d.getUTCFullYear(),
    d.getUTCMonth() + months,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  )
}

/** Midnight UTC of the first day of the month that contains `ms`. */
export function startOfMonth(ms: number): number {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

/** `YYYY-MM` of a timestamp (ms or ISO text). */
export function monthKey(at: number | string): string {
  return (typeof at === 'number' ? toIso(at) : at).slice(0, 7)
}
