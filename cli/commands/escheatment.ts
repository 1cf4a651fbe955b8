import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { z } from 'zod'
import { escheatmentCsv, escheatmentReport } from '../../analytics/index.ts'
import { formatCents, toIso } from '../../core/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { dateOption, intOption, parseOptions } from '../options.ts'

const escheatOptions = z.object({
  horizonMonths: intOption(0, 120).default(6),
  asOf: dateOption.optional(),
  csv: z.string().min(1).optional(),
  json: z.boolean().default(false),
})

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
      const options = parseOptions(escheatOptions, raw)
      const context = ctx()
      const { defaultDormancyYears, incorporationState } = context.config.escheatment
      const report = await withDatabase(context, (database) =>
        escheatmentReport(database, {
          horizonMonths: options.horizonMonths,
          ...(options.asOf !== undefined ? { asOf: toIso(options.asOf) } : {}),
          defaultRule: {
            kind: 'dormancy',
            dormancyYears: defaultDormancyYears,
            reason: `default: reportable after ${defaultDormancyYears} years of dormancy`,
          },
          incorporationState,
        }),
      )
      if (options.csv) await writeFile(options.csv, escheatmentCsv(report))
      if (options.json) {
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
      if (options.csv) console.log(`${report.cards.length} cards written to ${options.csv}`)
    })
}
