import type { Command } from 'commander'
import { unknownJurisdictionNote } from '../../analytics/index.ts'
import { formatCents } from '../../core/index.ts'
import { LIABILITY_GROUPS } from '../../db/index.ts'
import type { CliContext } from '../context.ts'
import { parseOptions } from '../options.ts'
import { cliLiability } from '../reports/index.ts'
import { runReport } from '../session.ts'

export function registerLiability(program: Command, ctx: () => CliContext): void {
  program
    .command('liability')
    .description('outstanding gift card liability, now or at the end of a past day, grouped')
    .option('--as-of <YYYY-MM-DD>', 'balances at the end of this day (default: now)')
    .option('--by <group>', LIABILITY_GROUPS.join(' | '), 'jurisdiction')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const input = parseOptions(cliLiability.input, raw)
      const report = await runReport(ctx(), cliLiability, input)
      if (raw.json) {
        console.log(JSON.stringify(report, null, 2))
        return
      }
      const total = report.rows.reduce((sum, r) => sum + r.liabilityCents, 0)
      console.log(
        `Outstanding liability ${input.asOf !== undefined ? `at the end of ${input.asOf.slice(0, 10)}` : 'now'}: ${formatCents(total)}`,
      )
      for (const r of report.rows)
        console.log(
          `  ${r.key.padEnd(16)} ${r.cards.toLocaleString('en-US').padStart(9)} cards  ${formatCents(r.liabilityCents).padStart(16)}`,
        )
      const note = report.unknownJurisdiction && unknownJurisdictionNote(report.unknownJurisdiction)
      if (note) console.log(`  ${note}`)
    })
}
