import {
  ApiKeySession,
  CampaignsApi,
  ListsApi,
  ProfilesApi,
  RetryWithExponentialBackoff,
  TemplatesApi,
} from 'klaviyo-api'
import { GiftCardError } from '../../../core/index.ts'
import type { HandOff, HandOffResult } from './types.ts'

/**
 * The Klaviyo hand-off (MARKETING_PROVIDER=klaviyo), through Klaviyo's official client
 * (`klaviyo-api`, which sends `Authorization: Klaviyo-API-Key …` and the `revision` header of
 * its API version on every call). One launch, in the order Klaviyo's API reference gives:
 *
 * 1. a list for the launch (Create List, `POST /api/lists`), found first by its name (Get Lists
 *    with `filter=equals(name,"…")`), which carries the approval id, so a recovered launch reuses
 *    it instead of making a second;
 * 2. the contacted customers added to it by the CRM's own id (Bulk Import Profiles,
 *    `POST /api/profile-bulk-import-jobs`, profiles with only `external_id` and the list as the
 *    job's relationship, at most 10,000 a job), each job polled until `complete`
 *    (`GET /api/profile-bulk-import-jobs/{id}`). Klaviyo matches `external_id` to the profile
 *    the CRM sync made; the profile's email never leaves Klaviyo, and its consent there is
 *    Klaviyo's to apply too;
 * 3. the message as a template (Create Template, `POST /api/templates`, CODE editor), unless
 *    KLAVIYO_TEMPLATE_ID names a brand template;
 * 4. an email campaign with the list as its audience (Create Campaign, `POST /api/campaigns`),
 *    again found first by name, and the template assigned to its message
 *    (`POST /api/campaign-message-assign-template`);
 * 5. a send job (Send Campaign, `POST /api/campaign-send-jobs`), only while the campaign is
 *    still a draft: a recovered launch never sends twice.
 *
 * https://developers.klaviyo.com/en/reference/api_overview, /create_list, /bulk_import_profiles,
 * /create_campaign, /assign_template_to_campaign_message, /send_campaign.
 */
/** The client's API-key session with a bound on each request: the client sets none. */
class BoundedSession extends ApiKeySession {
  override applyToRequest(requestOptions: Parameters<ApiKeySession['applyToRequest']>[0]): void {
    super.applyToRequest(requestOptions)
    requestOptions.timeout = 30_000
  }
}

export type KlaviyoSettings = {
  apiKey: string
  baseUrl: string
  templateId?: string
  fromEmail?: string
  fromLabel?: string
  /** Between polls of an import job (default 1 s); at most `pollAttempts` polls (default 120). */
  pollIntervalMs?: number
  pollAttempts?: number
}

/** Klaviyo's cap on profiles in one bulk import job. */
export const KLAVIYO_IMPORT_BATCH = 10_000

