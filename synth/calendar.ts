import type { Rng } from '../core/index.ts'
import { DAY_MS } from '../core/index.ts'
import type { Store } from './geography.ts'

/**
 * Relative card sales by month of year (January first). November and December carry about 35%
 * of a year's cards with multi-card holiday orders (the project's figure, docs/domain.md §1); May and June have the Mother's / Father's Day bumps.
 */
export const MONTH_WEIGHTS = [6.2, 6.0, 6.4, 6.4, 7.9, 7.2, 6.1, 6.2, 5.7, 6.2, 8.0, 14.3] as const

/** Sales grow this much a year, so later years are a little bigger. */
const YEARLY_GROWTH = 1.06

/** Draws the day (midnight UTC) a purchase happens, with seasonality and growth. */
export class SalesCalendar {
  private readonly monthStarts: number[] = []
  private readonly weights: number[] = []

  constructor(startMs: number, months: number) {
    const start = new Date(startMs)
    for (let m = 0; m < months; m++) {
      const monthStart = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + m, 1)
      this.monthStarts.push(monthStart)
      const monthOfYear = new Date(monthStart).getUTCMonth()
      this.weights.push((MONTH_WEIGHTS[monthOfYear] as number) * YEARLY_GROWTH ** (m / 12))
    }
  }

  /** Midnight UTC of a sale day. */
  saleDay(rng: Rng): number {
    const m = rng.weighted(this.weights)
    const monthStart = this.monthStarts[m] as number
    const d = new Date(monthStart)
    const days =
      new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).getTime() - monthStart
    const dayCount = Math.round(days / DAY_MS)
    const month = d.getUTCMonth()
    let day: number
    if (month === 11) {
      // December: builds up to the 24th, a trickle after Christmas.
      day = rng.chance(0.9)
        ? Math.min(23, Math.floor(24 * Math.sqrt(rng.next())))
        : rng.int(25, dayCount) - 1
    } else if (month === 10) {
      // November: Black Friday weekend and the run-up to it.
      day = rng.chance(0.35) ? rng.int(22, 29) : rng.int(0, dayCount - 1)
    } else {
      day = rng.int(0, dayCount - 1)
    }
    return monthStart + day * DAY_MS
  }

  /** Midnight UTC of Christmas Day in the season of `ms` (Dec 25 of that year). */
  static christmasOf(ms: number): number {
    return Date.UTC(new Date(ms).getUTCFullYear(), 11, 25)
  }
}

/** A time during store hours (09:00–21:00 local, busiest in the afternoon) on `dayMs`. */
export function storeTime(rng: Rng, dayMs: number, store: Store): number {
  const hour = 9 + Math.min(11.99, Math.max(0, rng.lognormal(6, 0.35) - 0.5))
  return Math.round(dayMs + (hour - store.utcOffsetHours) * 3_600_000 + rng.int(0, 59) * 1000)
}

/** A time for an online purchase on `dayMs`, mostly in the local evening of `home`. */
export function onlineTime(rng: Rng, dayMs: number, home: Store): number {
  const hour = rng.chance(0.7) ? rng.between(17, 23.5) : rng.between(7, 17)
  return Math.round(dayMs + (hour - home.utcOffsetHours) * 3_600_000)
}
