import type { Command } from 'commander'
import type { FraudEvaluation } from '../../analytics/index.ts'
import { formatCents } from '../../core/index.ts'
import type { CliContext } from '../context.ts'
import { parseOptions } from '../options.ts'
import { cliFraudAlerts, cliFraudEval, cliFraudScan } from '../reports/index.ts'
import { runReport } from '../session.ts'

export function registerFraud(program: Command, ctx: () => CliContext): void {
  const fraud = program
    .command('fraud')
    .description('fraud detection: scan the ledger, list alerts, measure accuracy')

  fraud
    .command('scan')
    .description('run every detector over the ledger and store new alerts (one per card and rule)')
    .option('--since <YYYY-MM-DD>', 'only events from this day on')
    .option('--json', 'print the result as JSON')
    .action(async (raw) => {
      const result = await runReport(ctx(), cliFraudScan, parseOptions(cliFraudScan.input, raw))
      console.log(
        raw.json
          ? JSON.stringify(result, null, 2)
          : `Scanned the ledger in ${result.seconds.toFixed(1)} s: ${result.alerts} alerts (${result.stored} new)\n${Object.entries(
              result.byRule,
            )
              .map(([rule, n]) => `  ${rule.padEnd(28)} ${n}`)
              .join('\n')}`,
      )
    })

  fraud
    .command('alerts')
    .description('list fraud alerts, highest score first')
    .option('--status <status>', 'open, confirmed, dismissed or all', 'open')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const input = parseOptions(cliFraudAlerts.input, raw)
      const { total, alerts } = await runReport(ctx(), cliFraudAlerts, input)
      if (raw.json) {
        console.log(JSON.stringify({ total, alerts }, null, 2))
        return
      }
      console.log(
        `${total} ${input.status === 'all' ? '' : `${input.status} `}alerts${total > alerts.length ? ` (showing ${alerts.length})` : ''}`,
      )
      for (const r of alerts)
        console.log(
          `  #${r.id} ${r.card_id} (…${r.gan_last4}, ${formatCents(r.balance_cents)} left) ${r.rule} score ${r.score.toFixed(2)} ${r.detected_at.slice(0, 16)}: ${r.evidence.reason}`,
        )
    })

  fraud
    .command('eval')
    .description(
      'card-level precision, recall and F1 per pattern against a labels file from `giftcards seed --labels`',
    )
    .requiredOption('--labels <file>', 'the ground truth (JSON lines)')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const evaluation = await runReport(ctx(), cliFraudEval, parseOptions(cliFraudEval.input, raw))
      console.log(raw.json ? JSON.stringify(evaluation, null, 2) : describeEvaluation(evaluation))
    })
}

function describeEvaluation(e: FraudEvaluation): string {
  const f = (x: number) => x.toFixed(3)
  const line = (name: string, s: FraudEvaluation['overall']) =>
    `  ${name.padEnd(28)} precision ${f(s.precision)}  recall ${f(s.recall)}  F1 ${f(s.f1)}  (${s.truePositives} of ${s.labelled} labelled cards found, ${s.flagged} flagged)`
  return [
    `Fraud detection against ground truth (${e.cards.toLocaleString('en-US')} cards)`,
    line('overall', e.overall),
    ...Object.entries(e.byPattern).map(([p, s]) => line(p, s)),
  ].join('\n')
}
