import { z } from 'zod'
import { saveAlerts, scanLedger } from '../analytics/index.ts'
import { DAY_MS, parseDate, toIso } from '../core/index.ts'
import { chainCalendar } from './chain-calendar.ts'
import { defineTool, LOSS_PREVENTION } from './define-tool.ts'
import { locationArgument } from './locations.ts'
import { locationInScope, storesToKeep } from './pilot.ts'
import { locationEchoSchema } from './result-schemas.ts'

/** scan_for_fraud's result: the alerts in the window by rule, how many are new, and the top ones. */
export const scanForFraudOutput = z.object({
  since: z.string(),
  location: locationEchoSchema.optional(),
  alerts: z.number(),
  newAlerts: z.number(),
  byRule: z.record(z.string(), z.number()),
  top: z.array(
    z.object({
      cardId: z.string(),
      rule: z.string(),
      score: z.number(),
      reason: z.string(),
    }),
  ),
})
export type ScanForFraudResult = z.infer<typeof scanForFraudOutput>

export const scanForFraud = defineTool({
  name: 'scan_for_fraud',
  title: 'Scan the ledger for fraud',
  description:
    'Run every fraud detector (drain after activation, balance-check enumeration, bulk purchase, impossible travel, reload and drain, refund abuse) and the anomaly score over the ledger for a recent window and store any new alerts (one per card and rule). Returns counts by rule and the highest-scoring alerts, optionally only for cards issued at one location.',
  input: z.object({
    days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(30)
      .describe(
        'scan the last N days of transactions, today the last of them: from the start of that chain calendar day (events before it only inform the detectors)',
      ),
    location: locationArgument('only report alerts on cards issued at this store or city'),
    top: z.number().int().min(0).max(50).default(10).describe('how many alerts to list'),
  }),
  output: scanForFraudOutput,
  access: 'read',
  records: true,
  roles: LOSS_PREVENTION,
  // The detectors watch every event (an attack on a terminal spans cards); only alerts on cards
  // issued at pilot stores are reported and stored.
  pilot: 'scoped',
  run: async (ctx, input) => {
    // The last N days are calendar days of the chain, today the last of them (the planner's
    // "since nov 1" asks for the days from 1 November to today, inclusive).
    const calendar = await chainCalendar(ctx)
    const first = toIso(parseDate(calendar.today()) - (input.days - 1) * DAY_MS).slice(0, 10)
    const since = calendar.start(first)
    const location = await locationInScope(ctx, input.location)
    const stores = storesToKeep(ctx, location)
    // Progress: events read so far (the total is not known before the pass ends).
    let read = 0
    ctx.progress?.(0, undefined, 'reading the ledger in time order')
    let alerts = await scanLedger(ctx.database, {
      since,
      ...(ctx.progress
        ? {
            onProgress: (events: number) => {
              read = events
              ctx.progress?.(events, undefined, `${events} events read`)
            },
          }
        : {}),
    })
    if (stores) {
      const cards = new Set(
        (
          await ctx.database.db
            .selectFrom('gift_cards')
            .select('id')
            .where('issuing_location_id', 'in', [...stores, ''])
            .execute()
        ).map((c) => c.id),
      )
      alerts = alerts.filter((a) => cards.has(a.cardId))
    }
    ctx.progress?.(read + 1, undefined, `saving ${alerts.length} alerts`)
    const stored = await saveAlerts(ctx.database, alerts)
    const byRule: Record<string, number> = {}
    for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1
    return {
      since,
      ...(location ? { location: { query: location.query, stores: location.stores } } : {}),
      alerts: alerts.length,
      newAlerts: stored,
      byRule,
      top: [...alerts]
        .sort((a, b) => b.score - a.score)
        .slice(0, input.top)
        .map((a) => ({
          cardId: a.cardId,
          rule: a.rule,
          score: Number(a.score.toFixed(3)),
          reason: a.evidence.reason,
        })),
    }
  },
})
