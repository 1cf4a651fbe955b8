import { z } from 'zod'
import { DAY_MS, parseDate, toIso } from '../../core/index.ts'
import {
  LIABILITY_GROUPS,
  liabilityAsOf,
  UNKNOWN_JURISDICTION,
  unknownJurisdictionLiability,
} from '../../db/index.ts'
import { dayOption } from '../options.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards liability`: outstanding liability now or at the end of a past (UTC) day, grouped. */
export const cliLiability = defineReport({
  name: 'cli_liability',
  title: 'Liability (giftcards liability)',
  command: 'giftcards liability',
  description:
    'Outstanding gift card liability now, or at the end of a past UTC day, by jurisdiction, location, cohort, occasion, channel or in total.',
  input: z.object({
    asOf: dayOption.optional().describe('balances at the end of this day (default: now)'),
    by: z
      .enum(LIABILITY_GROUPS, { error: `must be one of ${LIABILITY_GROUPS.join(', ')}` })
      .default('jurisdiction')
      .describe('how to group the liability'),
  }),
  roles: rolesOf('get_liability'),
  pilot: 'scoped',
  run: async (ctx, input) => {
    const asOf = input.asOf === undefined ? undefined : toIso(parseDate(input.asOf) + DAY_MS)
    const options = {
      ...(asOf ? { asOf } : {}),
      ...(ctx.scope.pilot ? { locations: ctx.scope.locationIds } : {}),
    }
    const rows = await liabilityAsOf(ctx.database.db, { groupBy: input.by, ...options })
    // Stores no master data has described: how much sits there (docs/ingest.md, "Master data").
    const unknown =
      input.by === 'jurisdiction' && rows.some((r) => r.key === UNKNOWN_JURISDICTION)
        ? await unknownJurisdictionLiability(ctx.database.db, options)
        : undefined
    return {
      asOf: asOf ?? 'now',
      by: input.by,
      rows,
      ...(unknown ? { unknownJurisdiction: unknown } : {}),
    }
  },
})
