import { z } from 'zod'
import {
  checkoutSchema,
  loadUpsellModel,
  logUpsellPrompt,
  recommendUpsell as recommend,
  type UpsellModel,
} from '../analytics/index.ts'
import type { Database } from '../db/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'

/** The model reads the whole ledger; it is reused for ten minutes per open database. */
const MODEL_TTL_MS = 10 * 60_000
const models = new WeakMap<Database, { model: Promise<UpsellModel>; at: number }>()

function modelFor(database: Database): Promise<UpsellModel> {
  const cached = models.get(database)
  if (cached && Date.now() - cached.at < MODEL_TTL_MS) return cached.model
  const model = loadUpsellModel(database)
  models.set(database, { model, at: Date.now() })
  model.catch(() => models.delete(database))
  return model
}

export const recommendUpsell = defineTool({
  name: 'recommend_upsell',
  title: 'Recommend a gift card upsell at checkout',
  description:
    "For a checkout (basket total, items with categories, the customer's earlier visits) decide whether the cashier should offer a gift card, for how much, and with what message, from what the ledger shows sells with gift cards. The prompt is logged to gift_card_prompts.",
  input: checkoutSchema.extend({
    orderId: z
      .string()
      .min(1)
      .max(120)
      .default('agent-preview')
      .describe('the POS order id; default a preview'),
  }),
  access: 'read',
  records: true,
  roles: ALL_ROLES,
  run: async (ctx, input) => {
    const recommendation = recommend(await modelFor(ctx.database), input)
    const promptId = await logUpsellPrompt(ctx.database, recommendation)
    return { ...recommendation, promptId }
  },
})
