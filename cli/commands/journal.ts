import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { z } from 'zod'
import { formatCents } from '../../core/index.ts'
import { JOURNAL_FORMATS, loadJournalAccounts, renderJournal } from '../../finance/index.ts'
import type { CliContext } from '../context.ts'
import { parseOptions } from '../options.ts'
import { cliJournal } from '../reports/index.ts'
import { runReport } from '../session.ts'

const outputOptions = z.object({
  format: z.enum(JOURNAL_FORMATS, { error: 'must be netsuite, quickbooks or csv' }),
  out: z.string().min(1).max(4096).optional(),
})

/**
 * `giftcards journal --month YYYY-MM --format netsuite|quickbooks|csv [--out FILE]`: the month's
 * entries in the chosen format on stdout (or in FILE, with a summary on stdout). Posting to
 * QuickBooks is `post_journal_entries`, a write a manager approves (docs/finance.md).
 */
export function registerJournal(program: Command, ctx: () => CliContext): void {
  program
    .command('journal')
    .description(
      "a past month's gift card journal entries (breakage, escheat reclass, true-up) as a NetSuite CSV import, QuickBooks JournalEntry bodies or plain CSV",
    )
    .requiredOption('--month <YYYY-MM>', 'the month to close (it must have ended)')
    .option('--format <format>', 'netsuite, quickbooks or csv', 'csv')
    .option('--out <file>', 'write the entries to this file instead of stdout')
    .action(async (raw) => {
      const { format, out } = parseOptions(outputOptions, raw)
      // The mapping is read first: a bad JOURNAL_ACCOUNTS fails before the ledger is read.
      const accounts = loadJournalAccounts(ctx().config)
      const journal = await runReport(ctx(), cliJournal, parseOptions(cliJournal.input, raw))
      const text = renderJournal(journal, accounts, format)
      if (!out) {
        process.stdout.write(text)
        return
      }
      await writeFile(out, text)
      const { schedule } = journal
      console.log(
        `Journal ${journal.month}: ${journal.entries.length} entries written to ${out} (${format})`,
      )
      for (const e of journal.entries)
        console.log(`  ${e.externalId}  ${formatCents(e.totalCents).padStart(14)}  ${e.memo}`)
      console.log(
        `  estimate: ${schedule.method.estimator.name} (${schedule.method.estimator.modelVersion}), ledger up to ${schedule.method.estimator.dataWatermarkClosing ?? 'no events'}`,
      )
      for (const s of schedule.states)
        console.log(
          `  owed to ${s.jurisdiction}: ${formatCents(s.dueCents)} past deadline (${s.dueCards} cards), ${formatCents(s.expectedToEscheatCents)} expected to escheat`,
        )
    })
}
