import { describe, expect, it } from 'vitest'
import { forecastBreakage, MODEL_VERSION } from '../../analytics/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import {
  buildJournal,
  DEFAULT_JOURNAL_ACCOUNTS,
  FORECAST_ESTIMATOR,
  fixedRateEstimator,
  journalCsv,
  netsuiteCsv,
  prepareJournal,
  type RecognitionSchedule,
  recognitionSchedule,
} from '../../finance/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { writeHandLedger } from './hand-ledger.ts'

const OCT_1 = Date.UTC(2026, 9, 1)
/** The estimate: 20% of the outstanding balance at the month start, 25% at its end (revised). */
const revised = fixedRateEstimator((asOf) => (asOf <= OCT_1 ? 0.2 : 0.25))
const pool = (s: RecognitionSchedule, location: string, state: string, cohort: string) =>
  s.pools.find((p) => p.locationId === location && p.jurisdiction === state && p.cohort === cohort)

for (const dialect of DIALECTS) {
  describe(`the October 2026 close of a hand-built ledger on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (d) => {
      database = d
      await writeHandLedger(d)
    })

    it('recognises breakage in proportion to redemptions, escheat-bound pools none', async () => {
      const s = await recognitionSchedule(database, { month: '2026-10', estimator: revised })
      // Pools are a store × the claimant state × the issue month. loc_a/US-FL/2025-01 (c1).
      // Oct 1: O = 6000, D = 4000, E = 20% = 1200, expected lifetime redemptions D + O − E =
      // 8800, S₀ = 1200 × 4000 / 8800 = 545.5 → 545. Nov 1: O = 5000, D = 5000, E = 25% =
      // 1250, lifetime 8750, S₁ = 1250 × 5000 / 8750 = 714.3 → 714. October's 1000 redeemed
      // at last month's estimate: 1000 × 1200 / 8800 = 136.4 → 136. True-up: 714 − 545 − 136 = 33.
      expect(pool(s, 'loc_a', 'US-FL', '2025-01')).toMatchObject({
        treatment: 'breakage',
        locationName: 'Albany',
        opening: {
          outstandingCents: 6000,
          expectedUnredeemedCents: 1200,
          redeemedToDateCents: 4000,
          recognisedToDateCents: 545,
        },
        closing: {
          outstandingCents: 5000,
          expectedUnredeemedCents: 1250,
          redeemedToDateCents: 5000,
          recognisedToDateCents: 714,
        },
        redeemedInMonthCents: 1000,
        breakageRecognisedCents: 136,
        trueUpCents: 33,
        escheatReclassCents: 0,
      })
      // loc_a/US-FL/2026-02 (c2): never redeemed, so nothing is recognised whatever E is.
      expect(pool(s, 'loc_a', 'US-FL', '2026-02')).toMatchObject({
        closing: { expectedUnredeemedCents: 2500, recognisedToDateCents: 0 },
        breakageRecognisedCents: 0,
        trueUpCents: 0,
      })
      // loc_b/US-FL/2026-09 (c3). Oct 1: O = 5000, D = 0, E = 1000, S₀ = 0. Nov 1: O = 3000,
      // D = 2000, E = 750, lifetime 4250, S₁ = 750 × 2000 / 4250 = 352.9 → 353. Recognised
      // 2000 × 1000 / 4000 = 500; true-up 353 − 0 − 500 = −147.
      expect(pool(s, 'loc_b', 'US-FL', '2026-09')).toMatchObject({
        opening: { outstandingCents: 5000, recognisedToDateCents: 0 },
        closing: {
          outstandingCents: 3000,
          expectedUnredeemedCents: 750,
          recognisedToDateCents: 353,
        },
        breakageRecognisedCents: 500,
        trueUpCents: -147,
      })
      // loc_b/US-FL/2026-10 (c4, sold in October): its breakage waits for its own redemptions.
      expect(pool(s, 'loc_b', 'US-FL', '2026-10')).toMatchObject({
        opening: { outstandingCents: 0 },
        closing: {
          outstandingCents: 10000,
          expectedUnredeemedCents: 2500,
          recognisedToDateCents: 0,
        },
        breakageRecognisedCents: 0,
        trueUpCents: 0,
      })
      // loc_b/US-CA/2024-06 (c5, no expiry: California cannot claim it). O = 3000, D = 1000
      // both days; S₀ = 600 × 1000 / 3400 = 176.5 → 176, S₁ = 750 × 1000 / 3250 = 230.8 → 231;
      // nothing redeemed, so the whole change is the true-up: 55.
      expect(pool(s, 'loc_b', 'US-CA', '2024-06')).toMatchObject({
        treatment: 'breakage',
        breakageRecognisedCents: 0,
        trueUpCents: 55,
        closing: { recognisedToDateCents: 231 },
      })
      // loc_a/US-NY (c6, c7): New York claims after 5 years; no breakage though c7 redeemed 500.
      // c6's deadline (2021-10-12 + 5 years) falls in October: 7000 reclassified.
      expect(pool(s, 'loc_a', 'US-NY', '2021-10')).toMatchObject({
        treatment: 'escheat',
        closing: {
          outstandingCents: 7000,
          expectedUnredeemedCents: 1750,
          recognisedToDateCents: 0,
        },
        breakageRecognisedCents: 0,
        trueUpCents: 0,
        escheatReclassCents: 7000,
        escheatReclassCards: 1,
      })
      expect(pool(s, 'loc_a', 'US-NY', '2025-05')).toMatchObject({
        treatment: 'escheat',
        closing: { outstandingCents: 1500, expectedUnredeemedCents: 375 },
        redeemedInMonthCents: 500,
        breakageRecognisedCents: 0,
        trueUpCents: 0,
        escheatReclassCents: 0,
      })
      // loc_b/US-DE (c8, c9: no owner, so the state of incorporation): c9's deadline is in
      // October (1200 reclassified); c8's was in September (due, reclassified then).
      expect(pool(s, 'loc_b', 'US-DE', '2021-10')).toMatchObject({
        treatment: 'escheat',
        escheatReclassCents: 1200,
        escheatReclassCards: 1,
        closing: { expectedUnredeemedCents: 300 },
      })
      expect(pool(s, 'loc_b', 'US-DE', '2021-09')).toMatchObject({ escheatReclassCents: 0 })
      expect(s.pools).toHaveLength(9)
      expect(s.states).toEqual([
        {
          jurisdiction: 'US-DE',
          rule: 'reportable after 5 years of dormancy',
          reclassCents: 1200,
          reclassCards: 1,
          dueCents: 3700,
          dueCards: 2,
          expectedToEscheatCents: 925,
        },
        {
          jurisdiction: 'US-NY',
          rule: 'reportable after 5 years of inactivity, expiry or not',
          reclassCents: 7000,
          reclassCards: 1,
          dueCents: 7000,
          dueCards: 1,
          expectedToEscheatCents: 2125,
        },
      ])
      expect(s.totals).toEqual({
        outstandingCents: 43200,
        breakageRecognisedCents: 636,
        trueUpCents: -59,
        recognisedToDateCents: 1298,
        escheatReclassCents: 8200,
        expectedToEscheatCents: 3050,
      })
      expect(s.method.estimator.name).toBe('fixed breakage rate by as-of date')
      expect(s.method.rules).toContainEqual({
        jurisdiction: 'US-CA',
        rule: 'not escheatable unless the card has an expiry date',
        treatment: 'breakage',
      })
      expect(s.method.rules).toContainEqual({
        jurisdiction: 'US-FL',
        rule: 'unredeemed gift certificates belong to the issuer',
        treatment: 'breakage',
      })
    })

    it('makes three balanced entries by store, and the NetSuite import file line by line', async () => {
      const s = await recognitionSchedule(database, { month: '2026-10', estimator: revised })
      const journal = buildJournal(s, DEFAULT_JOURNAL_ACCOUNTS)
      expect(
        journal.entries.map((e) => [
          e.externalId,
          e.date,
          e.totalCents,
          e.lines.map((l) => [l.role, l.debitCents, l.creditCents, l.locationId]),
        ]),
      ).toEqual([
        [
          'GCJ-2026-10-BRK',
          '2026-10-31',
          636,
          [
            ['gift_card_liability', 136, 0, 'loc_a'],
            ['breakage_revenue', 0, 136, 'loc_a'],
            ['gift_card_liability', 500, 0, 'loc_b'],
            ['breakage_revenue', 0, 500, 'loc_b'],
          ],
        ],
        [
          'GCJ-2026-10-ESC',
          '2026-10-31',
          8200,
          [
            ['gift_card_liability', 7000, 0, 'loc_a'],
            ['unclaimed_property_payable', 0, 7000, 'loc_a'],
            ['gift_card_liability', 1200, 0, 'loc_b'],
            ['unclaimed_property_payable', 0, 1200, 'loc_b'],
          ],
        ],
        [
          'GCJ-2026-10-TRU',
          '2026-10-31',
          // loc_a +33 (more recognised); loc_b −147 + 55 = −92 (reversed: Dr revenue, Cr liability).
          125,
          [
            ['gift_card_liability', 33, 0, 'loc_a'],
            ['breakage_revenue', 0, 33, 'loc_a'],
            ['gift_card_liability', 0, 92, 'loc_b'],
            ['breakage_revenue', 92, 0, 'loc_b'],
          ],
        ],
      ])
      const brk = 'Gift card breakage 2026-10 (ASC 606-10-55-48 proportional method)'
      const tru = 'Gift card breakage true-up 2026-10: change of estimate to date'
      expect(netsuiteCsv(journal, DEFAULT_JOURNAL_ACCOUNTS).split('\n')).toEqual([
        'External ID,Date,Account,Debit,Credit,Memo,Location',
        `GCJ-2026-10-BRK,10/31/2026,2400 Gift Card Liability,1.36,,${brk},Albany`,
        `GCJ-2026-10-BRK,10/31/2026,4050 Breakage Revenue,,1.36,${brk},Albany`,
        `GCJ-2026-10-BRK,10/31/2026,2400 Gift Card Liability,5.00,,${brk},Boca Raton`,
        `GCJ-2026-10-BRK,10/31/2026,4050 Breakage Revenue,,5.00,${brk},Boca Raton`,
        'GCJ-2026-10-ESC,10/31/2026,2400 Gift Card Liability,70.00,,US-NY unclaimed property: 1 card past deadline,Albany',
        'GCJ-2026-10-ESC,10/31/2026,2450 Unclaimed Property Payable,,70.00,US-NY unclaimed property: 1 card past deadline,Albany',
        'GCJ-2026-10-ESC,10/31/2026,2400 Gift Card Liability,12.00,,US-DE unclaimed property: 1 card past deadline,Boca Raton',
        'GCJ-2026-10-ESC,10/31/2026,2450 Unclaimed Property Payable,,12.00,US-DE unclaimed property: 1 card past deadline,Boca Raton',
        `GCJ-2026-10-TRU,10/31/2026,2400 Gift Card Liability,0.33,,${tru},Albany`,
        `GCJ-2026-10-TRU,10/31/2026,4050 Breakage Revenue,,0.33,${tru},Albany`,
        `GCJ-2026-10-TRU,10/31/2026,2400 Gift Card Liability,,0.92,${tru},Boca Raton`,
        `GCJ-2026-10-TRU,10/31/2026,4050 Breakage Revenue,0.92,,${tru},Boca Raton`,
        '',
      ])
      // A subsidiary (OneWorld) and a mapped store name; a hostile store name stays text.
      const accounts = {
        ...DEFAULT_JOURNAL_ACCOUNTS,
        subsidiary: 'Giftco US',
        locations: { loc_a: { netsuite: '=HYPERLINK("x")' } },
      }
      const mapped = netsuiteCsv(journal, accounts).split('\n')
      expect(mapped[0]).toBe('External ID,Date,Subsidiary,Account,Debit,Credit,Memo,Location')
      expect(mapped[1]).toBe(
        `GCJ-2026-10-BRK,10/31/2026,Giftco US,2400 Gift Card Liability,1.36,,${brk},"'=HYPERLINK(""x"")"`,
      )
      expect(journalCsv(journal).split('\n')[1]).toBe(
        `GCJ-2026-10-BRK,2026-10-31,Gift Card Liability,gift_card_liability,1.36,,loc_a,Albany,${brk}`,
      )
    })

    it('with the fitted forecast: states the model, recognises nothing on escheat-bound pools, balances', async () => {
      const s = await recognitionSchedule(database, {
        month: '2026-10',
        estimator: FORECAST_ESTIMATOR,
      })
      expect(s.method.estimator).toMatchObject({
        modelVersion: MODEL_VERSION,
        // The newest events before each as-of date.
        dataWatermarkOpening: '2026-09-20T12:00:00.000Z',
        dataWatermarkClosing: '2026-10-20T12:00:00.000Z',
      })
      // Each pool's E is the forecast's own run-off of that pool's cards.
      const groups = await forecastBreakage(database, {
        asOf: '2026-11-01T00:00:00.000Z',
        horizonMonths: 1,
        store: false,
        bootstrap: 0,
        groupOf: (id) => (id === 'c7' ? 'ny' : 'other'),
      })
      const ny = groups.groups?.find((g) => g.key === 'ny')
      expect(pool(s, 'loc_a', 'US-NY', '2025-05')?.closing.expectedUnredeemedCents).toBe(
        ny?.breakageCents,
      )
      for (const p of s.pools.filter((x) => x.treatment === 'escheat'))
        expect(p.breakageRecognisedCents + p.trueUpCents).toBe(0)
      const journal = buildJournal(s, DEFAULT_JOURNAL_ACCOUNTS)
      for (const e of journal.entries) {
        const debits = e.lines.reduce((sum, l) => sum + l.debitCents, 0)
        expect(e.lines.reduce((sum, l) => sum + l.creditCents, 0)).toBe(debits)
      }
      expect(journal.entries.find((e) => e.kind === 'escheat')?.totalCents).toBe(8200)
      // A read: no forecast row is stored.
      expect(await database.db.selectFrom('forecasts').selectAll().execute()).toEqual([])
    })

    it('refuses a month that has not ended and a malformed one, with the configured rules', async () => {
      await expect(
        recognitionSchedule(
          database,
          { month: '2026-10', estimator: revised },
          Date.UTC(2026, 9, 20),
        ),
      ).rejects.toThrow(/2026-10 has not ended yet/)
      await expect(recognitionSchedule(database, { month: '2026-13' })).rejects.toThrow(
        /month: must be YYYY-MM/,
      )
      // ISSUER_INCORPORATION_STATE=US-FL: the anonymous cards are Florida's, exempt, so breakage.
      const config = loadConfig({
        ISSUER_INCORPORATION_STATE: 'US-FL',
        JOURNAL_BREAKAGE_RATE: '0.2',
      })
      const { journal } = await prepareJournal(database, config, { month: '2026-10' })
      expect(journal.schedule.method.estimator.name).toBe('fixed breakage rate 0.2')
      expect(journal.schedule.states.map((x) => x.jurisdiction)).toEqual(['US-NY'])
      expect(journal.entries.find((e) => e.kind === 'escheat')?.totalCents).toBe(7000)
    })
  })
}
