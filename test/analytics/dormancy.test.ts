import { describe, expect, it } from 'vitest'
import { backtestReactivation, findDormantCards } from '../../analytics/index.ts'
import { parseDate } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { applyBatch } from '../../ingest/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

for (const dialect of DIALECTS) {
  describe(`dormant cards on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (opened) => {
      database = opened
      const event = (
        id: string,
        card: string,
        type: 'activate' | 'redeem' | 'balance_check',
        amount: number,
        at: string,
      ) => ({
        source: 'import' as const,
        eventId: id,
        cardRef: card,
        type,
        amountCents: amount,
        currency: 'USD',
        occurredAt: at,
      })
      await applyBatch(database, {
        cards: [],
        events: [
          event('1', 'idle-long', 'activate', 5000, '2024-01-10T10:00:00Z'),
          event('2', 'idle-short', 'activate', 5000, '2025-03-01T10:00:00Z'),
          event('3', 'spent', 'activate', 5000, '2024-01-10T10:00:00Z'),
          event('4', 'spent', 'redeem', -5000, '2024-02-10T10:00:00Z'),
          event('5', 'checked', 'activate', 2500, '2024-06-01T10:00:00Z'),
          // A balance check is not activity: the card stays dormant.
          event('6', 'checked', 'balance_check', 0, '2025-04-20T10:00:00Z'),
        ],
      })
    })

    it('lists cards with a balance and no load or spend for the period, with a likelihood and its features', async () => {
      const report = await findDormantCards(database, { asOf: '2025-05-01', minDays: 90 })
      expect(report.dormant.map((d) => d.cardId).sort()).toEqual(['checked', 'idle-long'])
      expect(report.balanceCents).toBe(7500)
      const long = report.dormant.find((d) => d.cardId === 'idle-long')
      expect(long?.daysInactive).toBe(476)
      for (const d of report.dormant) {
        expect(d.reactivation).toBeGreaterThanOrEqual(0)
        expect(d.reactivation).toBeLessThanOrEqual(1)
      }
      expect(
        (await findDormantCards(database, { asOf: '2025-05-01', minDays: 30 })).dormant
          .map((d) => d.cardId)
          .sort(),
      ).toEqual(['checked', 'idle-long', 'idle-short'])
    })
  })

  describe(`reactivation likelihood on a seeded chain on ${dialect.name}`, () => {
    let database: Database
    useDatabase(
      dialect,
      async (opened) => {
        database = opened
        await seedChain(database, {
          cards: 5000,
          seed: 13,
          startMs: parseDate('2023-01-01'),
          months: 36,
        })
      },
      120_000,
    )

    it('ranks the dormant cards that come back above those that do not (AUC ≥ 0.75)', async () => {
      const backtest = await backtestReactivation(database, { asOf: '2025-01-01' })
      expect(backtest.dormantCards).toBeGreaterThan(500)
      expect(backtest.reactivated).toBeGreaterThan(20)
      expect(backtest.auc).toBeGreaterThanOrEqual(0.75)
    })

    it('shows likelihoods that hold out of time: calibrated on earlier cut-offs, ECE ≤ 0.05', async () => {
      // Three cut-offs a season apart; each is judged on its own next 90 days, which the
      // calibration map (fitted on the cut-offs before it) never saw.
      for (const asOf of ['2025-01-01', '2025-04-01', '2025-09-01']) {
        const backtest = await backtestReactivation(database, { asOf })
        expect(backtest.calibration.method).toBe('isotonic')
        expect(backtest.calibration.cutoffs.every((c) => c < asOf)).toBe(true)
        expect(backtest.reliability.ece).toBeLessThanOrEqual(0.05)
        // Calibrating must not cost accuracy: Brier no worse than the raw chances' (a hair of
        // slack for the step function's rounding).
        expect(backtest.reliability.brier).toBeLessThanOrEqual(backtest.raw.brier + 0.002)
        expect(backtest.reliability.bins.reduce((n, b) => n + b.count, 0)).toBe(
          backtest.dormantCards,
        )
      }
    })

    it('gives each kind of card the rate its kind showed, whatever the raw model thought', async () => {
      const backtest = await backtestReactivation(database, { asOf: '2025-07-01' })
      expect(backtest.groups.map((g) => g.group)).toContain('unused|12+')
      for (const g of backtest.groups.filter((g) => g.count >= 100))
        expect(Math.abs(g.predicted - g.observed)).toBeLessThanOrEqual(0.1)
    })
  })
}
