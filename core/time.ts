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

/** The month before a day's (`YYYY-MM-DD` or `YYYY-MM`), as `YYYY-MM`: the month a close is for. */
export function monthBefore(day: string): string {
  return toIso(addMonths(Date.parse(`${day.slice(0, 7)}-01T00:00:00.000Z`), -1)).slice(0, 7)
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

/** The chain's timezone when neither CHAIN_TIMEZONE nor the stores name one. */
export const DEFAULT_CHAIN_TIMEZONE = 'America/New_York'

/** True when `zone` is an IANA timezone this runtime knows (`America/New_York`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

const wallFormats = new Map<string, Intl.DateTimeFormat>()

/** The wall clock of `zone` at instant `ms`, as `YYYY-MM-DDTHH:MM`. */
export function wallClock(ms: number, zone: string): string {
  let format = wallFormats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
    wallFormats.set(zone, format)
  }
  const part = (type: string) => format.formatToParts(ms).find((p) => p.type === type)?.value
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}`
}

/** Minutes `zone` is ahead of UTC at instant `ms` (New York in winter: -300). */
function offsetMinutes(ms: number, zone: string): number {
  const wall = wallClock(ms, zone)
  return Math.round((Date.parse(`${wall}:00.000Z`) - Math.floor(ms / 60_000) * 60_000) / 60_000)
}

/**
 * The UTC instant at which the chain's calendar day `day` (`YYYY-MM-DD`) begins in `zone`:
 * local midnight, or, where a DST change skips midnight, the first instant of that day. Every
 * date a person types (since, asOf, idleSince) is a day of the chain's calendar, not of UTC.
 */
export function chainDayStart(day: string, zone: string): number {
  if (!DATE_ONLY.test(day))
    throw new GiftCardError('INVALID_INPUT', `a day must be YYYY-MM-DD, got ${JSON.stringify(day)}`)
  const utcMidnight = parseDate(day)
  // The offsets either side of the day: midnight has one of them (both, away from a DST change).
  const candidates = [
    utcMidnight - offsetMinutes(utcMidnight - DAY_MS, zone) * MINUTE_MS,
    utcMidnight - offsetMinutes(utcMidnight + DAY_MS, zone) * MINUTE_MS,
  ]
  const exact = candidates.filter((t) => wallClock(t, zone) === `${day}T00:00`)
  if (exact.length > 0) return Math.min(...exact)
  // Midnight did not happen that day (clocks jumped from 23:59 to 01:00): the day began at the jump.
  return Math.min(...candidates.filter((t) => wallClock(t, zone).startsWith(day)))
}

/** The day after `day` (`YYYY-MM-DD`), on the calendar. */
export function nextDay(day: string): string {
  return toIso(parseDate(day) + DAY_MS).slice(0, 10)
}

/** The chain's calendar day (`YYYY-MM-DD`) that contains instant `ms` in `zone`. */
export function chainDayOf(ms: number, zone: string): string {
  return wallClock(ms, zone).slice(0, 10)
}
