import { describeError, type Logger } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import type { Actor, Via } from '../governance/index.ts'
import type { Toolkit } from '../tools/index.ts'

/**
 * Alert → hold request (docs/fraud-cases.md §Hold requests from alerts): with
 * AUTO_HOLD_MIN_SCORE set, every open alert scoring at least that files a hold *request* on its
 * card through the executor and the approval service, never a hold: a manager decides it as any
 * other (four eyes, exactly once). The detector is the requester, and its reason is the alert's
 * own: rule, score and the detector's words. Once per card: a card the detector already asked
 * to hold (in any status, approved, rejected or expired) is never asked about again.
 */

/** The fraud detector as the requester of the hold requests it files. */
export const FRAUD_DETECTOR: Actor = { id: 'system:fraud-detector', role: 'loss_prevention' }

export type AutoHoldOutcome = {
  filed: { alertId: number; cardId: string; approvalId: number }[]
  /** Alerts at or above the threshold left alone: the detector asked already, or the tool said no. */
  skipped: { alertId: number; cardId: string; why: string }[]
}

/** The most requests one sweep files (a detector gone wrong must not flood the managers). */
const MAX_PER_SWEEP = 50

export async function fileAutoHoldRequests(
  services: { database: Database; toolkit: Toolkit; minScore: number | undefined },
  via: Via,
): Promise<AutoHoldOutcome> {
  const outcome: AutoHoldOutcome = { filed: [], skipped: [] }
  const { database, toolkit, minScore } = services
  if (minScore === undefined) return outcome
  const { db } = database
  const alerts = await db
    .selectFrom('fraud_alerts')
    .select(['id', 'card_id', 'rule', 'score', 'evidence'])
    .where('status', '=', 'open')
    .where('score', '>=', minScore)
    .orderBy('score', 'desc')
    .orderBy('id')
    .execute()
  if (alerts.length === 0) return outcome
  const asked = new Set(
    (
      await db
        .selectFrom('approval_requests')
        .select('args')
        .where('action', '=', 'place_card_hold')
        .where('requested_by', '=', FRAUD_DETECTOR.id)
        .execute()
    ).map((r) => (JSON.parse(r.args) as { cardId?: string }).cardId),
  )
  for (const alert of alerts) {
    const alertId = Number(alert.id)
    if (asked.has(alert.card_id)) {
      outcome.skipped.push({ alertId, cardId: alert.card_id, why: 'asked already' })
      continue
    }
    if (outcome.filed.length >= MAX_PER_SWEEP) {
      outcome.skipped.push({ alertId, cardId: alert.card_id, why: 'left for the next sweep' })
      continue
    }
    asked.add(alert.card_id)
    const evidence = JSON.parse(alert.evidence) as { reason?: string }
    const reason = `Fraud alert #${alertId} (${alert.rule.replaceAll('_', ' ')}, score ${alert.score.toFixed(2)}): ${evidence.reason ?? 'no reason recorded'}`
    const call = await toolkit.executor.call(
      'place_card_hold',
      { alertId, reason: reason.slice(0, 500) },
      { actor: FRAUD_DETECTOR, via },
    )
    const approvalId = (call.ok ? (call.data as { approvalId?: number }) : undefined)?.approvalId
    if (call.ok && approvalId !== undefined)
      outcome.filed.push({ alertId, cardId: alert.card_id, approvalId })
    else
      outcome.skipped.push({
        alertId,
        cardId: alert.card_id,
        why: call.ok ? 'no request was filed' : call.error.message,
      })
  }
  return outcome
}

/**
 * The sweep as `serve` runs it after the streaming detector stores alerts: one at a time (a
 * burst of alerts queues one more sweep, not one per alert), errors logged, never thrown.
 */
export function autoHoldSweeper(
  services: { database: Database; toolkit: Toolkit; minScore: number | undefined },
  logger?: Logger,
): () => void {
  let running: Promise<void> | undefined
  let again = false
  const run = (): void => {
    if (services.minScore === undefined) return
    if (running) {
      again = true
      return
    }
    running = fileAutoHoldRequests(services, 'http')
      .then((o) => {
        if (o.filed.length > 0)
          logger?.info({ filed: o.filed }, 'hold requests filed for high-scoring fraud alerts')
      })
      .catch((err) => logger?.error({ err: describeError(err) }, 'auto-hold sweep failed'))
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          run()
        }
      })
  }
  return run
}
