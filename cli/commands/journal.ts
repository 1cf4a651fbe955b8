import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

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
    .action(async (raw) => (await import('../actions/journal.ts')).runJournal(ctx, raw))
}
