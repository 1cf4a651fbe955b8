import type { Command } from 'commander'
import type { FraudEvaluation, VariantEvaluation } from '../../analytics/index.ts'
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
      'card-level precision, recall and F1 per pattern, against a labels file from `giftcards seed --labels` or on N worlds of the variant generator',
    )
    .option('--labels <file>', 'the ground truth (JSON lines)')
    .option('--variants <n>', 'score on N generated worlds instead (patterns and look-alikes)')
    .option('--seed <n>', 'first variant seed (default 1001, the held-out seeds)')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const evaluation = await runReport(ctx(), cliFraudEval, parseOptions(cliFraudEval.input, raw))
      console.log(raw.json ? JSON.stringify(evaluation, null, 2) : describeEvaluation(evaluation))
    })
}

function describeEvaluation(e: FraudEvaluation | VariantEvaluation): string {
  const f = (x: number) => x.toFixed(3)
  const line = (name: string, s: FraudEvaluation['overall']) =>
    `  ${name.padEnd(28)} precision ${f(s.precision)}  recall ${f(s.recall)}  F1 ${f(s.f1)}  (${s.truePositives} of ${s.labelled} labelled cards found, ${s.flagged} flagged)`
  const head =
    'worlds' in e
      ? `Fraud detection on ${e.worlds} generated worlds, seeds ${e.seeds.first}–${e.seeds.last} (${e.cards.toLocaleString('en-US')} cards)`
      : `Fraud detection against ground truth (${e.cards.toLocaleString('en-US')} cards)`
  const lookalikes =
    'worlds' in e
      ? [
          'benign look-alikes flagged (by any rule):',
          ...Object.entries(e.lookalikes).map(
            ([kind, l]) => `  ${kind.padEnd(28)} ${l.flagged} of ${l.cards} cards`,
          ),
        ]
      : []
  return [
    head,
    line('overall', e.overall),
    ...Object.entries(e.byPattern).map(([p, s]) => line(p, s)),
    ...lookalikes,
  ].join('\n')
}
