import { z } from 'zod'
import { DAY_MS, toIso } from '../core/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { page } from './format.ts'

export const ALERT_STATUSES = ['open', 'confirmed', 'dismissed'] as const

export const listFraudAlerts = defineTool({
  name: 'list_fraud_alerts',
  title: 'List fraud alerts',
  description:
    'List fraud alerts from the detectors (highest score first): rule, score 0–1, card, status and when detected. Filter by status (default open), rule, issuing location, a time window (days back) and a minimum score. Use explain_fraud_alert for the evidence of one alert.',
  input: z.object({
    status: z.enum(ALERT_STATUSES).optional().describe('alert status; default open'),
    rule: z.string().optional().describe('only this rule, e.g. card_testing'),
    location: z.string().optional().describe('only cards issued at this location id'),
    days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('only alerts detected in the last N days'),
    minScore: z.number().min(0).max(1).optional().describe('smallest score'),
    limit: z.number().int().min(1).max(100).default(20).describe('alerts per page'),
    offset: z.number().int().min(0).default(0).describe('where the page starts'),
  }),
  access: 'read',
  roles: ALL_ROLES,
  run: async (ctx, input) => {
    let query = ctx.database.db
      .selectFrom('fraud_alerts as a')
      .innerJoin('gift_cards as c', 'c.id', 'a.card_id')
      .where('a.status', '=', input.status ?? 'open')
    if (input.rule) query = query.where('a.rule', '=', input.rule)
    if (input.location) query = query.where('c.issuing_location_id', '=', input.location)
    if (input.days)
      query = query.where('a.detected_at', '>=', toIso(Date.now() - input.days * DAY_MS))
    if (input.minScore !== undefined) query = query.where('a.score', '>=', input.minScore)
    const [rows, total, byRule] = await Promise.all([
      query
        .select([
          'a.id',
          'a.card_id',
          'a.rule',
          'a.score',
          'a.status',
          'a.detected_at',
          'c.issuing_location_id',
          'c.balance_cents',
        ])
        .orderBy('a.score', 'desc')
        .orderBy('a.id')
        .limit(input.limit)
        .offset(input.offset)
        .execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      query
        .select(['a.rule', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('a.rule')
        .execute(),
    ])
    return {
      status: input.status ?? 'open',
      byRule: Object.fromEntries(byRule.map((r) => [r.rule, Number(r.n)])),
      ...page(
        rows.map((r) => ({
          alertId: Number(r.id),
          cardId: r.card_id,
          rule: r.rule,
          score: r.score,
          status: r.status,
          detectedAt: r.detected_at,
          location: r.issuing_location_id,
          balanceCents: r.balance_cents,
        })),
        Number(total.n),
        input.offset,
      ),
    }
  },
})
