import { writeFile } from 'node:fs/promises'
import { z } from 'zod'
import { formatCents } from '../../core/index.ts'
import { JOURNAL_FORMATS, loadJournalAccounts, renderJournal } from '../../finance/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { cliJournal } from '../reports/index.ts'
import { runReport } from '../session.ts'

const outputOptions = z.object({
  format: z.enum(JOURNAL_FORMATS, { error: 'must be netsuite, quickbooks or csv' }),
  out: z.string().min(1).max(4096).optional(),
})

export async function runJournal(ctx: () => CliContext, raw: Flags): Promise<void> {
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
}
