import { z } from 'zod'
import { upsellOutcomes } from '../../analytics/index.ts'
import { MAX_POS_ID_CHARS, parseDate, toIso } from '../../core/index.ts'
import { locationInScope, storesToKeep } from '../../tools/index.ts'
import { dayOption } from '../options.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards upsell outcomes`: how the checkout prompts fared at the till (docs/checkout.md). */
export const cliUpsellOutcomes = defineReport({
  name: 'cli_upsell_outcomes',
  title: 'Upsell prompt outcomes (giftcards upsell outcomes)',
  command: 'giftcards upsell outcomes',
  description:
    'The gift card prompts the checkout endpoint gave and what cashiers did with them: prompts, recommended, accepted, declined, not shown, awaiting, and the acceptance rate (accepted / (accepted + declined)), overall and per store.',
  input: z.object({
    since: dayOption.optional().describe('only prompts from this day on (YYYY-MM-DD)'),
    location: z
      .string()
      .min(1)
      .max(MAX_POS_ID_CHARS)
      .optional()
      .describe('a store: its id, name or city'),
  }),
  roles: rolesOf('recommend_upsell'),
  // Prompts carry the store of the checkout: under a pilot, only the pilot's stores count, and a
  // store outside it is refused (the POS endpoint logs none for such a store anyway).
  pilot: 'scoped',
  run: async (ctx, input) => {
    // A store by id, name or city (tools/locations.ts), kept to the pilot.
    const locations = storesToKeep(ctx, await locationInScope(ctx, input.location))
    return upsellOutcomes(ctx.database, {
      ...(input.since !== undefined ? { since: toIso(parseDate(input.since)) } : {}),
      ...(locations !== undefined ? { locations } : {}),
    })
  },
})
