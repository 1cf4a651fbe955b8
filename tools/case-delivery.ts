import { toIso } from '../core/index.ts'
import { checkpointWebhookSignature } from '../governance/index.ts'
import type { ToolContext } from './define-tool.ts'
import { buildFraudCase, caseMarkdown } from './fraud-case.ts'

/**
 * Posting a confirmed alert's case file to the retail ops platform (CASE_WEBHOOK_URL,
 * docs/fraud-cases.md). Confirming queues it (one row per alert in `case_deliveries`, so a
 * second confirmation queues nothing) and tries at once; a post that fails stays pending with
 * its error for `giftcards fraud case deliver`. Each post carries `Idempotency-Key:
 * giftcards-case-<alert id>`, so a retry after a lost answer is recognisable as the same case,
 * and is signed like the audit checkpoints (`x-giftcards-signature`, HMAC-SHA256 under
 * AUDIT_KEY).
 */

/** How long the platform may take to answer. */
const CASE_POST_TIMEOUT_MS = 5000

export type CaseDelivery =
  | { status: 'delivered'; alertId: number }
  | { status: 'pending'; alertId: number; error: string }
  | { status: 'already_delivered'; alertId: number }

/** Queues the case of a just-confirmed alert and posts it; nothing when no webhook is set. */
export async function deliverConfirmedCase(
  ctx: ToolContext,
  alertId: number,
): Promise<CaseDelivery | undefined> {
  if (!ctx.config.fraudCases.webhookUrl) return undefined
  await ctx.database.db
    .insertInto('case_deliveries')
    .values({ alert_id: alertId, status: 'pending', created_at: toIso(Date.now()) })
    .onConflict((oc) => oc.column('alert_id').doNothing())
    .execute()
  return deliverCase(ctx, alertId)
}

/** Posts every pending case (after a failure), oldest first. */
export async function deliverPendingCases(ctx: ToolContext): Promise<CaseDelivery[]> {
  const pending = await ctx.database.db
    .selectFrom('case_deliveries')
    .select('alert_id')
    .where('status', '=', 'pending')
    .orderBy('created_at')
    .execute()
  const results: CaseDelivery[] = []
  for (const row of pending) results.push(await deliverCase(ctx, Number(row.alert_id)))
  return results
}

async function deliverCase(ctx: ToolContext, alertId: number): Promise<CaseDelivery> {
  const url = ctx.config.fraudCases.webhookUrl
  const { db } = ctx.database
  const row = await db
    .selectFrom('case_deliveries')
    .select('status')
    .where('alert_id', '=', alertId)
    .executeTakeFirst()
  if (row?.status === 'delivered') return { status: 'already_delivered', alertId }
  if (!url) return { status: 'pending', alertId, error: 'CASE_WEBHOOK_URL is not set' }
  const file = await buildFraudCase(ctx, alertId)
  const body = JSON.stringify({ alertId, case: file, markdown: caseMarkdown(file) })
  let error: string | undefined
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': `giftcards-case-${alertId}`,
        'x-giftcards-signature': checkpointWebhookSignature(ctx.config.auditKey, body),
      },
      body,
      signal: AbortSignal.timeout(CASE_POST_TIMEOUT_MS),
    })
    await response.body?.cancel()
    if (!response.ok) error = `the case webhook answered HTTP ${response.status}`
  } catch (cause) {
    error = `the case webhook could not be reached: ${(cause as Error).message}`
  }
  await db
    .updateTable('case_deliveries')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      ...(error
        ? { last_error: error }
        : { status: 'delivered' as const, last_error: null, delivered_at: toIso(Date.now()) }),
    }))
    .where('alert_id', '=', alertId)
    .execute()
  return error ? { status: 'pending', alertId, error } : { status: 'delivered', alertId }
}
