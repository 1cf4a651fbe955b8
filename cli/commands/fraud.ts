import type { Command } from 'commander'
import { z } from 'zod'
import {
  evaluateAlerts,
  type FraudEvaluation,
  saveAlerts,
  scanLedger,
} from '../../analytics/index.ts'
import { formatCents, toIso } from '../../core/index.ts'
import { countAll } from '../../db/index.ts'
import { readLabels } from '../../synth/measure.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { dateOption, intOption, parseOptions } from '../options.ts'

const scanOptions = z.object({ since: dateOption.optional(), json: z.boolean().default(false) })
const alertsOptions = z.object({
  status: z.enum(['open', 'confirmed', 'dismissed', 'all']).default('open'),
  limit: intOption(1, 10_000).default(50),
  json: z.boolean().default(false),
})
const evalOptions = z.object({ labels: z.string().min(1), json: z.boolean().default(false) })

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
      const options = parseOptions(scanOptions, raw)
      const result = await withDatabase(ctx(), async (database) => {
        const started = performance.now()
        const alerts = await scanLedger(
          database,
          options.since ? { since: toIso(options.since) } : {},
        )
        const stored = await saveAlerts(database, alerts)
        const byRule: Record<string, number> = {}
        for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1
        return {
          alerts: alerts.length,
          stored,
          byRule,
          seconds: (performance.now() - started) / 1000,
        }
      })
      console.log(
        options.json
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
      const options = parseOptions(alertsOptions, raw)
      const { rows, total } = await withDatabase(ctx(), async (database) => {
        let query = database.db
          .selectFrom('fraud_alerts as a')
          .innerJoin('gift_cards as c', 'c.id', 'a.card_id')
          .select([
            'a.id',
            'a.card_id',
            'a.rule',
            'a.score',
            'a.status',
            'a.detected_at',
            'a.evidence',
            'c.balance_cents',
            'c.gan_last4',
          ])
        let count = database.db.selectFrom('fraud_alerts').select(countAll().as('n'))
        if (options.status !== 'all') {
          query = query.where('a.status', '=', options.status)
          count = count.where('status', '=', options.status)
        }
        const rows = await query
          .orderBy('a.score', 'desc')
          .orderBy('a.detected_at', 'desc')
          .limit(options.limit)
          .execute()
        return { rows, total: (await count.executeTakeFirstOrThrow()).n }
      })
      if (options.json) {
        console.log(
          JSON.stringify(
            { total, alerts: rows.map((r) => ({ ...r, evidence: JSON.parse(r.evidence) })) },
            null,
            2,
          ),
        )
        return
      }
      console.log(
        `${total} ${options.status === 'all' ? '' : `${options.status} `}alerts${total > rows.length ? ` (showing ${rows.length})` : ''}`,
      )
      for (const r of rows) {
        const evidence = JSON.parse(r.evidence) as { reason: string }
        console.log(
          `  #${r.id} ${r.card_id} (…${r.gan_last4}, ${formatCents(r.balance_cents)} left) ${r.rule} score ${r.score.toFixed(2)} ${r.detected_at.slice(0, 16)}: ${evidence.reason}`,
        )
      }
    })

  fraud
    .command('eval')
    .description(
      'card-level precision, recall and F1 per pattern against a labels file from `giftcards seed --labels`',
    )
    .requiredOption('--labels <file>', 'the ground truth (JSON lines)')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const options = parseOptions(evalOptions, raw)
      const evaluation = await withDatabase(ctx(), async (database) => {
        const alerts = await scanLedger(database)
        const { n } = await database.db
          .selectFrom('gift_cards')
          .select(countAll().as('n'))
          .executeTakeFirstOrThrow()
        return evaluateAlerts(alerts, readLabels(options.labels), n)
      })
      console.log(
        options.json ? JSON.stringify(evaluation, null, 2) : describeEvaluation(evaluation),
      )
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
