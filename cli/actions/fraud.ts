import { writeFileSync } from 'node:fs'
import { z } from 'zod'
import type { FraudEvaluation, VariantEvaluation } from '../../analytics/index.ts'
import { type AutoHoldOutcome, fileAutoHoldRequests } from '../../app/index.ts'
import { formatCents, GiftCardError, MAX_ROW_ID } from '../../core/index.ts'
import { caseMarkdown, type FraudCase, getFraudCase } from '../../tools/index.ts'
import { chartFileOption, chartFromTool, writeChartFile } from '../chart-file.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { formatReliability } from '../reliability.ts'
import {
  cliFraudAlerts,
  cliFraudDeliverCases,
  cliFraudEval,
  cliFraudScan,
} from '../reports/index.ts'
import { actorFor, callForCommand, runReport, withToolkit } from '../session.ts'

const caseOptions = z.object({ alertId: z.coerce.number().int().positive().max(MAX_ROW_ID) })

export async function runFraudScan(ctx: () => CliContext, raw: Flags): Promise<void> {
  const result = await runReport(ctx(), cliFraudScan, parseOptions(cliFraudScan.input, raw))
  const holds = await autoHold(ctx())
  if (raw.json) {
    console.log(JSON.stringify(holds ? { ...result, autoHold: holds } : result, null, 2))
    return
  }
  console.log(
    `Scanned the ledger in ${result.seconds.toFixed(1)} s: ${result.alerts} alerts (${result.stored} new)\n${Object.entries(
      result.byRule,
    )
      .map(([rule, n]) => `  ${rule.padEnd(28)} ${n}`)
      .join('\n')}`,
  )
  if (holds) printAutoHold(holds, ctx().config.fraud.autoHoldMinScore as number)
}

export async function runFraudAutoHold(
  ctx: () => CliContext,
  raw: { json?: boolean },
): Promise<void> {
  if (ctx().config.fraud.autoHoldMinScore === undefined)
    throw new GiftCardError(
      'INVALID_INPUT',
      'AUTO_HOLD_MIN_SCORE is not set: say which alert score files a hold request, e.g. AUTO_HOLD_MIN_SCORE=0.9',
    )
  const holds = (await autoHold(ctx())) as AutoHoldOutcome
  if (raw.json) console.log(JSON.stringify(holds, null, 2))
  else printAutoHold(holds, ctx().config.fraud.autoHoldMinScore as number)
  if (holds.skipped.some((s) => s.why !== 'asked already')) process.exitCode = 1
}

export async function runFraudAlerts(ctx: () => CliContext, raw: Flags): Promise<void> {
  const input = parseOptions(cliFraudAlerts.input, raw)
  const chartFile = chartFileOption(raw)
  const { total, alerts } = await runReport(ctx(), cliFraudAlerts, input)
  // The chart: alerts of that status raised each month of the year to the ledger's end, by rule.
  const chart =
    chartFile &&
    (await chartFromTool(ctx(), 'alerts-by-rule', 'ledger_metrics', {
      metric: 'fraud_alerts',
      by: ['month', 'rule'],
      ...(input.status !== 'all' ? { status: input.status } : {}),
    }))
  if (raw.json) console.log(JSON.stringify({ total, alerts }, null, 2))
  else {
    console.log(
      `${total} ${input.status === 'all' ? '' : `${input.status} `}alerts${total > alerts.length ? ` (showing ${alerts.length})` : ''}`,
    )
    for (const r of alerts)
      console.log(
        `  #${r.id} ${r.card_id} (…${r.gan_last4}, ${formatCents(r.balance_cents)} left) ${r.rule} score ${r.score.toFixed(2)} ${r.detected_at.slice(0, 16)}: ${r.evidence.reason}`,
      )
  }
  if (chart && chartFile) await writeChartFile(chart, chartFile, Boolean(raw.json))
}

export async function runFraudCase(
  ctx: () => CliContext,
  alertId: string,
  raw: { out?: string; json?: boolean },
): Promise<void> {
  if (!/^\d{1,12}$/.test(alertId))
    throw new GiftCardError(
      'INVALID_INPUT',
      `the alert id must be a whole number, e.g. giftcards fraud case 12 (got ${JSON.stringify(alertId.slice(0, 40))})`,
    )
  const { alertId: id } = parseOptions(caseOptions, { alertId })
  const context = ctx()
  const file = (await withToolkit(context, async (kit, database) =>
    callForCommand(
      'giftcards fraud case',
      kit.executor,
      getFraudCase.name,
      { alertId: id },
      await actorFor(context, database, undefined),
    ),
  )) as FraudCase
  const text = raw.json ? `${JSON.stringify(file, null, 2)}\n` : caseMarkdown(file)
  if (raw.out) {
    try {
      writeFileSync(raw.out, text)
    } catch (err) {
      throw new GiftCardError(
        'INVALID_INPUT',
        `--out: cannot write ${raw.out}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'its directory does not exist' : (err as Error).message}`,
      )
    }
    console.log(`Case file of alert #${id} written to ${raw.out}`)
  } else process.stdout.write(text)
}

export async function runFraudDeliverCases(ctx: () => CliContext): Promise<void> {
  const { deliveries } = await runReport(ctx(), cliFraudDeliverCases, {})
  if (deliveries.length === 0) console.log('No case file is waiting to be posted.')
  for (const d of deliveries)
    console.log(
      `  alert #${d.alertId}: ${d.status === 'pending' ? `still pending (${d.error})` : d.status.replace('_', ' ')}`,
    )
  if (deliveries.some((d) => d.status === 'pending')) process.exitCode = 1
}

export async function runFraudEval(ctx: () => CliContext, raw: Flags): Promise<void> {
  const evaluation = await runReport(ctx(), cliFraudEval, parseOptions(cliFraudEval.input, raw))
  console.log(raw.json ? JSON.stringify(evaluation, null, 2) : describeEvaluation(evaluation))
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
          `alert scores against whether the alert is real (${e.scoreReliability.count.toLocaleString('en-US')} alerts):`,
          ...formatReliability(e.scoreReliability),
        ]
      : []
  return [
    head,
    line('overall', e.overall),
    ...Object.entries(e.byPattern).map(([p, s]) => line(p, s)),
    ...lookalikes,
  ].join('\n')
}

/** After a scan, or on its own: the hold requests AUTO_HOLD_MIN_SCORE asks for (app/auto-hold.ts). */
async function autoHold(context: CliContext): Promise<AutoHoldOutcome | undefined> {
  const minScore = context.config.fraud.autoHoldMinScore
  if (minScore === undefined) return undefined
  return withToolkit(context, (toolkit, database) =>
    fileAutoHoldRequests({ database, toolkit, minScore }, 'cli'),
  )
}

function printAutoHold(outcome: AutoHoldOutcome, minScore: number): void {
  console.log(
    `Hold requests for open alerts scoring ${minScore} or more: ${outcome.filed.length} filed, ${outcome.skipped.length} left alone`,
  )
  for (const f of outcome.filed)
    console.log(
      `  approval #${f.approvalId}: hold ${f.cardId} (alert #${f.alertId}), pending a manager`,
    )
  for (const s of outcome.skipped.filter((s) => s.why !== 'asked already'))
    console.log(`  alert #${s.alertId} (${s.cardId}): ${s.why}`)
}
