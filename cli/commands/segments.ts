import type { Command } from 'commander'
import { z } from 'zod'
import { type SegmentRow, segmentPurchasers } from '../../analytics/index.ts'
import { formatCents, toIso } from '../../core/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { dateOption, parseOptions } from '../options.ts'

const segmentOptions = z.object({ asOf: dateOption.optional(), json: z.boolean().default(false) })

export function registerSegments(program: Command, ctx: () => CliContext): void {
  program
    .command('segments')
    .description(
      'purchasers by why they buy and how their cards get used, with the features behind it',
    )
    .option('--as-of <YYYY-MM-DD>', 'judge card ages as of this day (default: now)')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const options = parseOptions(segmentOptions, raw)
      const report = await withDatabase(ctx(), (database) =>
        segmentPurchasers(
          database,
          options.asOf !== undefined ? { asOf: toIso(options.asOf) } : {},
        ),
      )
      if (options.json) {
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
    })
}
