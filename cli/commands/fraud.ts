import type { Command } from 'commander'
import type { CliContext } from '../context.ts'
import { CHART_OPTION } from '../flags.ts'

export function registerFraud(program: Command, ctx: () => CliContext): void {
  const fraud = program
    .command('fraud')
    .description('fraud detection: scan the ledger, list alerts, measure accuracy')

  fraud
    .command('scan')
    .description('run every detector over the ledger and store new alerts (one per card and rule)')
    .option('--since <YYYY-MM-DD>', 'only events from this day on')
    .option('--json', 'print the result as JSON')
    .action(async (raw) => (await import('../actions/fraud.ts')).runFraudScan(ctx, raw))

  fraud
    .command('auto-hold')
    .description(
      'file a hold request for every open alert scoring at least AUTO_HOLD_MIN_SCORE (once per card; a manager decides each)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (raw: { json?: boolean }) =>
      (await import('../actions/fraud.ts')).runFraudAutoHold(ctx, raw),
    )

  fraud
    .command('alerts')
    .description('list fraud alerts, highest score first')
    .option('--status <status>', 'open, confirmed, dismissed or all', 'open')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print as JSON')
    .option(...CHART_OPTION)
    .action(async (raw) => (await import('../actions/fraud.ts')).runFraudAlerts(ctx, raw))

  fraud
    .command('case <alertId>')
    .description(
      "an alert's case file: the card's timeline with stores, terminals and employees, related cards, the rule's reasons and score, holds and approvals",
    )
    .option('--out <file>', 'write it to this file (Markdown, or JSON with --json)')
    .option('--json', 'JSON instead of Markdown')
    .action(async (alertId: string, raw: { out?: string; json?: boolean }) =>
      (await import('../actions/fraud.ts')).runFraudCase(ctx, alertId, raw),
    )

  fraud
    .command('deliver-cases')
    .description(
      'post the confirmed alerts whose case file has not reached CASE_WEBHOOK_URL yet (a failed post is kept and retried here)',
    )
    .action(async () => (await import('../actions/fraud.ts')).runFraudDeliverCases(ctx))

  fraud
    .command('eval')
    .description(
      'card-level precision, recall and F1 per pattern, against a labels file from `giftcards seed --labels` or on N worlds of the variant generator',
    )
    .option('--labels <file>', 'the ground truth (JSON lines)')
    .option('--variants <n>', 'score on N generated worlds instead (patterns and look-alikes)')
    .option('--seed <n>', 'first variant seed (default 1001, the held-out seeds)')
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/fraud.ts')).runFraudEval(ctx, raw))
}
