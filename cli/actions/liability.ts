import { unknownJurisdictionNote } from '../../analytics/index.ts'
import { formatCents } from '../../core/index.ts'
import { chartFileOption, chartFromTool, writeChartFile } from '../chart-file.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { cliLiability } from '../reports/index.ts'
import { runReport } from '../session.ts'

export async function runLiability(ctx: () => CliContext, raw: Flags): Promise<void> {
  const input = parseOptions(cliLiability.input, raw)
  const chartFile = chartFileOption(raw)
  const report = await runReport(ctx(), cliLiability, input)
  // The table is the breakdown; the chart is the trend: liability at each month end of the
  // year to --as-of (or to the ledger's last day).
  const chart =
    chartFile &&
    (await chartFromTool(ctx(), 'liability-trend', 'ledger_metrics', {
      metric: 'liability',
      by: ['month'],
      ...(raw.asOf ? { to: String(raw.asOf).slice(0, 10) } : {}),
    }))
  if (raw.json) console.log(JSON.stringify(report, null, 2))
  else printLiability(report, input.asOf)
  if (chart && chartFile) await writeChartFile(chart, chartFile, Boolean(raw.json))
}

function printLiability(
  report: Awaited<ReturnType<typeof cliLiability.run>>,
  asOf: string | undefined,
): void {
  const total = report.rows.reduce((sum, r) => sum + r.liabilityCents, 0)
  console.log(
    `Outstanding liability ${asOf !== undefined ? `at the end of ${asOf.slice(0, 10)}` : 'now'}: ${formatCents(total)}`,
  )
  for (const r of report.rows)
    console.log(
      `  ${r.key.padEnd(16)} ${r.cards.toLocaleString('en-US').padStart(9)} cards  ${formatCents(r.liabilityCents).padStart(16)}`,
    )
  const note = report.unknownJurisdiction && unknownJurisdictionNote(report.unknownJurisdiction)
  if (note) console.log(`  ${note}`)
}
