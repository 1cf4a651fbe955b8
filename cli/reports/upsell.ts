import { z } from 'zod'
import { upsellOutcomes } from '../../analytics/index.ts'
import { MAX_POS_ID_CHARS, parseDate, toIso } from '../../core/index.ts'
import { dayOption } from '../options.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards upsell outcomes`: how the checkout prompts fared at the till (docs/checkout.md). */
export const cliUpsellOutcomes = defineReport({
  name: 'cli_upsell_outcomes',
  title: 'Upsell prompt outcomes (giftcards upsell outcomes)',
  description:
    'The gift card prompts the checkout endpoint gave and what cashiers did with them: prompts, recommended, accepted, declined, not shown, awaiting, and the acceptance rate (accepted / (accepted + declined)), overall and per store.',
  input: z.object({
    since: dayOption.optional().describe('only prompts from this day on (YYYY-MM-DD)'),
    location: z.string().min(1).max(MAX_POS_ID_CHARS).optional().describe('one store id'),
  }),
  roles: rolesOf('recommend_upsell'),
  run: (ctx, input) =>
    upsellOutcomes(ctx.database, {
      ...(input.since !== undefined ? { since: toIso(parseDate(input.since)) } : {}),
      ...(input.location !== undefined ? { location: input.location } : {}),
    }),
})
