import { formatCents } from '../../core/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { formatReliability } from '../reliability.ts'
import { cliDormant, cliDormantBacktest } from '../reports/index.ts'
import { runReport } from '../session.ts'

export async function runDormant(ctx: () => CliContext, raw: Flags): Promise<void> {
  if (raw.backtest !== undefined) {
    const result = await runReport(
      ctx(),
      cliDormantBacktest,
      parseOptions(cliDormantBacktest.input, raw),
    )
    if (raw.json) {
      console.log(JSON.stringify(result, null, 2))
      return
    }
    const { calibration } = result
    console.log(
      [
        `Reactivation backtest from ${result.asOf.slice(0, 10)}: ${result.dormantCards} dormant cards, ${result.reactivated} used within 90 days; AUC ${result.auc.toFixed(3)} (0.5 is chance)`,
        calibration.method === 'isotonic'
          ? `Likelihoods as shown, calibrated on ${calibration.samples.toLocaleString('en-US')} dormant cards at ${calibration.cutoffs.join(', ')}:`
          : `Likelihoods as shown (${calibration.note}):`,
        ...formatReliability(result.reliability),
        `  the model's raw chances: AUC ${result.raw.auc.toFixed(3)}, Brier ${result.raw.brier.toFixed(4)}, expected calibration error ${result.raw.ece.toFixed(3)}`,
        'By kind of card (spent from before or never, months idle):',
        ...result.groups.map(
          (g) =>
            `  ${g.group.padEnd(12)} ${String(g.count).padStart(5)} cards  predicted ${(g.predicted * 100).toFixed(1).padStart(5)}%  observed ${(g.observed * 100).toFixed(1).padStart(5)}%`,
        ),
      ].join('\n'),
    )
    return
  }
  const report = await runReport(ctx(), cliDormant, parseOptions(cliDormant.input, raw))
  if (raw.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  console.log(
    `${report.cards.toLocaleString('en-US')} cards dormant for ${report.minDays}+ days, holding ${formatCents(report.balanceCents)}`,
  )
  for (const d of report.dormant) {
    console.log(
      `  ${d.cardId}  ${formatCents(d.balanceCents).padStart(10)}  idle ${String(d.daysInactive).padStart(4)} days  ${(d.reactivation * 100).toFixed(0).padStart(3)}% likely back within 90 days`,
    )
  }
}
