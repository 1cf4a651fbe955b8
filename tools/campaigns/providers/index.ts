import type { Config } from '../../../core/index.ts'
import type { Database } from '../../../db/index.ts'
import { handOffToBraze } from './braze.ts'
import type { KlaviyoSettings } from './klaviyo.ts'
import { sendLog } from './send-log.ts'
import type { HandOff, HandOffResult } from './types.ts'
import { handOffToWebhook } from './webhook.ts'

export * from './csv.ts'
export * from './send-log.ts'
export * from './types.ts'

/** Whether the configured platform reaches people by the CRM's customer id (Klaviyo, Braze). */
export const needsCustomerId = (config: Config) =>
  config.campaigns.provider === 'klaviyo' || config.campaigns.provider === 'braze'

/**
 * Hands a launch's contacted audience to the configured platform (MARKETING_PROVIDER). The
 * CSV file is written by the caller for every provider; `csv` alone stops there.
 */
export async function handOff(
  database: Database,
  config: Config,
  request: HandOff,
): Promise<HandOffResult> {
  const c = config.campaigns
  switch (c.provider) {
    case 'csv':
      return { provider: 'csv', handedOffTo: null, reference: {} }
    case 'webhook':
      return handOffToWebhook(c.webhookUrl as string, request)
    case 'klaviyo': {
      // klaviyo-api (and axios) take most of a second to load: only a Klaviyo launch loads them,
      // not every CLI command. Present: the configuration refuses klaviyo without its key.
      const { handOffToKlaviyo } = await import('./klaviyo.ts')
      return handOffToKlaviyo(c.klaviyo as KlaviyoSettings, request)
    }
    case 'braze':
      return handOffToBraze(
        c.braze as NonNullable<typeof c.braze>,
        request,
        sendLog(database, request.approvalId),
      )
  }
}
