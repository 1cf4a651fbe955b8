import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { z } from 'zod'
import { escheatmentCsv, ownerAddressNote, unknownJurisdictionNote } from '../../analytics/index.ts'
import { formatCents } from '../../core/index.ts'
import type { CliContext } from '../context.ts'
import { parseOptions } from '../options.ts'
import { cliEscheatment } from '../reports/index.ts'
import { runReport } from '../session.ts'

const outputOptions = z.object({ csv: z.string().min(1).max(4096).optional() })

export function registerEscheatment(program: Command, ctx: () => CliContext): void {
  program
    .command('escheatment')
    .description(
      'cards reaching their unclaimed-property deadline within a horizon, by jurisdiction',
    )
    .option('--horizon-months <n>', 'how far ahead to look', '6')
    .option('--as-of <YYYY-MM-DD>', 'the day to report from (default: now)')
    .option('--csv <file>', 'also write the cards to this CSV file')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const { csv } = parseOptions(outputOptions, raw)
      const report = await runReport(ctx(), cliEscheatment, parseOptions(cliEscheatment.input, raw))
      if (csv) await writeFile(csv, escheatmentCsv(report))
      if (raw.json) {
        console.log(JSON.stringify(report, null, 2))
        return
      }
      console.log(
        `Escheatment as of ${report.asOf.slice(0, 10)}, deadlines within ${report.horizonMonths} months (overdue included)`,
      )
      for (const j of report.jurisdictions) {
        console.log(
          `  ${j.jurisdiction.padEnd(8)} ${j.status.padEnd(10)} ${j.cards.toLocaleString('en-US').padStart(8)} cards ${formatCents(j.amountCents).padStart(14)}${j.overdueCards ? `  (${j.overdueCards} overdue)` : ''}  ${j.rule}`,
        )
      }
      if (report.jurisdictions.length === 0) console.log('  no card reaches a deadline')
      const notes = [
        unknownJurisdictionNote(report.unknownJurisdiction),
        ownerAddressNote(
          report.ownerAddressUnknown.cards,
          report.ownerAddressUnknown.amountCents,
          ctx().config.escheatment.incorporationState,
        ),
      ]
      for (const note of notes) if (note) console.log(`  ${note}`)
      if (csv) console.log(`${report.cards.length} cards written to ${csv}`)
    })
}