export async function handOffToKlaviyo(
  settings: KlaviyoSettings,
  handOff: HandOff,
): Promise<HandOffResult> {
  // Klaviyo's retry on 429/503 (with Retry-After) stays, bounded to 3 attempts.
  const session = new BoundedSession(
    settings.apiKey,
    new RetryWithExponentialBackoff({ numRetries: 3 }),
  )
  const lists = new ListsApi(session)
  const profiles = new ProfilesApi(session)
  const campaigns = new CampaignsApi(session)
  const templates = new TemplatesApi(session)
  for (const api of [lists, profiles, campaigns, templates]) api.basePath = settings.baseUrl
  const { campaign, approvalId } = handOff
  const name = `giftcards campaign #${campaign.campaignId} (approval #${approvalId})`

  const listId = await klaviyo('find or create the list', async () => {
    const found = await lists.getLists({ filter: `equals(name,${JSON.stringify(name)})` })
    const existing = found.body.data?.[0]?.id
    if (existing) return existing
    const created = await lists.createList({ data: { type: 'list', attributes: { name } } })
    return required(created.body.data?.id, 'list id')
  })

  const ids = [...new Set(handOff.recipients.map((r) => r.customerId))].filter(
    (id): id is string => id !== null,
  )
  const jobs: string[] = []
  for (let i = 0; i < ids.length; i += KLAVIYO_IMPORT_BATCH) {
    const batch = ids.slice(i, i + KLAVIYO_IMPORT_BATCH)
    const jobId = await klaviyo('import the profiles', async () => {
      const job = await profiles.bulkImportProfiles({
        data: {
          type: 'profile-bulk-import-job',
          attributes: {
            profiles: {
              data: batch.map((externalId) => ({ type: 'profile', attributes: { externalId } })),
            },
          },
          relationships: { lists: { data: [{ type: 'list', id: listId }] } },
        },
      })
      return required(job.body.data?.id, 'import job id')
    })
    await waitForImport(profiles, jobId, settings)
    jobs.push(jobId)
  }

  // Nobody to contact (all held out or left out): the list stays empty and nothing is sent.
  if (ids.length === 0)
    return {
      provider: 'klaviyo',
      handedOffTo: new URL(settings.baseUrl).host,
      reference: { listId, importJobs: [], sendJobId: 'nobody to contact' },
    }
  const templateId =
    settings.templateId ??
    (await klaviyo('create the template', async () => {
      const created = await templates.createTemplate({
        data: {
          type: 'template',
          attributes: {
            name,
            editorType: 'CODE',
            html: messageHtml(campaign.offer, campaign.message),
            text: `${campaign.offer}\n\n${campaign.message}`,
          },
        },
      })
      return required(created.body.data?.id, 'template id')
    }))

  const { campaignId, messageId, status } = await klaviyo(
    'find or create the campaign',
    async () => {
      const found = await campaigns.getCampaigns(
        `and(equals(messages.channel,'email'),equals(name,${JSON.stringify(name)}))`,
        { include: ['campaign-messages'] },
      )
      const existing = found.body.data?.[0]
      if (existing)
        return {
          campaignId: existing.id,
          messageId: firstMessage(existing.relationships),
          status: String(existing.attributes?.status ?? ''),
        }
      const created = await campaigns.createCampaign({
        data: {
          type: 'campaign',
          attributes: {
            name,
            audiences: { included: [listId], excluded: [] },
            sendStrategy: { method: 'immediate' },
            campaignMessages: {
              data: [
                {
                  type: 'campaign-message',
                  attributes: {
                    definition: {
                      channel: 'email',
                      label: campaign.name,
                      content: {
                        subject: campaign.offer,
                        previewText: campaign.message.slice(0, 150),
                        ...(settings.fromEmail ? { fromEmail: settings.fromEmail } : {}),
                        ...(settings.fromLabel ? { fromLabel: settings.fromLabel } : {}),
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      })
      const data = created.body.data
      return {
        campaignId: required(data?.id, 'campaign id'),
        messageId: firstMessage(data?.relationships),
        status: String(data?.attributes?.status ?? 'Draft'),
      }
    },
  )
  const message = required(messageId, 'campaign message id')

  let sendJob: string | null = null
  if (status === '' || status.toLowerCase() === 'draft') {
    await klaviyo('assign the template', () =>
      campaigns.assignTemplateToCampaignMessage({
        data: {
          type: 'campaign-message',
          id: message,
          relationships: { template: { data: { type: 'template', id: templateId } } },
        },
      }),
    )
    sendJob = await klaviyo('send the campaign', async () => {
      const sent = await campaigns.sendCampaign({
        data: { type: 'campaign-send-job', id: campaignId },
      })
      return required(sent.body.data?.id, 'send job id')
    })
  }
  return {
    provider: 'klaviyo',
    handedOffTo: new URL(settings.baseUrl).host,
    reference: {
      listId,
      importJobs: jobs,
      templateId,
      campaignId,
      campaignMessageId: message,
      ...(sendJob ? { sendJobId: sendJob } : { sendJobId: 'already sent' }),
    },
  }
}

/** Polls an import job until Klaviyo says `complete`; `cancelled` or no end is an error. */
async function waitForImport(profiles: ProfilesApi, jobId: string, settings: KlaviyoSettings) {
  const attempts = settings.pollAttempts ?? 120
  for (let i = 0; i < attempts; i++) {
    const job = await klaviyo('read the import job', () => profiles.getBulkImportProfilesJob(jobId))
    const status = String(job.body.data?.attributes?.status ?? '')
    if (status === 'complete') return
    if (status === 'cancelled')
      throw new GiftCardError('CONFLICT', `Klaviyo cancelled profile import job ${jobId}`)
    await new Promise((r) => setTimeout(r, settings.pollIntervalMs ?? 1000))
  }
  throw new GiftCardError(
    'CONFLICT',
    `Klaviyo's profile import job ${jobId} did not complete after ${attempts} polls; the launch stays approved and its recovery resumes it`,
  )
}

function firstMessage(relationships: unknown): string | undefined {
  const r = relationships as { campaignMessages?: { data?: { id?: string }[] } } | undefined
  return r?.campaignMessages?.data?.[0]?.id
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null)
    throw new GiftCardError('CONFLICT', `Klaviyo's answer had no ${what}`)
  return value
}

/** One Klaviyo call, its failure said in one line with Klaviyo's own `detail` (bounded). */
async function klaviyo<T>(step: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (err instanceof GiftCardError) throw err
    // The client throws axios's error (a dependency of klaviyo-api, not ours): read its response.
    const response = (err as { response?: { status?: number; data?: unknown } }).response
    if (response && typeof response.status === 'number') {
      const body = response.data as { errors?: { detail?: unknown }[] } | undefined
      const detail = String(body?.errors?.[0]?.detail ?? '').slice(0, 200)
      throw new GiftCardError(
        'CONFLICT',
        `Klaviyo refused to ${step}: HTTP ${response.status}${detail ? ` (${detail})` : ''}`,
      )
    }
    throw new GiftCardError(
      'INTERNAL',
      `Klaviyo could not be reached to ${step}: ${(err as Error).message.slice(0, 200)}`,
      { cause: err },
    )
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The approved offer and message as the email's body, with Klaviyo's unsubscribe link. */
function messageHtml(offer: string, message: string): string {
  return `<html><body><h1>${escapeHtml(offer)}</h1><p>${escapeHtml(message)}</p><p><a href="{% unsubscribe_url %}">Unsubscribe</a></p></body></html>`
}
