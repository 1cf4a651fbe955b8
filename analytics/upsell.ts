import { z } from 'zod'
import { formatCents, MAX_CENTS, MAX_COUNT, toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { productAffinity } from './affinity.ts'

/** A checkout as the POS sends it when it asks whether to offer a gift card. */
export const checkoutSchema = z.object({
  orderId: z.string().min(1).max(120).describe('the POS order id the prompt belongs to'),
  totalCents: z.number().int().min(0).max(MAX_CENTS).describe('basket total in cents'),
  items: z
    .array(
      z.object({
        sku: z.string().min(1).max(200).describe('item SKU'),
        category: z.string().min(1).max(80).describe('item category, e.g. home_goods'),
        amountCents: z.number().int().min(0).max(MAX_CENTS).describe('line amount in cents'),
      }),
    )
    .max(500)
    .default([])
    .describe('the basket lines'),
  priorVisits: z
    .number()
    .int()
    .min(0)
    .max(MAX_COUNT)
    .default(0)
    .describe("the customer's earlier visits"),
  at: z.string().max(40).optional().describe('checkout time (ISO 8601); default now'),
})
export type Checkout = z.input<typeof checkoutSchema>

/** What the ledger says about gift card buying, read once and reused for many checkouts. */
export type UpsellModel = {
  /** Lift of each category in orders where a gift card was bought (above 1: goes with gifting). */
  categoryLift: Map<string, number>
  /** The chain's denominations, most sold first. */
  denominations: number[]
  builtAt: string
}

export type UpsellRecommendation = {
  orderId: string
  recommended: boolean
  amountCents: number
  amount: string
  message: string
  /** 0–1: how strongly the basket, the visit history and the season point to a gift card. */
  score: number
  /** What moved the score, largest first. */
  reasons: string[]
  promptId?: number
}

/** Recommend at this score or above. */
export const UPSELL_THRESHOLD = 0.5
const FALLBACK_DENOMINATIONS = [2500, 5000, 7500, 10000]
const HOLIDAY_MONTHS = new Set([10, 11]) // November, December (0-based)

/** Reads category lift alongside gift card purchases and the denominations sold. */
export async function loadUpsellModel(database: Database): Promise<UpsellModel> {
  const [affinity, denominations] = await Promise.all([
    productAffinity(database, { context: 'bought_alongside', level: 'category', minOrders: 3 }),
    database.db
      .selectFrom('gift_card_transactions')
      .select(['amount_cents', (eb) => eb.fn.countAll<number>().as('n')])
      .where('type', '=', 'activate')
      .where('result', '=', 'ok')
      .where('amount_cents', '>', 0)
      .groupBy('amount_cents')
      .orderBy('n', 'desc')
      .orderBy('amount_cents')
      .limit(8)
      .execute(),
  ])
  return {
    categoryLift: new Map(affinity.rows.map((r) => [r.category, r.lift])),
    denominations:
      denominations.length > 0
        ? denominations.map((d) => Number(d.amount_cents))
        : FALLBACK_DENOMINATIONS,
    builtAt: toIso(Date.now()),
  }
}

/**
 * Whether to offer a gift card at this checkout, for how much and with what words. Pure: the
 * same model and checkout give the same answer. The score adds what the ledger and the payload
 * show: categories bought with gift cards (lift), a large basket, a returning customer, the
 * gifting season. The amount is the chain's own denomination nearest half the basket.
 */
export function recommendUpsell(model: UpsellModel, input: Checkout): UpsellRecommendation {
  const checkout = checkoutSchema.parse(input)
  const at = checkout.at ? new Date(checkout.at) : new Date()
  const parts: { weight: number; reason: string }[] = []

  const lifted = checkout.items
    .map((i) => ({ category: i.category, lift: model.categoryLift.get(i.category) ?? 1 }))
    .sort((a, b) => b.lift - a.lift)[0]
  if (lifted && lifted.lift > 1) {
    parts.push({
      weight: 0.25 * Math.min(1, lifted.lift - 1),
      reason: `${lifted.category} is bought with gift cards ${lifted.lift.toFixed(1)}× as often as average`,
    })
  }
  if (checkout.totalCents >= 7500) {
    parts.push({
      weight: checkout.totalCents >= 15000 ? 0.25 : 0.2,
      reason: `a ${formatCents(checkout.totalCents)} basket leaves room for a gift`,
    })
  }
  if (checkout.priorVisits >= 1) {
    parts.push({
      weight: checkout.priorVisits >= 5 ? 0.1 : 0.15,
      reason: `a returning customer (${checkout.priorVisits} earlier visit${checkout.priorVisits === 1 ? '' : 's'})`,
    })
  }
  if (HOLIDAY_MONTHS.has(at.getUTCMonth())) {
    parts.push({ weight: 0.2, reason: 'the holiday gifting season' })
  }
  const score = Math.min(1, 0.1 + parts.reduce((sum, p) => sum + p.weight, 0))
  const amountCents = nearestDenomination(model.denominations, checkout.totalCents / 2)
  const recommended = score >= UPSELL_THRESHOLD && checkout.totalCents > 0
  const category = lifted?.category.replaceAll('_', ' ')
  const message = recommended
    ? `Would you like to add a ${formatCents(amountCents)} gift card${
        HOLIDAY_MONTHS.has(at.getUTCMonth()) ? ' for the holidays' : ''
      }? ${category ? `Shoppers who buy ${category} often give one.` : 'It makes an easy gift.'}`
    : 'No gift card prompt for this checkout.'
  return {
    orderId: checkout.orderId,
    recommended,
    amountCents,
    amount: formatCents(amountCents),
    message,
    score: Number(score.toFixed(3)),
    reasons: parts.sort((a, b) => b.weight - a.weight).map((p) => p.reason),
  }
}

function nearestDenomination(denominations: readonly number[], target: number): number {
  let best = denominations[0] ?? 2500
  for (const d of denominations) if (Math.abs(d - target) < Math.abs(best - target)) best = d
  return best
}

/** Logs a prompt to `gift_card_prompts` (the cashier's outcome is recorded later). */
export async function logUpsellPrompt(
  database: Database,
  recommendation: UpsellRecommendation,
): Promise<number> {
  const row = await database.db
    .insertInto('gift_card_prompts')
    .values({
      order_id: recommendation.orderId,
      recommended: recommendation.recommended ? 1 : 0,
      amount_cents: recommendation.amountCents,
      message: recommendation.message,
      outcome: null,
      created_at: toIso(Date.now()),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

/** Records what the cashier did with a prompt: `accepted`, `declined` or `not_shown`. */
export async function recordPromptOutcome(
  database: Database,
  promptId: number,
  outcome: 'accepted' | 'declined' | 'not_shown',
): Promise<void> {
  await database.db
    .updateTable('gift_card_prompts')
    .set({ outcome })
    .where('id', '=', promptId)
    .execute()
}

/** How prompts have fared: the acceptance rate of recommended prompts with a known outcome. */
export async function upsellOutcomes(database: Database): Promise<{
  prompts: number
  withOutcome: number
  accepted: number
  acceptanceRate: number | null
}> {
  const rows = await database.db
    .selectFrom('gift_card_prompts')
    .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('recommended', '=', 1)
    .groupBy('outcome')
    .execute()
  let prompts = 0
  let withOutcome = 0
  let accepted = 0
  for (const r of rows) {
    const n = Number(r.n)
    prompts += n
    if (r.outcome && r.outcome !== 'not_shown') withOutcome += n
    if (r.outcome === 'accepted') accepted += n
  }
  return {
    prompts,
    withOutcome,
    accepted,
    acceptanceRate: withOutcome > 0 ? accepted / withOutcome : null,
  }
}
