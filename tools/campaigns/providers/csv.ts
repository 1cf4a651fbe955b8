import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
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
  const lines = ['campaign_id,card_id,customer_pseudonym,balance_cents,message']
  for (const m of recipients)
    lines.push(
      [campaign.campaignId, m.cardId, m.customer ?? '', m.balanceCents, campaign.message]
        .map(csvCell)
        .join(','),
    )
  await writeFile(file, `${lines.join('\n')}\n`)
  return file
}

function csvCell(value: unknown): string {
  const s = String(value)
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}
