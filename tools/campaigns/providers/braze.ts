import { GiftCardError } from '../../../core/index.ts'
import type { HandOff, HandOffResult } from './types.ts'

/**
 * The Braze hand-off (MARKETING_PROVIDER=braze): an API-triggered campaign built in Braze
 * (BRAZE_CAMPAIGN_ID holds the creative) sent to the contacted customers by the CRM's own id,
 * `POST {BRAZE_REST_ENDPOINT}/campaigns/trigger/send` with `Authorization: Bearer KEY`,
 * `recipients: [{ external_user_id }]`, at most 50 a request as Braze allows, and the offer and
 * message as `trigger_properties` for the template's Liquid. `broadcast` is false: only the
 * named recipients. Braze answers `{ dispatch_id, message: "success" }`.
 *
 * https://www.braze.com/docs/api/endpoints/messaging/send_messages/post_send_triggered_campaigns/
 * https://www.braze.com/docs/api/objects_filters/recipient_object/
 *
 * Braze has no idempotency key on this endpoint: a launch killed between two batches and then
 * recovered sends the batches again (docs/campaigns.md says so).
 */
export type BrazeSettings = { apiKey: string; restEndpoint: string; campaignId: string }

/** Braze's cap on `external_user_id`s in one messaging request. */
export const BRAZE_RECIPIENTS_PER_REQUEST = 50

export async function handOffToBraze(
  settings: BrazeSettings,
  handOff: HandOff,
): Promise<HandOffResult> {
  const ids = [...new Set(handOff.recipients.map((r) => r.customerId))].filter(
    (id): id is string => id !== null,
  )
  const url = `${settings.restEndpoint}/campaigns/trigger/send`
  const dispatches: string[] = []
  for (let i = 0; i < ids.length; i += BRAZE_RECIPIENTS_PER_REQUEST) {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${settings.apiKey}`,
      },
      body: JSON.stringify({
        campaign_id: settings.campaignId,
        trigger_properties: {
          offer: handOff.campaign.offer,
          message: handOff.campaign.message,
          giftcards_campaign_id: handOff.campaign.campaignId,
        },
        broadcast: false,
        recipients: ids
          .slice(i, i + BRAZE_RECIPIENTS_PER_REQUEST)
          .map((external_user_id) => ({ external_user_id })),
      }),
      signal: AbortSignal.timeout(30_000),
    }).catch((cause) => {
      throw new GiftCardError(
        'INTERNAL',
        `Braze could not be reached: ${(cause as Error).message.slice(0, 200)}`,
        { cause },
      )
    })
    const body = (await response.json().catch(() => ({}))) as {
      dispatch_id?: unknown
      message?: unknown
      errors?: unknown
    }
    if (!response.ok)
      throw new GiftCardError(
        'CONFLICT',
        `Braze refused the send: HTTP ${response.status}${typeof body.message === 'string' ? ` (${body.message.slice(0, 200)})` : ''}${dispatches.length > 0 ? `; ${dispatches.length * BRAZE_RECIPIENTS_PER_REQUEST} recipients were already sent` : ''}`,
      )
    dispatches.push(typeof body.dispatch_id === 'string' ? body.dispatch_id : '')
  }
  return {
    provider: 'braze',
    handedOffTo: new URL(settings.restEndpoint).host,
    reference: { campaignId: settings.campaignId, dispatchIds: dispatches },
  }
}
