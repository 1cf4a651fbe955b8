import { describe, expect, it } from 'vitest'
import { behaviourOf, occasionOf, segmentPurchasers } from '../../analytics/index.ts'
import { DAY_MS, parseDate } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

const NOW = parseDate('2025-06-01')
const card = (
  partial: Partial<{
    orderSize: number
    selfUse: boolean
    holiday: boolean
    issuedAt: number
    valueCents: number
    firstUseDays: number | null
    redeemedCents: number
  }>,
) => ({
  orderSize: 1,
  selfUse: false,
  holiday: false,
  issuedAt: NOW - 200 * DAY_MS,
  valueCents: 5000,
  firstUseDays: null,
  redeemedCents: 0,
  ...partial,
})

describe('segment rules', () => {
  it('tells why a purchaser buys', () => {
    expect(occasionOf([card({ orderSize: 12 }), card({})])).toBe('corporate_bulk')
    expect(occasionOf([card({ selfUse: true })])).toBe('self_use')
    expect(occasionOf([card({ holiday: true }), card({ holiday: true }), card({})])).toBe(
      'holiday_gifter',
    )
    expect(occasionOf([card({ holiday: true }), card({})])).toBe('birthday_occasional')
  })

  it('tells how their cards get used', () => {
    expect(behaviourOf([card({ firstUseDays: 3, redeemedCents: 5000 })], NOW)).toBe('fast')
    expect(behaviourOf([card({ firstUseDays: 3, redeemedCents: 1000 })], NOW)).toBe('slow_partial')
    expect(behaviourOf([card({ firstUseDays: 70, redeemedCents: 5000 })], NOW)).toBe('slow_partial')
    expect(behaviourOf([card({})], NOW)).toBe('dormant')
    expect(behaviourOf([card({ issuedAt: NOW - 10 * DAY_MS })], NOW)).toBe('too_new')
  })
})

for (const dialect of DIALECTS) {
  describe(`segments of a seeded chain on ${dialect.name}`, () => {
    let database: Database
    useDatabase(
      dialect,
      async (opened) => {
        database = opened
        await seedChain(database, {
          cards: 3000,
          seed: 5,
          startMs: parseDate('2024-01-01'),
          months: 24,
        })
      },
      120_000,
    )

    it('agrees with the occasions the seed recorded for at least 80% of cards, and accounts for every card', async () => {
      const report = await segmentPurchasers(database, { asOf: '2026-01-01' })
      expect(report.occasionAccuracy?.agreement).toBeGreaterThanOrEqual(0.8)
      const cards = report.byOccasion.reduce((n, r) => n + r.cards, 0)
      expect(cards).toBe(report.occasionAccuracy?.cards)
      expect(report.byBehaviour.reduce((n, r) => n + r.cards, 0)).toBe(cards)
      const corporate = report.byOccasion.find((r) => r.segment === 'corporate_bulk')
      expect(corporate?.features.average_largestOrder).toBeGreaterThanOrEqual(5)
      const selfUse = report.byOccasion.find((r) => r.segment === 'self_use')
      expect(selfUse?.features.average_redeemedShare).toBeLessThanOrEqual(1)
      expect(await segmentPurchasers(database, { asOf: '2026-01-01' })).toEqual(report)
    })
  })
}
