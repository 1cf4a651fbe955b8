import type { MarketingProvider } from '../../../core/index.ts'
import type { AudienceMember } from '../audience.ts'
import type { Campaign } from '../store.ts'

/** What a launch hands a marketing platform: the campaign and the people to contact. */
export type HandOff = {
  campaign: Campaign
  /** The contacted arm only: the holdout and the left-out are never sent. */
  recipients: readonly AudienceMember[]
  /** The launch's approval: the key every call is made idempotent with. */
  approvalId: number
}

/** What a platform did with it: where it went and its own ids, kept on the campaign. */
export type HandOffResult = {
  provider: MarketingProvider
  /** The host the audience went to; null for the CSV file alone. */
  handedOffTo: string | null
  reference: Record<string, string | number | string[]>
}
