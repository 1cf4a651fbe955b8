import { z } from 'zod'
import { segmentPurchasers } from '../../analytics/index.ts'
import { parseDate, toIso } from '../../core/index.ts'
import { pilotStores } from '../../tools/index.ts'
import { dayOption } from '../options.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards segments`: purchasers by occasion and by redemption behaviour. */
export const cliSegments = defineReport({
  name: 'cli_segments',
  title: 'Purchaser segments (giftcards segments)',
  command: 'giftcards segments',
  description:
    'Purchasers by why they buy and how their cards get used, with counts, liability, average balance and the features behind each segment.',
  input: z.object({
    asOf: dayOption.optional().describe('judge card ages as of this day (default: now)'),
  }),
  roles: rolesOf('segment_purchasers'),
  pilot: 'scoped',
  run: (ctx, input) =>
    segmentPurchasers(ctx.database, {
      ...(input.asOf !== undefined ? { asOf: toIso(parseDate(input.asOf)) } : {}),
      ...pilotStores(ctx),
    }),
})
