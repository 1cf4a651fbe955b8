import {
  chainDayOf,
  chainDayStart,
  DEFAULT_CHAIN_TIMEZONE,
  nextDay,
  parseDate,
  toIso,
} from '../core/index.ts'
import { ledgerWatermark } from '../db/index.ts'
import type { ToolContext } from './define-tool.ts'

/**
 * The chain's timezone: CHAIN_TIMEZONE when set, else the timezone most of its stores keep
 * (ties: the first by name), else America/New_York.
 */
export async function chainTimezone(
  ctx: Pick<ToolContext, 'config' | 'database'>,
): Promise<string> {
  if (ctx.config.chain.timezone) return ctx.config.chain.timezone
  const rows = await ctx.database.db
    .selectFrom('locations')
    .select(['timezone', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('timezone')
    .execute()
  rows.sort((a, b) => Number(b.n) - Number(a.n) || a.timezone.localeCompare(b.timezone))
  return rows[0]?.timezone ?? DEFAULT_CHAIN_TIMEZONE
}

/** The chain's calendar for one call: days typed by people turned into UTC instants. */
export type ChainCalendar = {
  timezone: string
  /** ISO instant at which the chain day `YYYY-MM-DD` begins. */
  start(day: string): string
  /** ISO instant at which the chain day ends (the next day's start, exclusive). */
  end(day: string): string
  /** The chain day (`YYYY-MM-DD`) of an instant. */
  dayOf(at: number | string): string
  /** Today on the chain's calendar. */
  today(): string
}

/** The chain calendar of the tool context. */
export async function chainCalendar(
  ctx: Pick<ToolContext, 'config' | 'database'>,
): Promise<ChainCalendar> {
  const timezone = await chainTimezone(ctx)
  return {
    timezone,
    start: (day) => toIso(chainDayStart(day, timezone)),
    end: (day) => toIso(chainDayStart(nextDay(day), timezone)),
    dayOf: (at) => chainDayOf(typeof at === 'number' ? at : parseDate(at), timezone),
    today: () => chainDayOf(Date.now(), timezone),
  }
}

/**
 * What an aggregate answer is as of: `ledgerUpTo` is the time of the latest transaction the
 * ledger holds (null when empty), so a reader knows how fresh the figures are.
 */
export async function ledgerUpTo(ctx: Pick<ToolContext, 'database'>): Promise<string | null> {
  return ledgerWatermark(ctx.database.db)
}
