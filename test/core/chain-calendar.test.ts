import { describe, expect, it } from 'vitest'
import {
  chainDayOf,
  chainDayStart,
  GiftCardError,
  isTimeZone,
  loadConfig,
  nextDay,
} from '../../core/index.ts'

describe('the chain calendar', () => {
  it('turns a day into the UTC instant of local midnight', () => {
    expect(new Date(chainDayStart('2026-12-01', 'America/New_York')).toISOString()).toBe(
      '2026-12-01T05:00:00.000Z',
    )
    expect(new Date(chainDayStart('2026-07-04', 'America/New_York')).toISOString()).toBe(
      '2026-07-04T04:00:00.000Z',
    )
    expect(new Date(chainDayStart('2026-07-04', 'America/Los_Angeles')).toISOString()).toBe(
      '2026-07-04T07:00:00.000Z',
    )
    expect(new Date(chainDayStart('2026-07-04', 'UTC')).toISOString()).toBe(
      '2026-07-04T00:00:00.000Z',
    )
    expect(new Date(chainDayStart('2026-07-04', 'Asia/Kolkata')).toISOString()).toBe(
      '2026-07-03T18:30:00.000Z',
    )
  })

  it('gets the DST days right: the day clocks spring forward and the day they fall back', () => {
    // 2026-03-08: New York goes from EST (-5) to EDT (-4) at 02:00, after midnight.
    expect(new Date(chainDayStart('2026-03-08', 'America/New_York')).toISOString()).toBe(
      '2026-03-08T05:00:00.000Z',
    )
    expect(new Date(chainDayStart('2026-03-09', 'America/New_York')).toISOString()).toBe(
      '2026-03-09T04:00:00.000Z',
    )
    // A 23-hour day and a 25-hour day.
    expect(
      chainDayStart('2026-03-09', 'America/New_York') -
        chainDayStart('2026-03-08', 'America/New_York'),
    ).toBe(23 * 3_600_000)
    expect(
      chainDayStart('2026-11-02', 'America/New_York') -
        chainDayStart('2026-11-01', 'America/New_York'),
    ).toBe(25 * 3_600_000)
    expect(new Date(chainDayStart('2026-11-01', 'America/New_York')).toISOString()).toBe(
      '2026-11-01T04:00:00.000Z',
    )
  })

  it('starts a day whose midnight DST skipped at the jump', () => {
    // Havana springs forward at midnight: 2026-03-08 00:00 never happens, the day starts at 01:00 CDT.
    const start = chainDayStart('2026-03-08', 'America/Havana')
    expect(new Date(start).toISOString()).toBe('2026-03-08T05:00:00.000Z')
    expect(chainDayOf(start, 'America/Havana')).toBe('2026-03-08')
    expect(chainDayOf(start - 1, 'America/Havana')).toBe('2026-03-07')
  })

  it('names the chain day of an instant, and the next day', () => {
    expect(chainDayOf(Date.parse('2026-12-01T03:00:00.000Z'), 'America/New_York')).toBe(
      '2026-11-30',
    )
    expect(chainDayOf(Date.parse('2026-12-01T05:00:00.000Z'), 'America/New_York')).toBe(
      '2026-12-01',
    )
    expect(nextDay('2026-12-31')).toBe('2027-01-01')
    expect(nextDay('2028-02-28')).toBe('2028-02-29')
  })

  it('refuses a day that is not YYYY-MM-DD', () => {
    expect(() => chainDayStart('2026-02-30', 'UTC')).toThrow(GiftCardError)
    expect(() => chainDayStart('2026-12-01T00:00:00Z', 'UTC')).toThrow(/YYYY-MM-DD/)
  })

  it('reads CHAIN_TIMEZONE, refusing a zone that does not exist', () => {
    expect(isTimeZone('America/Chicago')).toBe(true)
    expect(isTimeZone('Mars/Olympus')).toBe(false)
    expect(loadConfig({ CHAIN_TIMEZONE: 'America/Chicago' }).chain.timezone).toBe('America/Chicago')
    expect(loadConfig({}).chain.timezone).toBeUndefined()
    expect(() => loadConfig({ CHAIN_TIMEZONE: 'Mars/Olympus' })).toThrow(/CHAIN_TIMEZONE/)
  })
})
