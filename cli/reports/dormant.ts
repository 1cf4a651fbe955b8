import { z } from 'zod'
import { backtestReactivation, findDormantCards } from '../../analytics/index.ts'
import { parseDate, toIso } from '../../core/index.ts'
import { pilotStores } from '../../tools/index.ts'
import { dayOption, intOption } from '../options.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards dormant`: cards with a balance and no load or spend for N days. */
export const cliDormant = defineReport({
  name: 'cli_dormant',
  title: 'Dormant cards (giftcards dormant)',
  command: 'giftcards dormant',
  description:
    'Cards with a balance and no load or redemption for N days, most likely to come back first, with a reactivation likelihood.',
  input: z.object({
    days: intOption(1, 3650).default(90).describe('days without a load or redemption'),
    asOf: dayOption.optional().describe('the day to look from (default: now)'),
    limit: intOption(1, 10_000).default(20).describe('how many cards to list'),
  }),
  roles: rolesOf('find_dormant_cards'),
  pilot: 'scoped',
  run: (ctx, input) =>
    findDormantCards(ctx.database, {
      ...pilotStores(ctx),
      minDays: input.days,
      limit: input.limit,
      ...(input.asOf !== undefined ? { asOf: toIso(parseDate(input.asOf)) } : {}),
    }),
})

/** `giftcards dormant --backtest`: how well the likelihood ranks who came back (AUC). */
export const cliDormantBacktest = defineReport({
  name: 'cli_dormant_backtest',
  title: 'Reactivation backtest (giftcards dormant --backtest)',
  command: 'giftcards dormant --backtest',
  description:
    'Scores the cards dormant at a past day with a model fitted before it, against who was used within 90 days: AUC.',
  input: z.object({ backtest: dayOption.describe('the past day to score from') }),
  roles: rolesOf('find_dormant_cards'),
  pilot: 'scoped',
  run: (ctx, input) =>
    backtestReactivation(ctx.database, {
      asOf: toIso(parseDate(input.backtest)),
      ...pilotStores(ctx),
    }),
})
