import { z } from 'zod'
import { type Journal, prepareJournal } from '../../finance/index.ts'
import { journalMonth, pilotStores } from '../../tools/index.ts'
import { defineReport, rolesOf } from './define-report.ts'

/**
 * `giftcards journal`: the month's whole journal (every line, for the import files), with the
 * roles of prepare_journal_entries, which answers the same question in chat.
 */
export const cliJournal = defineReport({
  name: 'cli_journal',
  title: 'Month-end journal entries (giftcards journal)',
  command: 'giftcards journal',
  description:
    "A past month's gift card journal entries: breakage recognised (ASC 606-10-55-48), the reclass of balances past their unclaimed-property deadline (ASC 606-10-55-49) and the true-up, by store, with the schedule behind them. A read: nothing is posted.",
  input: z.object({ month: journalMonth.describe('the month to close, YYYY-MM') }),
  roles: rolesOf('prepare_journal_entries'),
  pilot: 'scoped',
  run: async (ctx, input): Promise<Journal> =>
    (await prepareJournal(ctx.database, ctx.config, { month: input.month, ...pilotStores(ctx) }))
      .journal,
})
