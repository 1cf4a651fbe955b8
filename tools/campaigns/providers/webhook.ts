import { GiftCardError } from '../../../core/index.ts'
import type { HandOff, HandOffResult } from './types.ts'

/**
 * The generic hand-off (MARKETING_PROVIDER=webhook, CAMPAIGN_WEBHOOK_URL): the campaign and its
 * contacted audience POSTed as one JSON document, keyed `campaign-approval-N` in the
 * Idempotency-Key header so a recovered launch is recognised by a receiver that honours it.
 */
export async function handOffToWebhook(url: string, handOff: HandOff): Promise<HandOffResult> {
  const { campaign, recipients } = handOff
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': `campaign-approval-${handOff.approvalId}`,
    },
    body: JSON.stringify({
      campaign: {
        id: campaign.campaignId,
        name: campaign.name,
        offer: campaign.offer,
        message: campaign.message,
      },
      audience: recipients.map((m) => ({
        card_id: m.cardId,
        customer_id: m.customerId,
        customer: m.customer,
        balance_cents: m.balanceCents,
      })),
    }),
    signal: AbortSignal.timeout(30_000),
  }).catch((cause) => {
    throw new GiftCardError(
      'INTERNAL',
      `the campaign webhook could not be reached: ${(cause as Error).message}`,
      { cause },
    )
  })
  if (!response.ok)
    throw new GiftCardError('CONFLICT', `the campaign webhook answered HTTP ${response.status}`)
  return { provider: 'webhook', handedOffTo: new URL(url).host, reference: {} }
}
