import { GiftCardError } from '../../../core/index.ts'
import type { SendLog } from './send-log.ts'
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
 * Braze documents no idempotency key for this endpoint (a `send_id` only groups a send's
 * analytics; `send_to_existing_only` only says whether a recipient may be created), so a retried
 * request messages people again. A launch therefore keeps its own record of what it sent
 * (`SendLog`, outside the launch's transaction): each batch is logged before its request and
 * marked sent after Braze answers, and a recovered launch sends only the recipients no earlier
 * run started. A batch whose request was in flight when the process stopped is not sent again
 * either: Braze may well have it, and a second message is what must not happen
 * (docs/campaigns.md#recovery). Braze's own guard, the campaign's re-eligibility setting (off
 * by default: a user receives an API-triggered campaign once however often it is triggered),
 * covers even that batch when the Braze campaign serves one launch.
 */
export type BrazeSettings = { apiKey: string; restEndpoint: string; campaignId: string }

/** Braze's cap on `external_user_id`s in one messaging request. */
export const BRAZE_RECIPIENTS_PER_REQUEST = 50

export async function handOffToBraze(
  settings: BrazeSettings,
  handOff: HandOff,
  log: SendLog,
): Promise<HandOffResult> {
  const before = await log.started()
  const ids = [...new Set(handOff.recipients.map((r) => r.customerId))].filter(
    (id): id is string => id !== null && !before.recipients.has(id),
  )
  const url = `${settings.restEndpoint}/campaigns/trigger/send`
  const dispatches: string[] = [...before.dispatchIds]
  let sent = 0
  for (let i = 0; i < ids.length; i += BRAZE_RECIPIENTS_PER_REQUEST) {
    const batch = before.nextBatch + i / BRAZE_RECIPIENTS_PER_REQUEST
    const recipients = ids.slice(i, i + BRAZE_RECIPIENTS_PER_REQUEST)
    await log.sending(batch, recipients)
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
        recipients: recipients.map((external_user_id) => ({ external_user_id })),
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
    if (!response.ok) {
      // Braze answered no: nothing of this batch went out.
      await log.refused(batch)
      throw new GiftCardError(
        'CONFLICT',
        `Braze refused the send: HTTP ${response.status}${typeof body.message === 'string' ? ` (${body.message.slice(0, 200)})` : ''}${sent > 0 ? `; ${sent} recipients were already sent` : ''}`,
      )
    }
    const dispatchId = typeof body.dispatch_id === 'string' ? body.dispatch_id.slice(0, 200) : ''
    await log.sent(batch, recipients, dispatchId)
    dispatches.push(dispatchId)
    sent += recipients.length
  }
  return {
    provider: 'braze',
    handedOffTo: new URL(settings.restEndpoint).host,
    reference: {
      campaignId: settings.campaignId,
      dispatchIds: dispatches,
      // A recovered launch: who an earlier run had sent (or had in flight) and were not sent again.
      ...(before.recipients.size > 0
        ? { notSentAgain: before.recipients.size, inFlightBefore: before.inFlight }
        : {}),
    },
  }
}
