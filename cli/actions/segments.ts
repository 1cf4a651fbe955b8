import type { SegmentRow } from '../../analytics/index.ts'
import { formatCents } from '../../core/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { cliSegments } from '../reports/index.ts'
import { runReport } from '../session.ts'

export async function runSegments(ctx: () => CliContext, raw: Flags): Promise<void> {
  const report = await runReport(ctx(), cliSegments, parseOptions(cliSegments.input, raw))
  if (raw.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  const table = (title: string, rows: SegmentRow[]) => [
    title,
    ...rows.map(
      (r) =>
        `  ${r.segment.padEnd(20)} ${r.purchasers.toLocaleString('en-US').padStart(8)} purchasers ${r.cards.toLocaleString('en-US').padStart(9)} cards  liability ${formatCents(r.liabilityCents).padStart(14)}  average balance ${formatCents(r.averageBalanceCents)}`,
    ),
  ]
  console.log(
    [
      ...table('By occasion', report.byOccasion),
      '',
      ...table('By redemption behaviour', report.byBehaviour),
    ].join('\n'),
  )
  if (report.occasionAccuracy) {
    console.log(
      `\nAgreement with the occasions recorded on cards: ${(report.occasionAccuracy.agreement * 100).toFixed(1)}% of ${report.occasionAccuracy.cards.toLocaleString('en-US')} cards`,
    )
  }
}
