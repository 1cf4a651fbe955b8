import { z } from 'zod'
import { DAY_MS, GiftCardError, MAX_OFFSET, toIso } from '../core/index.ts'
import { chainCalendar, ledgerUpTo } from './chain-calendar.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money, page } from './format.ts'
import { locationArgument, storeDirectory, storeView } from './locations.ts'
import { locationInScope, requireJurisdictions, storesToKeep } from './pilot.ts'
import { locationEchoSchema, moneySchema, pageShape, storeViewSchema } from './result-schemas.ts'

export const ALERT_STATUSES = ['open', 'confirmed', 'dismissed'] as const

/** The rules the detectors raise alerts under. */
export const ALERT_RULES = [
  'card_testing',
  'balance_check_enumeration',
  'drain_after_activation',
  'bulk_purchase',
  'impossible_travel',
  'reload_and_drain',
  'refund_abuse',
  'held_card_redemption',
  // A hold or release found the POS balance other than the ledger expected (docs/approvals.md).
  'pos_balance_mismatch',
] as const

/** One alert of the list. */
export const alertListItemSchema = z.object({
  alertId: z.number(),
  cardId: z.string(),
  rule: z.string(),
  score: z.number(),
  status: z.enum(ALERT_STATUSES),
  detectedAt: z.string(),
  store: storeViewSchema.nullable(),
  balance: moneySchema,
})
/** One row of `countBy`: a rule or an issuing store, and its alerts. */
export const alertCountSchema = z.object({
  key: z.string(),
  store: storeViewSchema.nullable().optional(),
  alerts: z.number(),
})

/**
 * list_fraud_alerts' result: a page of alerts or, with `countBy`, of counts (then `countBy` and
 * `alerts`, the number of alerts counted, are set).
 */
export const listFraudAlertsOutput = z.object({
  status: z.enum(ALERT_STATUSES),
  asOf: z.string(),
  ledgerUpTo: z.string().nullable(),
  since: z.string().optional(),
  timezone: z.string().optional(),
  location: locationEchoSchema.optional(),
  jurisdiction: z.string().optional(),
  byRule: z.record(z.string(), z.number()),
  countBy: z.enum(['location', 'rule']).optional(),
  alerts: z.number().optional(),
  ...pageShape(z.union([alertListItemSchema, alertCountSchema])),
})
export type ListFraudAlertsResult = z.infer<typeof listFraudAlertsOutput>

