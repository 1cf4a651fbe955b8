import { z } from 'zod'
import { MAX_ROW_ID } from '../core/index.ts'
import type { Actor } from '../governance/index.ts'
import { defineTool, LOSS_PREVENTION } from './define-tool.ts'
import { money } from './format.ts'
import { moneySchema } from './result-schemas.ts'

/**
 * Who reads the alerts the Slack alerts channel is sent (docs/slack.md#alerts): a system actor
 * with loss prevention's role, given in code rather than the roles table, since no person is
 * behind it. Its reads are audited under this id, via `slack`.
 */
export const SLACK_ALERTS_ACTOR: Actor = { id: 'system:slack-alerts', role: 'loss_prevention' }

/** alerts_to_post's result: the alerts past the cursor, oldest first, and the newest alert id. */
export const alertsToPostOutput = z.object({
  /** The newest alert id of the whole table (0: none): where a first start puts its cursor. */
  newestAlertId: z.number(),
  alerts: z.array(
    z.object({
      alertId: z.number(),
      cardId: z.string(),
      rule: z.string(),
      score: z.number(),
      /** The detector's reason, pseudonymised like every result. */
      reason: z.string().nullable(),
      balance: moneySchema,
    }),
  ),
})
export type AlertsToPostResult = z.infer<typeof alertsToPostOutput>

/**
 * `alerts_to_post`: the Slack face's read of new open alerts for its alerts channel, through the
 * executor like every read (role check, pilot scope, pseudonymiser, audit row). Not in the
 * registry (tools/registry.ts): no agent is offered it; the Slack face calls it through
 * `executor.including([alertsToPost])` as SLACK_ALERTS_ACTOR. Under a pilot only alerts on
 * cards issued at its stores come back (docs/pilot.md).
 */
export const alertsToPost = defineTool({
  name: 'alerts_to_post',
  title: 'New fraud alerts for the Slack alerts channel',
  description:
    'Open fraud alerts detected after a given alert id, at or above a score, oldest first, with the card, rule, score, reason and balance: what the Slack alerts channel posts.',
  input: z.object({
    afterAlertId: z.number().int().min(0).max(MAX_ROW_ID).describe('only alerts after this id'),
    minScore: z.number().min(0).max(1).describe('smallest score posted'),
    limit: z.number().int().min(1).max(100).default(50).describe('alerts per round'),
  }),
  output: alertsToPostOutput,
  access: 'read',
  roles: LOSS_PREVENTION,
  pilot: 'scoped',
  run: async (ctx, input) => {
    const { db } = ctx.database
    const newest = await db
      .selectFrom('fraud_alerts')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirstOrThrow()
    let query = db
      .selectFrom('fraud_alerts as a')
      .innerJoin('gift_cards as c', 'c.id', 'a.card_id')
      .select(['a.id', 'a.card_id', 'a.rule', 'a.score', 'a.evidence', 'c.balance_cents'])
      .where('a.id', '>', input.afterAlertId)
      .where('a.status', '=', 'open')
      .where('a.score', '>=', input.minScore)
    if (ctx.scope.pilot) query = query.where('c.issuing_location_id', 'in', ctx.scope.inList)
    const rows = await query.orderBy('a.id').limit(input.limit).execute()
    return {
      newestAlertId: Number(newest.id ?? 0),
      alerts: rows.map((r) => ({
        alertId: Number(r.id),
        cardId: r.card_id,
        rule: r.rule,
        score: r.score,
        reason: reasonOf(r.evidence),
        balance: money(Number(r.balance_cents)),
      })),
    }
  },
})

/** The detector's reason in an alert's evidence JSON; null when it has none. */
function reasonOf(evidence: string): string | null {
  try {
    const reason = (JSON.parse(evidence) as { reason?: unknown }).reason
    return typeof reason === 'string' ? reason.slice(0, 2000) : null
  } catch {
    return null
  }
}
