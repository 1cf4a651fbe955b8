import { describe, expect, it } from 'vitest'
import {
  addMonths,
  formatCents,
  majorToCents,
  monthBefore,
  monthKey,
  parseDate,
  toIso,
} from '../../core/index.ts'

describe('money', () => {
  it('formats cents for people', () => {
    expect(formatCents(123456)).toBe('$1,234.56')
    expect(formatCents(-500)).toBe('-$5.00')
    expect(formatCents(0)).toBe('$0.00')
  })

  it('parses major units exactly, without float drift', () => {
    expect(majorToCents('12.34')).toBe(1234)
    expect(majorToCents('12.3')).toBe(1230)
    expect(majorToCents(19.99)).toBe(1999)
    expect(majorToCents(0.1 + 0.2)).toBe(30)
    expect(majorToCents('-3')).toBe(-300)
    expect(() => majorToCents('1.234')).toThrow(/at most two decimals/)
    expect(() => majorToCents('ten')).toThrow(/at most two decimals/)
  })
})

describe('time', () => {
  it('parses dates strictly and stores fixed-width ISO text', () => {
    expect(toIso(parseDate('2025-03-01'))).toBe('2025-03-01T00:00:00.000Z')
    expect(toIso(parseDate('2025-03-01T10:00:00+02:00'))).toBe('2025-03-01T08:00:00.000Z')
    expect(() => parseDate('2025-02-30')).toThrow(/YYYY-MM-DD/)
    expect(() => parseDate('yesterday')).toThrow(/YYYY-MM-DD/)
  })

  it('adds calendar months in UTC', () => {
    expect(toIso(addMonths(parseDate('2025-01-15'), 1))).toBe('2025-02-15T00:00:00.000Z')
    expect(toIso(addMonths(parseDate('2025-11-01'), -24))).toBe('2023-11-01T00:00:00.000Z')
    // The month a close is for: across a year end, and from the 31st.
    expect(monthBefore('2026-01-15')).toBe('2025-12')
    expect(monthBefore('2026-03-31')).toBe('2026-02')
    expect(monthBefore('2026-12')).toBe('2026-11')
    expect(monthKey('2025-07-09T00:00:00.000Z')).toBe('2025-07')
  })
})
