import { Hono } from 'hono'
import { z } from 'zod'
import {
  logUpsellPrompt,
  PROMPT_OUTCOMES,
  promptById,
  recommendUpsell,
  recordPromptOutcome,
  type UpsellModelCache,
} from '../analytics/index.ts'
import {
  type Config,
  centsToMajor,
  createLogger,
  isGiftCardError,
  type Logger,
} from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { Scope } from '../governance/index.ts'
import {
  genericSource,
  internalError,
  majorAmount,
  parseAs,
  parseJson,
  type RequestIdEnv,
  readBody,
  type WebhookSource,
} from '../ingest/index.ts'

/** A checkout is a few kilobytes; 256 KiB leaves room for a 500-line basket. */
const MAX_BODY_BYTES = 256 * 1024

/**
 * The finalized sale the POS sends before it closes the checkout (docs/checkout.md). Amounts in
 * major units, as on the generic webhook; the customer's history is what the POS knows of them.
 */
export const checkoutPayloadSchema = z.object({
  order_id: z.string().min(1).max(120),
  location_id: z.string().min(1).max(120).nullish(),
  created_at: z.iso.datetime({ offset: true }).optional(),
  currency: z.string().length(3).default('USD'),
  total: majorAmount.refine((cents) => cents >= 0, 'must not be negative'),
  items: z
    .array(
      z.object({
        sku: z.string().min(1).max(200),
        category: z.string().min(1).max(80),
        amount: majorAmount.optional(),
      }),
    )
    .max(500)
    .default([]),
  customer: z
    .object({
      id: z.string().min(1).max(120).nullish(),
      prior_visits: z.number().int().min(0).max(1_000_000).default(0),
    })
    .optional(),
})

/** What the cashier did with the prompt. */
export const outcomePayloadSchema = z.object({
  prompt_id: z.number().int().positive(),
  outcome: z.enum(PROMPT_OUTCOMES),
})

export type CheckoutServices = {
  database: Database
  /** The upsell model, kept warm (analytics/upsell.ts upsellModelOf). */
  model: Pick<UpsellModelCache, 'get'>
  /** GENERIC_WEBHOOK_SECRET: checkouts are signed like the generic webhook. */
  secret: string | undefined
  /** PILOT_LOCATIONS / PILOT_JURISDICTIONS: a store outside the pilot is never prompted. */
  pilot?: Config['pilot']
  logger?: Logger
}

/**
 * `POST /pos/checkout` → `{recommend, amount, message, prompt_id}` and
 * `POST /pos/checkout/outcome`. Both are signed like the generic webhook
 * (`x-giftcards-signature`); both log to `gift_card_prompts`. A retried checkout for the same
 * order is answered with the prompt it was first given, and logs nothing new. Under a pilot
 * (docs/pilot.md) a store outside it is answered `recommend: false` saying so, and nothing is
 * logged.
 */
export function checkoutRoutes(services: CheckoutServices): Hono<RequestIdEnv> {
  const source: WebhookSource | undefined = services.secret
    ? genericSource({ secret: services.secret })
    : undefined
  const logger = services.logger ?? createLogger()
  const app = new Hono<RequestIdEnv>()

  app.post('/pos/checkout', async (c) => {
    const body = await signedBody(c, source)
    if ('refusal' in body) return c.json({ error: body.refusal.error }, body.refusal.status)
    const sale = parseAs(parseJson(body.raw), checkoutPayloadSchema)
    const scope = await Scope.resolve(services.database, services.pilot)
    if (!scope.includesStore(sale.location_id))
      return c.json({
        prompt_id: null,
        recommend: false,
        amount: null,
        amount_cents: null,
        message: `${sale.location_id ? `store ${sale.location_id}` : 'a checkout that names no store'} is outside the gift card pilot (${scope.describe()}): no prompt is offered`,
        score: null,
        outside_pilot: true,
      })
    const recommendation = recommendUpsell(await services.model.get(), {
      orderId: sale.order_id,
      totalCents: sale.total,
      items: sale.items.map((i) => ({
        sku: i.sku,
        category: i.category,
        amountCents: i.amount ?? 0,
      })),
      priorVisits: sale.customer?.prior_visits ?? 0,
      ...(sale.created_at ? { at: sale.created_at } : {}),
    })
    const prompt = await logUpsellPrompt(services.database, recommendation, {
      source: 'checkout',
      locationId: sale.location_id ?? null,
    })
    const answer = prompt.created
      ? {
          recommended: recommendation.recommended,
          amountCents: recommendation.amountCents,
          message: recommendation.message,
          score: recommendation.score,
        }
      : await firstAnswer(services.database, prompt.id)
    return c.json({
      prompt_id: prompt.id,
      recommend: answer.recommended,
      amount: answer.recommended ? centsToMajor(answer.amountCents) : null,
      amount_cents: answer.recommended ? answer.amountCents : null,
      message: answer.message,
      score: answer.score,
      ...(prompt.created ? {} : { replayed: true }),
    })
  })

  app.post('/pos/checkout/outcome', async (c) => {
    const body = await signedBody(c, source)
    if ('refusal' in body) return c.json({ error: body.refusal.error }, body.refusal.status)
    const { prompt_id, outcome } = parseAs(parseJson(body.raw), outcomePayloadSchema)
    const result = await recordPromptOutcome(services.database, prompt_id, outcome)
    if (result.status === 'not_found') return c.json({ error: `no prompt #${prompt_id}` }, 404)
    if (result.status === 'conflict')
      return c.json(
        {
          error: `prompt #${prompt_id} already has the outcome ${result.recorded}; the first outcome stands`,
        },
        409,
      )
    return c.json({ prompt_id, outcome, status: result.status })
  })

  app.onError((err, c) =>
    isGiftCardError(err, 'INVALID_INPUT')
      ? c.json({ error: err.message }, 400)
      : internalError(c, err, logger),
  )
  return app
}

type Refusal = { status: 401 | 413 | 503; error: string }

/** The request's body if it is signed and small enough, or why it is refused. */
async function signedBody(
  c: Parameters<typeof readBody>[0],
  source: WebhookSource | undefined,
): Promise<{ raw: string } | { refusal: Refusal }> {
  if (!source)
    return {
      refusal: {
        status: 503,
        error: 'the checkout endpoint is not configured: set GENERIC_WEBHOOK_SECRET',
      },
    }
  const raw = await readBody(c, MAX_BODY_BYTES)
  if (raw === undefined)
    return { refusal: { status: 413, error: `body too large (over ${MAX_BODY_BYTES} bytes)` } }
  if (!source.verify(raw, c.req.raw.headers))
    return { refusal: { status: 401, error: 'invalid signature' } }
  return { raw }
}

/** What a retried checkout was first told, read back from its prompt. */
async function firstAnswer(database: Database, id: number) {
  const row = await promptById(database, id)
  if (!row) throw new Error(`prompt #${id} vanished`)
  return {
    recommended: Number(row.recommended) === 1,
    amountCents: Number(row.amount_cents),
    message: row.message,
    score: row.score === null ? null : Number(row.score),
  }
}
