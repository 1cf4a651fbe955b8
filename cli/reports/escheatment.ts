import { z } from 'zod'
import { escheatmentReport } from '../../analytics/index.ts'
import { parseDate, toIso } from '../../core/index.ts'
import { pilotStores } from '../../tools/index.ts'
import { dayOption, intOption } from '../options.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards escheatment`: every card reaching its unclaimed-property deadline (for the CSV). */
export const cliEscheatment = defineReport({
  name: 'cli_escheatment',
  title: 'Escheatment (giftcards escheatment)',
  command: 'giftcards escheatment',
  description:
    'Cards reaching their unclaimed-property deadline within a horizon, by the jurisdiction with the first claim; exempt states shown as exempt. Lists every card, for the filing CSV.',
  input: z.object({
    horizonMonths: intOption(0, 120).default(6).describe('how far ahead to look'),
    asOf: dayOption.optional().describe('the day to report from (default: now)'),
  }),
  roles: rolesOf('escheatment_report'),
  pilot: 'scoped',
  run: (ctx, input) => {
    const { defaultDormancyYears, incorporationState } = ctx.config.escheatment
    return escheatmentReport(ctx.database, {
      horizonMonths: input.horizonMonths,
      ...(input.asOf !== undefined ? { asOf: toIso(parseDate(input.asOf)) } : {}),
      defaultRule: {
        kind: 'dormancy',
        dormancyYears: defaultDormancyYears,
        reason: `default: reportable after ${defaultDormancyYears} years of dormancy`,
      },
      incorporationState,
      ...pilotStores(ctx),
    })
  },
})