export const listFraudAlerts = defineTool({
  name: 'list_fraud_alerts',
  title: 'List fraud alerts',
  description:
    'List fraud alerts from the detectors (highest score first): rule, score 0–1, card, its issuing store, status and when detected. Filter by status (default open), rule, issuing store or city (location), the issuing store’s jurisdiction, a window (days back, or since a chain calendar day) and a minimum score. countBy location or rule returns counts instead of a list ("which store has the most alerts"). Use explain_fraud_alert for the evidence of one alert. Returns { status, asOf, ledgerUpTo, since?, byRule, total, items: [{ alertId, cardId, rule, score, status, detectedAt, store: { id, name, city, jurisdiction }, balance }] } or, with countBy, { countBy, total, counts: [{ key, store? , alerts }] }.',
  input: z.object({
    status: z.enum(ALERT_STATUSES).optional().describe('alert status; default open'),
    rule: z.enum(ALERT_RULES).optional().describe('only this rule, e.g. card_testing'),
    location: locationArgument('only cards issued at this store or city'),
    jurisdiction: z
      .string()
      .max(5)
      .regex(/^US-[A-Z]{2}$/, 'must look like US-NY')
      .optional()
      .describe('only cards issued at stores in this jurisdiction, e.g. US-NY'),
    days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('only alerts detected in the last N days'),
    since: z
      .string()
      .max(10)
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
      .optional()
      .describe('only alerts detected on or after this chain calendar day'),
    minScore: z.number().min(0).max(1).optional().describe('smallest score'),
    countBy: z
      .enum(['location', 'rule'])
      .optional()
      .describe('count alerts per issuing store or per rule instead of listing them'),
    limit: z.number().int().min(1).max(100).default(20).describe('alerts (or count rows) per page'),
    offset: z.number().int().min(0).max(MAX_OFFSET).default(0).describe('where the page starts'),
  }),
  output: listFraudAlertsOutput,
  access: 'read',
  roles: ALL_ROLES,
  // Only alerts on cards issued at pilot stores.
  pilot: 'scoped',
  run: async (ctx, input) => {
    if (input.days !== undefined && input.since !== undefined)
      throw new GiftCardError('INVALID_INPUT', 'give days or since, not both')
    requireJurisdictions(ctx, input.jurisdiction)
    const calendar = await chainCalendar(ctx)
    const location = await locationInScope(ctx, input.location)
    const stores = storesToKeep(ctx, location)
    const since = input.since
      ? calendar.start(input.since)
      : input.days
        ? toIso(Date.now() - input.days * DAY_MS)
        : undefined
    let query = ctx.database.db
      .selectFrom('fraud_alerts as a')
      .innerJoin('gift_cards as c', 'c.id', 'a.card_id')
      .where('a.status', '=', input.status ?? 'open')
    if (input.rule) query = query.where('a.rule', '=', input.rule)
    if (stores) query = query.where('c.issuing_location_id', 'in', [...stores, ''])
    if (input.jurisdiction) {
      const inState = [...(await storeDirectory(ctx.database)).values()]
        .filter((s) => s.jurisdiction === input.jurisdiction)
        .map((s) => s.id)
      // No store in that state: no alert can match (an empty IN list is not valid SQL; no id is '').
      query = query.where('c.issuing_location_id', 'in', inState.length ? inState : [''])
    }
    if (since) query = query.where('a.detected_at', '>=', since)
    if (input.minScore !== undefined) query = query.where('a.score', '>=', input.minScore)
    const [directory, upTo, byRule, total] = await Promise.all([
      storeDirectory(ctx.database),
      ledgerUpTo(ctx),
      query
        .select(['a.rule', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('a.rule')
        .execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ])
    const head = {
      status: input.status ?? 'open',
      asOf: calendar.today(),
      ledgerUpTo: upTo,
      ...(since
        ? { since: input.since ?? calendar.dayOf(since), timezone: calendar.timezone }
        : {}),
      ...(location ? { location: { query: location.query, stores: location.stores } } : {}),
      ...(input.jurisdiction ? { jurisdiction: input.jurisdiction } : {}),
      byRule: Object.fromEntries(byRule.map((r) => [r.rule, Number(r.n)])),
    }
    if (input.countBy) {
      const counts =
        input.countBy === 'rule'
          ? byRule.map((r) => ({ key: r.rule, alerts: Number(r.n) }))
          : (
              await query
                .select(['c.issuing_location_id as key', (eb) => eb.fn.countAll<number>().as('n')])
                .groupBy('c.issuing_location_id')
                .execute()
            ).map((r) => ({
              key: r.key ?? 'unknown',
              store: storeView(directory, r.key),
              alerts: Number(r.n),
            }))
      counts.sort((a, b) => b.alerts - a.alerts || a.key.localeCompare(b.key))
      return {
        ...head,
        countBy: input.countBy,
        ...page(
          counts.slice(input.offset, input.offset + input.limit),
          counts.length,
          input.offset,
        ),
        alerts: Number(total.n),
      }
    }
    const rows = await query
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
      .execute()
    return {
      ...head,
      ...page(
        rows.map((r) => ({
          alertId: Number(r.id),
          cardId: r.card_id,
          rule: r.rule,
          score: r.score,
          status: r.status,
          detectedAt: r.detected_at,
          store: storeView(directory, r.issuing_location_id),
          balance: money(Number(r.balance_cents)),
        })),
        Number(total.n),
        input.offset,
      ),
    }
  },
})
