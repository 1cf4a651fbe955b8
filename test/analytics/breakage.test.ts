import { describe, expect, it } from 'vitest'
import {
  backtestBreakage,
  fitRunoff,
  forecastBreakage,
  readRunoffHistory,
  runOff,
  startingMass,
  stateOf,
} from '../../analytics/index.ts'
import { parseDate } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { applyBatch } from '../../ingest/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/** Ten $100 cards sold in January 2025; five spent in full in February, five untouched. */
async function writeKnownLedger(database: Database): Promise<void> {
  const events = []
  for (let i = 0; i < 10; i++) {
    events.push({
      source: 'import' as const,
      eventId: `a${i}`,
      cardRef: `k${i}`,
      type: 'activate' as const,
      amountCents: 10000,
      currency: 'USD',
      occurredAt: `2025-01-1${i % 10}T12:00:00Z`,
    })
    if (i < 5)
      events.push({
        source: 'import' as const,
        eventId: `r${i}`,
        cardRef: `k${i}`,
        type: 'redeem' as const,
        amountCents: -10000,
        currency: 'USD',
        occurredAt: `2025-02-1${i}T12:00:00Z`,
      })
  }
  await applyBatch(database, { events, cards: [] })
}

for (const dialect of DIALECTS) {
  describe(`breakage on a hand-built ledger on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (opened) => {
      database = opened
      await writeKnownLedger(database)
    })

    it('reads exposure, activity and open balances exactly', async () => {
      const history = await readRunoffHistory(database, parseDate('2025-03-01'))
      expect(history.loadedCents).toBe(100_000)
      expect(history.redeemedCents).toBe(50_000)
      expect(
        history.openCards.map((c) => [c.id, c.balance, c.age, c.recency, c.reloaded]).sort(),
      ).toEqual([5, 6, 7, 8, 9].map((i) => [`k${i}`, 10_000, 2, 2, false]))
      const model = fitRunoff(history)
      // February: all $1,000 exposed at age 1, half of it used, and used balances spent in full.
      const february = stateOf(1, 1, false, false)
      expect(model.active[february]).toBeCloseTo(0.5, 10)
      expect(model.spent[february]).toBeCloseTo(1, 10)
      // The open cards (age 2, two months idle) were never seen: they borrow February's rates.
      const { monthly } = runOff(
        { ...model, season: new Float64Array(12).fill(1) },
        startingMass(history.openCards),
        history.cutoffMonth,
        2,
      )
      expect(monthly[0]).toBeCloseTo(25_000, 6)
      expect(monthly[1]).toBeCloseTo(12_500, 6)
    })

    it('stores each forecast with its model version and data watermark, intervals around the estimate', async () => {
      const forecast = await forecastBreakage(database, { asOf: '2025-03-15', horizonMonths: 3 })
      expect(forecast.asOf).toBe('2025-03-01T00:00:00.000Z')
      expect(forecast.outstandingCents).toBe(50_000)
      expect(forecast.dataWatermark).toBe('2025-02-14T12:00:00.000Z')
      for (const month of forecast.monthly) {
        expect(month.lowCents).toBeLessThanOrEqual(month.expectedCents + 1)
        expect(month.highCents).toBeGreaterThanOrEqual(month.expectedCents - 1)
      }
      // ASC 606: breakage is recognised in proportion to redemptions, never more than expected.
      const recognised = forecast.monthly.reduce((sum, m) => sum + m.breakageRecognisedCents, 0)
      expect(recognised).toBeLessThanOrEqual(
        forecast.outstandingBreakageCents + forecast.monthly.length,
      )
      const row = await database.db
        .selectFrom('forecasts')
        .selectAll()
        .where('id', '=', forecast.id as number)
        .executeTakeFirstOrThrow()
      expect(row).toMatchObject({
        kind: 'breakage',
        model_version: 'runoff-markov-v3',
        data_watermark: '2025-02-14T12:00:00.000Z',
      })
      expect(JSON.parse(row.params)).toMatchObject({
        asOf: '2025-03-01T00:00:00.000Z',
        horizonMonths: 3,
      })
    })
  })

  describe(`breakage backtest on a seeded chain on ${dialect.name}`, () => {
    let database: Database
    useDatabase(
      dialect,
      async (opened) => {
        database = opened
        await seedChain(database, {
          cards: 5000,
          seed: 7,
          startMs: parseDate('2023-01-01'),
          months: 36,
        })
      },
      120_000,
    )

    it('beats last year’s average rate by at least 50% WAPE, within a 25% WAPE floor', async () => {
      // Measured: WAPE 16.0% against the baseline's 61.4% (19.9% before the holiday flag).
      const backtest = await backtestBreakage(database, { asOf: '2025-01-01' })
      expect(backtest.model.wape).toBeLessThan(0.25)
      expect(backtest.wapeImprovement).toBeGreaterThanOrEqual(0.5)
      expect(backtest.model.breakage12Error).toBeLessThan(backtest.baseline.breakage12Error)
      expect(backtest.actualMonthlyCents.every((c) => c > 0)).toBe(true)
    })
  })
}
