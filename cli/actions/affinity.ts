import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { cliAffinity } from '../reports/index.ts'
import { runReport } from '../session.ts'

export async function runAffinity(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(cliAffinity.input, raw)
  const report = await runReport(ctx(), cliAffinity, options)
  if (raw.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  console.log(
    `${options.context === 'redeemed_with' ? 'Bought with gift card redemptions' : 'Bought alongside gift cards'} (${report.contextOrders.toLocaleString('en-US')} of ${report.orders.toLocaleString('en-US')} orders), by ${report.level}`,
  )
  for (const r of report.rows) {
    console.log(
      `  ${r.item.padEnd(14)} lift ${r.lift.toFixed(2).padStart(5)}  confidence ${(r.confidence * 100).toFixed(1).padStart(5)}%  support ${(r.support * 100).toFixed(2).padStart(6)}%  ${r.orders.toLocaleString('en-US').padStart(6)} orders  ${r.significant ? `significant (q ${formatP(r.qValue)})` : `not significant (q ${formatP(r.qValue)})`}`,
    )
  }
  console.log(
    `  ${report.significant} of ${report.tested} items differ beyond chance (Benjamini–Hochberg, false discovery rate 5%)`,
  )
  if (report.note) console.log(`  ${report.note}`)
}

/** A p-value as people read it: 0.03, 0.0004, < 1e-12. */
function formatP(p: number): string {
  if (p < 1e-12) return '< 1e-12'
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(0)
}
