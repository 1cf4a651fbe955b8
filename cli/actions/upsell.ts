import type { UpsellOutcomes } from '../../analytics/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { cliUpsellOutcomes } from '../reports/index.ts'
import { runReport } from '../session.ts'

export async function runUpsellOutcomes(ctx: () => CliContext, raw: Flags): Promise<void> {
  const report = await runReport(
    ctx(),
    cliUpsellOutcomes,
    parseOptions(cliUpsellOutcomes.input, raw),
  )
  if (raw.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  console.log(`Upsell prompts${raw.since ? ` since ${raw.since}` : ''}: ${describe(report)}`)
  if (report.byLocation.length > 1)
    for (const l of report.byLocation)
      console.log(`  ${(l.locationId ?? 'no store').padEnd(14)} ${describe(l)}`)
}

function describe(o: UpsellOutcomes): string {
  const rate =
    o.acceptanceRate === null
      ? 'no outcome yet'
      : `${(o.acceptanceRate * 100).toFixed(1)}% accepted`
  return `${o.prompts.toLocaleString('en-US')} prompts, ${o.recommended.toLocaleString('en-US')} recommended: ${o.accepted} accepted, ${o.declined} declined, ${o.notShown} not shown, ${o.awaiting} awaiting; ${rate}`
}
