import { z } from 'zod'
import { addMonths, parseDate, toIso } from '../../core/index.ts'
import { ledgerCounts, ledgerWatermark, liabilityAsOf, transactionSummary } from '../../db/index.ts'
import { defineReport, rolesOf } from './define-report.ts'

/**
 * `giftcards start`'s summary: counts, outstanding liability by jurisdiction and the last twelve
 * months of activity by type. "The last 12 months" end at the newest data, so an older demo
 * ledger still reads well.
 */
export const cliLedgerSummary = defineReport({
  name: 'cli_ledger_summary',
  title: 'Ledger summary (giftcards start)',
  command: 'giftcards start',
  description:
    'Cards, transactions, customers and stores; outstanding liability by jurisdiction; a year of transactions by type.',
  input: z.object({}),
  roles: rolesOf('get_liability'),
  // Under a pilot: its stores' cards, the transactions at them and their liability.
  pilot: 'scoped',
  run: async (ctx) => {
    const { db } = ctx.database
    const stores = ctx.scope.pilot ? ctx.scope.locationIds : undefined
    const counts = await ledgerCounts(db, stores)
    const watermark = await ledgerWatermark(db)
    const byJurisdiction = await liabilityAsOf(db, {
      groupBy: 'jurisdiction',
      ...(stores ? { locations: stores } : {}),
    })
    const now = Date.now()
    const end = Math.min(now, watermark ? parseDate(watermark) + 1 : now)
    const from = addMonths(end, -12)
    const activity = await transactionSummary(db, {
      from: toIso(from),
      to: toIso(end),
      ...(stores ? { locations: stores } : {}),
    })
    return {
      ledger: ctx.database.describe,
      counts,
      watermark,
      byJurisdiction,
      activity: { from: toIso(from), to: toIso(end), rows: activity },
    }
  },
})
