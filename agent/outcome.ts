import { formatCents } from '../core/index.ts'
import type { Approval } from '../governance/index.ts'
import { launchCampaign, placeCardHold, releaseCardHold } from '../tools/index.ts'

/**
 * What a hold or release did at the POS, for the reply (issue 23): enforced or ledger only, and
 * the alert raised when the POS balance was not what the ledger expected.
 */
function posSentence(o: Record<string, unknown>): string {
  const effect =
    typeof o.enforcement === 'string'
      ? ` ${o.enforcement.charAt(0).toUpperCase()}${o.enforcement.slice(1)}.`
      : ''
  const m = o.mismatch as { alertId?: unknown; detail?: unknown } | undefined
  const mismatch =
    m && typeof m === 'object' ? ` Alert #${String(m.alertId)} raised: ${String(m.detail)}.` : ''
  return `${effect}${mismatch}`
}

/** One line on what became of an approval, for the thread that asked for it. */
export function describeOutcome(approval: Approval): string {
  const o = approval.outcome ?? {}
  const by = approval.decidedBy ? ` by ${approval.decidedBy}` : ''
  switch (approval.status) {
    case 'executed':
      if (approval.action === placeCardHold.name)
        return `Approval #${approval.id} was approved${by}: card ${String(o.cardId)} is on hold (hold #${String(o.holdId)}, ${formatCents(Number(o.amountCents ?? 0))} held, ${String(o.connector)} ${String(o.posReference)}).${posSentence(o)}`
      if (approval.action === releaseCardHold.name)
        return `Approval #${approval.id} was approved${by}: the hold on card ${String(o.cardId)} is released (${o.enforced === false ? 'nothing to restore at the POS' : `${formatCents(Number(o.amountCents ?? 0))} restored, ${String(o.connector)}`}).${posSentence(o)}`
      if (approval.action === launchCampaign.name)
        return `Approval #${approval.id} was approved${by}: campaign #${String(o.campaignId)} launched to ${String(o.audience)} cards${o.holdout !== undefined ? `, ${String(o.holdout)} held out to measure lift` : ''} (${String(o.file)}${o.handedOffTo ? `, handed to ${String(o.handedOffTo)}` : ''}).`
      return `Approval #${approval.id} was approved${by} and executed.`
    case 'failed':
      return `Approval #${approval.id} was approved${by} but failed: ${String(o.error ?? 'unknown error')}. Nothing was changed.`
    case 'rejected':
      return `Approval #${approval.id} was rejected${by}${approval.decisionReason ? ` (${approval.decisionReason})` : ''}. Nothing was changed.`
    case 'expired':
      return `Approval #${approval.id} expired before a manager decided. Nothing was changed.`
    default:
      return `Approval #${approval.id} is ${approval.status}.`
  }
}
