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
const pool = (s: RecognitionSchedule, location: string, state: string) =>
  s.pools.find((p) => p.locationId === location && p.jurisdiction === state)

for (const dialect of DIALECTS) {
  describe(`the October 2026 close of a hand-built ledger on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (d) => {
      database = d
      await writeHandLedger(d)
    })

    it('recognises breakage in proportion to redemptions, escheat-bound pools none', async () => {
      const s = await recognitionSchedule(database, { month: '2026-10', estimator: revised })
      // loc_a/US-FL (c1, c2). Oct 1: O = 6000 + 10000 = 16000, D = 4000, E = 20% = 3200,
      // expected lifetime redemptions D + O − E = 16800, S₀ = 3200 × 4000 / 16800 = 761.9 → 762.
      // Nov 1: O = 15000, D = 5000, E = 25% = 3750, lifetime 16250, S₁ = 3750 × 5000 / 16250
      // = 1153.8 → 1154. October's 1000 redeemed at last month's estimate: 1000 × 3200 / 16800
      // = 190.5 → 190. True-up: 1154 − 762 − 190 = 202.
      expect(pool(s, 'loc_a', 'US-FL')).toMatchObject({
        treatment: 'breakage',
        locationName: 'Albany',
        opening: {
          outstandingCents: 16000,
          expectedUnredeemedCents: 3200,
          redeemedToDateCents: 4000,
          recognisedToDateCents: 762,
        },
        closing: {
          outstandingCents: 15000,
          expectedUnredeemedCents: 3750,
          redeemedToDateCents: 5000,
          recognisedToDateCents: 1154,
        },
        redeemedInMonthCents: 1000,
        breakageRecognisedCents: 190,
        trueUpCents: 202,
        escheatReclassCents: 0,
      })
      // loc_b/US-FL (c3; c4 issued in October). Oct 1: O = 5000, D = 0, E = 1000, S₀ = 0.
      // Nov 1: O = 3000 + 10000, D = 2000, E = 3250, lifetime 11750, S₁ = 3250 × 2000 / 11750
      // = 553.2 → 553. Recognised 2000 × 1000 / 4000 = 500; true-up 553 − 0 − 500 = 53.
      expect(pool(s, 'loc_b', 'US-FL')).toMatchObject({
        opening: { outstandingCents: 5000, recognisedToDateCents: 0 },
        closing: {
          outstandingCents: 13000,
          expectedUnredeemedCents: 3250,
          recognisedToDateCents: 553,
        },
        breakageRecognisedCents: 500,
        trueUpCents: 53,
      })
      // loc_b/US-CA (c5, no expiry: California cannot claim it). O = 3000, D = 1000 both days;
      // S₀ = 600 × 1000 / 3400 = 176.5 → 176, S₁ = 750 × 1000 / 3250 = 230.8 → 231; nothing
      // redeemed, so the whole change is the true-up: 55.
      expect(pool(s, 'loc_b', 'US-CA')).toMatchObject({
        treatment: 'breakage',
        breakageRecognisedCents: 0,
        trueUpCents: 55,
        closing: { recognisedToDateCents: 231 },
      })
      // loc_a/US-NY (c6, c7): New York claims after 5 years; no breakage though c7 redeemed 500.
      // c6's deadline (2021-10-12 + 5 years) falls in October: 7000 reclassified.
      expect(pool(s, 'loc_a', 'US-NY')).toMatchObject({
        treatment: 'escheat',
        closing: {
          outstandingCents: 8500,
          expectedUnredeemedCents: 2125,
          recognisedToDateCents: 0,
        },
        redeemedInMonthCents: 500,
        breakageRecognisedCents: 0,
        trueUpCents: 0,
        escheatReclassCents: 7000,
        escheatReclassCards: 1,
      })
      // loc_b/US-DE (c8, c9: no owner, so the state of incorporation): c9's deadline is in
      // October (1200 reclassified); c8's was in September (due, reclassified then).
      expect(pool(s, 'loc_b', 'US-DE')).toMatchObject({
        treatment: 'escheat',
        escheatReclassCents: 1200,
        escheatReclassCards: 1,
        closing: { expectedUnredeemedCents: 925 },
      })
      expect(s.pools).toHaveLength(5)
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
        breakageRecognisedCents: 690,
        trueUpCents: 310,
        recognisedToDateCents: 1938,
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
          690,
          [
            ['gift_card_liability', 190, 0, 'loc_a'],
            ['breakage_revenue', 0, 190, 'loc_a'],
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
          // loc_a 202; loc_b 53 + 55 = 108.
          310,
          [
            ['gift_card_liability', 202, 0, 'loc_a'],
            ['breakage_revenue', 0, 202, 'loc_a'],
            ['gift_card_liability', 108, 0, 'loc_b'],
            ['breakage_revenue', 0, 108, 'loc_b'],
          ],
        ],
      ])
      const brk = 'Gift card breakage 2026-10 (ASC 606-10-55-48 proportional method)'
      const tru = 'Gift card breakage true-up 2026-10: change of estimate to date'
      expect(netsuiteCsv(journal, DEFAULT_JOURNAL_ACCOUNTS).split('\n')).toEqual([
        'External ID,Date,Account,Debit,Credit,Memo,Location',
        `GCJ-2026-10-BRK,10/31/2026,2400 Gift Card Liability,1.90,,${brk},Albany`,
        `GCJ-2026-10-BRK,10/31/2026,4050 Breakage Revenue,,1.90,${brk},Albany`,
        `GCJ-2026-10-BRK,10/31/2026,2400 Gift Card Liability,5.00,,${brk},Boca Raton`,
        `GCJ-2026-10-BRK,10/31/2026,4050 Breakage Revenue,,5.00,${brk},Boca Raton`,
        'GCJ-2026-10-ESC,10/31/2026,2400 Gift Card Liability,70.00,,US-NY unclaimed property: 1 card past deadline,Albany',
        'GCJ-2026-10-ESC,10/31/2026,2450 Unclaimed Property Payable,,70.00,US-NY unclaimed property: 1 card past deadline,Albany',
        'GCJ-2026-10-ESC,10/31/2026,2400 Gift Card Liability,12.00,,US-DE unclaimed property: 1 card past deadline,Boca Raton',
        'GCJ-2026-10-ESC,10/31/2026,2450 Unclaimed Property Payable,,12.00,US-DE unclaimed property: 1 card past deadline,Boca Raton',
        `GCJ-2026-10-TRU,10/31/2026,2400 Gift Card Liability,2.02,,${tru},Albany`,
        `GCJ-2026-10-TRU,10/31/2026,4050 Breakage Revenue,,2.02,${tru},Albany`,
        `GCJ-2026-10-TRU,10/31/2026,2400 Gift Card Liability,1.08,,${tru},Boca Raton`,
        `GCJ-2026-10-TRU,10/31/2026,4050 Breakage Revenue,,1.08,${tru},Boca Raton`,
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
        `GCJ-2026-10-BRK,10/31/2026,Giftco US,2400 Gift Card Liability,1.90,,${brk},"'=HYPERLINK(""x"")"`,
      )
      expect(journalCsv(journal).split('\n')[1]).toBe(
        `GCJ-2026-10-BRK,2026-10-31,Gift Card Liability,gift_card_liability,1.90,,loc_a,Albany,${brk}`,
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
        groupOf: (id) => (['c6', 'c7'].includes(id) ? 'ny' : 'other'),
      })
      const ny = groups.groups?.find((g) => g.key === 'ny')
      expect(pool(s, 'loc_a', 'US-NY')?.closing.expectedUnredeemedCents).toBe(ny?.breakageCents)
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
