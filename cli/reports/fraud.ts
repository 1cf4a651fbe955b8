import { existsSync } from 'node:fs'
import { z } from 'zod'
import {
  evaluateAlerts,
  evaluateWorlds,
  type FraudAlert,
  type FraudEvaluation,
  saveAlerts,
  scanLedger,
  type VariantEvaluation,
} from '../../analytics/index.ts'
import { GiftCardError, parseDate, toIso } from '../../core/index.ts'
import { countAll } from '../../db/index.ts'
import { cardsInScope } from '../../governance/index.ts'
import { generateVariant, HELD_OUT_SEED } from '../../synth/fraud-variants.ts'
import { readLabels } from '../../synth/measure.ts'
import { chainCalendar, type ToolContext } from '../../tools/index.ts'
import { dayOption, intOption } from '../options.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards fraud scan`: every detector over the ledger; new alerts are stored. */
export const cliFraudScan = defineReport({
  name: 'cli_fraud_scan',
  title: 'Fraud scan (giftcards fraud scan)',
  command: 'giftcards fraud scan',
  description:
    'Runs every fraud detector over the ledger (or from a day on) and stores new alerts, one per card and rule.',
  input: z.object({
    since: dayOption.optional().describe('only events from this day on (default: all)'),
  }),
  roles: rolesOf('scan_for_fraud'),
  records: true,
  // The detectors watch every event; only alerts on the pilot's cards are kept.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const started = performance.now()
    // A day is a calendar day of the chain (its timezone), from its first instant.
    const since = input.since === undefined ? undefined : await windowStart(ctx, input.since)
    const scanned = await scanLedger(ctx.database, since !== undefined ? { since } : {})
    const alerts = await pilotAlerts(ctx, scanned)
    const stored = await saveAlerts(ctx.database, alerts)
    const byRule: Record<string, number> = {}
    for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1
    return {
      ...(since !== undefined ? { since } : {}),
      alerts: alerts.length,
      stored,
      byRule,
      seconds: (performance.now() - started) / 1000,
    }
  },
})

/** `giftcards fraud alerts`: alerts, highest score first, with the detector's reason. */
export const cliFraudAlerts = defineReport({
  name: 'cli_fraud_alerts',
  title: 'Fraud alerts (giftcards fraud alerts)',
  command: 'giftcards fraud alerts',
  description: 'Fraud alerts of one status (or all), highest score first, with their evidence.',
  input: z.object({
    status: z
      .enum(['open', 'confirmed', 'dismissed', 'all'], {
        error: 'must be open, confirmed, dismissed or all',
      })
      .default('open')
      .describe('which alerts'),
    limit: intOption(1, 10_000).default(50).describe('how many'),
  }),
  roles: rolesOf('list_fraud_alerts'),
  pilot: 'scoped',
  run: async (ctx, input) => {
    const { db } = ctx.database
    let query = db
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
    let count = db
      .selectFrom('fraud_alerts as a')
      .innerJoin('gift_cards as c', 'c.id', 'a.card_id')
      .select(countAll().as('n'))
    if (input.status !== 'all') {
      query = query.where('a.status', '=', input.status)
      count = count.where('a.status', '=', input.status)
    }
    if (ctx.scope.pilot) {
      query = query.where('c.issuing_location_id', 'in', ctx.scope.inList)
      count = count.where('c.issuing_location_id', 'in', ctx.scope.inList)
    }
    const rows = await query
      .orderBy('a.score', 'desc')
      .orderBy('a.detected_at', 'desc')
      .limit(input.limit)
      .execute()
    const total = (await count.executeTakeFirstOrThrow()).n
    return {
      total,
      alerts: rows.map((r) => ({
        ...r,
        evidence: JSON.parse(r.evidence) as { reason: string } & Record<string, unknown>,
      })),
    }
  },
})

/** `giftcards fraud eval`: card-level precision and recall against a labels file or variants. */
export const cliFraudEval = defineReport({
  name: 'cli_fraud_eval',
  title: 'Fraud detection accuracy (giftcards fraud eval)',
  command: 'giftcards fraud eval',
  description:
    'Scores the detectors: either scans the ledger (storing nothing) against ground-truth labels from giftcards seed --labels, or runs them on N worlds of the variant generator (every pattern and its benign look-alikes, parameters drawn at random); precision, recall and F1 per pattern.',
  input: z
    .object({
      labels: z
        .string()
        .min(1, { error: 'is required' })
        .max(4096, { error: 'is too long a path' })
        .optional()
        .describe('the ground-truth file (JSON lines) written by giftcards seed --labels'),
      variants: intOption(1, 10_000)
        .optional()
        .describe('score on this many worlds of the variant generator instead of the ledger'),
      seed: intOption(1, 1_000_000_000)
        .default(HELD_OUT_SEED)
        .describe(
          `the first variant seed (default ${HELD_OUT_SEED}: held-out seeds the tuning never saw)`,
        ),
    })
    .refine((v) => (v.labels === undefined) !== (v.variants === undefined), {
      error: 'give either --labels FILE or --variants N',
    }),
  roles: rolesOf('list_fraud_alerts'),
  // Scored on the pilot's cards only: their alerts against their labels.
  pilot: 'scoped',
  run: async (ctx, input): Promise<FraudEvaluation | VariantEvaluation> => {
    if (input.variants !== undefined) {
      // Synthetic worlds, not the ledger: nothing of the chain is read, so no pilot applies.
      const first = input.seed
      return evaluateWorlds(
        (function* () {
          for (let s = first; s < first + (input.variants as number); s++) yield generateVariant(s)
        })(),
      )
    }
    const path = input.labels as string
    if (!existsSync(path)) throw new GiftCardError('INVALID_INPUT', `--labels: no file ${path}`)
    const alerts = await pilotAlerts(ctx, await scanLedger(ctx.database))
    let cards = ctx.database.db.selectFrom('gift_cards').select(countAll().as('n'))
    if (ctx.scope.pilot) cards = cards.where('issuing_location_id', 'in', ctx.scope.inList)
    const { n } = await cards.executeTakeFirstOrThrow()
    let labels = readLabels(path)
    if (ctx.scope.pilot) {
      const inScope = await cardsInScope(
        ctx.database,
        ctx.scope,
        labels.map((l) => l.card_id),
      )
      labels = labels.filter((l) => inScope.has(l.card_id))
    }
    return evaluateAlerts(alerts, labels, n)
  },
})

/** The instant a `--since` day begins on the chain's calendar (an instant given in full stays). */
async function windowStart(ctx: ToolContext, since: string): Promise<string> {
  if (/^\d{4}-\d{2}-\d{2}$/.test(since)) return (await chainCalendar(ctx)).start(since)
  return toIso(parseDate(since))
}

/** The alerts on the pilot's cards (all of them without a pilot). */
async function pilotAlerts(ctx: ToolContext, alerts: FraudAlert[]): Promise<FraudAlert[]> {
  if (!ctx.scope.pilot) return alerts
  const inScope = await cardsInScope(
    ctx.database,
    ctx.scope,
    alerts.map((a) => a.cardId),
  )
  return alerts.filter((a) => inScope.has(a.cardId))
}
