import { describe, expect, it } from 'vitest'
import { isTooFarAhead, MAX_FUTURE_MS } from '../../core/index.ts'

/** What `isTooFarAhead` answered before its shortcut: every timestamp parsed. */
const parsed = (at: string, now: number) => Date.parse(at) - now > MAX_FUTURE_MS

const DAY = 24 * 3600 * 1000

describe('isTooFarAhead (core/card-event.ts)', () => {
  it('answers as parsing would, for timestamps near the limit, far before it, and odd text', () => {
    const now = Date.parse('2026-12-01T20:00:00.000Z')
    const texts = [
      '2024-01-01T12:33:17.383Z',
      '2024-01-01T12:33:17Z',
      '2024-02-28T24:00:00Z',
      '2024-02-31T00:00:00Z',
      '2024-13-01T00:00:00.000Z',
      '2024-00-10T00:00:00.000Z',
      '2024-01-01T99:00:00Z',
      '2024-01-01T00:00:00.000-23:59',
      '2024-01-01T00:00:00.000+23:59',
      '9999-12-31T00:00:00.000Z',
      '2026-11-28T19:59:59.999Z',
      '2026-11-29T00:00:00.000Z',
      'not a time',
      '',
    ]
    // Every hour from ten days before to ten days after now, in the forms imports carry.
    for (let ms = now - 10 * DAY; ms <= now + 10 * DAY; ms += 3600 * 1000 + 1) {
      const iso = new Date(ms).toISOString()
      texts.push(iso, `${iso.slice(0, 19)}Z`, `${iso.slice(0, 19)}+05:00`)
    }
    for (const at of texts) expect(isTooFarAhead(at, now), at).toBe(parsed(at, now))
    // Exactly at the limit and a millisecond past it.
    expect(isTooFarAhead(new Date(now + MAX_FUTURE_MS).toISOString(), now)).toBe(false)
    expect(isTooFarAhead(new Date(now + MAX_FUTURE_MS + 1).toISOString(), now)).toBe(true)
  })

  it('takes any clock, one out of Date range included, and a clock that moves between calls', () => {
    const at = '2024-01-01T00:00:00.000Z'
    for (const now of [Number.NaN, 8.64e15, -8.64e15, 0, Date.parse('2024-01-02T00:00:00Z')])
      expect(isTooFarAhead(at, now), String(now)).toBe(parsed(at, now))
    // The day limit is worked out again when the clock changes.
    expect(isTooFarAhead('2025-06-10T00:00:00.000Z', Date.parse('2025-06-01T00:00:00Z'))).toBe(true)
    expect(isTooFarAhead('2025-06-10T00:00:00.000Z', Date.parse('2025-06-20T00:00:00Z'))).toBe(
      false,
    )
  })
})
