import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { csvText } from '../../../core/index.ts'
import type { HandOff } from './types.ts'

/**
 * The audience file every launch writes (CAMPAIGN_EXPORT_DIR/campaign-N.csv): the contacted
 * cards with their owners' pseudonyms, never names, emails or phones. With
 * MARKETING_PROVIDER=csv it is the whole hand-off; otherwise it is the record of what was sent.
 */
export async function writeAudienceFile(exportDir: string, handOff: HandOff): Promise<string> {
  const { campaign, recipients } = handOff
  await mkdir(exportDir, { recursive: true })
  const file = resolve(join(exportDir, `campaign-${campaign.campaignId}.csv`))
  await writeFile(
    file,
    csvText(
      ['campaign_id', 'card_id', 'customer_pseudonym', 'balance_cents', 'message'],
      recipients.map((m) => [
        campaign.campaignId,
        m.cardId,
        m.customer ?? '',
        m.balanceCents,
        campaign.message,
      ]),
      '\n',
    ),
  )
  return file
}
