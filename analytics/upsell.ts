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

/** Where a logged prompt came from: the POS checkout endpoint, or a person who asked to save one. */
export type PromptSource = 'checkout' | 'agent'

/**
 * Logs a prompt to `gift_card_prompts` (the cashier's outcome is recorded later) and returns its
 * id. A checkout prompt is logged once per order: a retried checkout returns the id of the
 * prompt already logged for that order and logs nothing (`created: false`).
 */
export async function logUpsellPrompt(
  database: Database,
  recommendation: UpsellRecommendation,
  origin: { source: PromptSource; locationId?: string | null } = { source: 'agent' },
): Promise<{ id: number; created: boolean }> {
  const checkoutKey = origin.source === 'checkout' ? recommendation.orderId : null
  const row = await database.db
    .insertInto('gift_card_prompts')
    .values({
      order_id: recommendation.orderId,
      recommended: recommendation.recommended ? 1 : 0,
      amount_cents: recommendation.amountCents,
      message: recommendation.message,
      outcome: null,
      created_at: toIso(Date.now()),
      source: origin.source,
      location_id: origin.locationId ?? null,
      score: recommendation.score,
      checkout_key: checkoutKey,
    })
    .onConflict((oc) => oc.column('checkout_key').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (row) return { id: Number(row.id), created: true }
  const existing = await database.db
    .selectFrom('gift_card_prompts')
    .select('id')
    .where('checkout_key', '=', String(checkoutKey))
    .executeTakeFirstOrThrow()
  return { id: Number(existing.id), created: false }
}

/** A prompt as logged, for a retried checkout to be answered with what it was first told. */
export async function promptById(database: Database, id: number) {
  return database.db
    .selectFrom('gift_card_prompts')
    .select(['id', 'order_id', 'recommended', 'amount_cents', 'message', 'score', 'outcome'])
    .where('id', '=', id)
    .executeTakeFirst()
}

export const PROMPT_OUTCOMES = ['accepted', 'declined', 'not_shown'] as const
export type PromptOutcome = (typeof PROMPT_OUTCOMES)[number]

/**
 * What recording an outcome did: `recorded`; `unchanged` when the same outcome was already on
 * the prompt (a retried call); `conflict` when a different one was (the first one stands);
 * `not_found` when no prompt has that id.
 */
export type OutcomeResult =
  | { status: 'recorded' | 'unchanged'; promptId: number; outcome: PromptOutcome }
  | { status: 'conflict'; promptId: number; outcome: PromptOutcome; recorded: string }
  | { status: 'not_found'; promptId: number }

/**
 * Records what the cashier did with a prompt, once: the first outcome stands, so a POS that
 * retries never flips an accepted prompt to declined.
 */
export async function recordPromptOutcome(
  database: Database,
  promptId: number,
  outcome: PromptOutcome,
): Promise<OutcomeResult> {
  const updated = await database.db
    .updateTable('gift_card_prompts')
    .set({ outcome, outcome_at: toIso(Date.now()) })
    .where('id', '=', promptId)
    .where('outcome', 'is', null)
    .executeTakeFirst()
  if (Number(updated.numUpdatedRows) > 0) return { status: 'recorded', promptId, outcome }
  const row = await database.db
    .selectFrom('gift_card_prompts')
    .select('outcome')
    .where('id', '=', promptId)
    .executeTakeFirst()
  if (!row) return { status: 'not_found', promptId }
  return row.outcome === outcome
    ? { status: 'unchanged', promptId, outcome }
    : { status: 'conflict', promptId, outcome, recorded: String(row.outcome) }
}

/** How recommended prompts have fared, overall or per store. */
export type UpsellOutcomes = {
  /** Prompts logged, recommended or not. */
  prompts: number
  /** Prompts that recommended a gift card. */
  recommended: number
  accepted: number
  declined: number
  notShown: number
  /** Recommended prompts still waiting for the cashier's outcome. */
  awaiting: number
  /** accepted / (accepted + declined): prompts never shown do not count against it. */
  acceptanceRate: number | null
}

/** Acceptance of recommended prompts, overall and per store, optionally since a time. */
export async function upsellOutcomes(
  database: Database,
  filters: { since?: string; location?: string; locations?: readonly string[] } = {},
): Promise<UpsellOutcomes & { byLocation: (UpsellOutcomes & { locationId: string | null })[] }> {
  let query = database.db
    .selectFrom('gift_card_prompts')
    .select(['location_id', 'recommended', 'outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['location_id', 'recommended', 'outcome'])
  if (filters.since) query = query.where('created_at', '>=', filters.since)
  if (filters.location) query = query.where('location_id', '=', filters.location)
  if (filters.locations)
    query =
      filters.locations.length === 0
        ? query.where((eb) => eb.val(false))
        : query.where('location_id', 'in', [...filters.locations])
  const rows = await query.execute()
  const total = emptyOutcomes()
  const byLocation = new Map<string | null, UpsellOutcomes>()
  for (const r of rows) {
    const n = Number(r.n)
    for (const into of [total, outcomesOf(byLocation, r.location_id)]) {
      into.prompts += n
      if (Number(r.recommended) !== 1) continue
      into.recommended += n
      if (r.outcome === 'accepted') into.accepted += n
      else if (r.outcome === 'declined') into.declined += n
      else if (r.outcome === 'not_shown') into.notShown += n
      else into.awaiting += n
    }
  }
  return {
    ...withRate(total),
    byLocation: [...byLocation]
      .map(([locationId, o]) => ({ locationId, ...withRate(o) }))
      .sort(
        (a, b) =>
          b.recommended - a.recommended || String(a.locationId).localeCompare(String(b.locationId)),
      ),
  }
}

function emptyOutcomes(): UpsellOutcomes {
  return {
    prompts: 0,
    recommended: 0,
    accepted: 0,
    declined: 0,
    notShown: 0,
    awaiting: 0,
    acceptanceRate: null,
  }
}

function outcomesOf(map: Map<string | null, UpsellOutcomes>, key: string | null): UpsellOutcomes {
  let o = map.get(key)
  if (!o) {
    o = emptyOutcomes()
    map.set(key, o)
  }
  return o
}

function withRate(o: UpsellOutcomes): UpsellOutcomes {
  const decided = o.accepted + o.declined
  return { ...o, acceptanceRate: decided > 0 ? Number((o.accepted / decided).toFixed(4)) : null }
}

/**
 * The upsell model of one ledger, kept warm: the first caller waits for it to load; after
 * `ttlMs` the next caller gets the model it has while a fresh one loads behind it (so a
 * checkout never waits for the ledger to be read again). A failed load is retried next call.
 */
export class UpsellModelCache {
  readonly #database: Database
  readonly #ttlMs: number
  #model: UpsellModel | undefined
  #loading: Promise<UpsellModel> | undefined
  #loadedAt = 0

  constructor(database: Database, options: { ttlMs?: number } = {}) {
    this.#database = database
    this.#ttlMs = options.ttlMs ?? 10 * 60_000
  }

  /** The current model; loads it on first use, refreshes it in the background once stale. */
  get(): Promise<UpsellModel> {
    if (!this.#model) return this.#load()
    if (Date.now() - this.#loadedAt >= this.#ttlMs) void this.#load().catch(() => {})
    return Promise.resolve(this.#model)
  }

  #load(): Promise<UpsellModel> {
    this.#loading ??= loadUpsellModel(this.#database)
      .then((model) => {
        this.#model = model
        this.#loadedAt = Date.now()
        return model
      })
      .finally(() => {
        this.#loading = undefined
      })
    return this.#loading
  }
}

const sharedCaches = new WeakMap<Database, UpsellModelCache>()

/** The one model cache per open ledger, shared by the tool and the checkout endpoint. */
export function upsellModelOf(database: Database): UpsellModelCache {
  let cache = sharedCaches.get(database)
  if (!cache) {
    cache = new UpsellModelCache(database)
    sharedCaches.set(database, cache)
  }
  return cache
}
