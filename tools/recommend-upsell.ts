import { z } from 'zod'
import {
  checkoutSchema,
  logUpsellPrompt,
  recommendUpsell as recommend,
  upsellModelOf,
} from '../analytics/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'

/** recommend_upsell's result: offer or not, how much, the message, the score and why. */
export const recommendUpsellOutput = z.object({
  orderId: z.string(),
  recommended: z.boolean(),
  amountCents: z.number(),
  amount: z.string(),
  message: z.string(),
  score: z.number(),
  reasons: z.array(z.string()),
  /** Set when `save` logged the prompt. */
  promptId: z.number().optional(),
})
export type RecommendUpsellResult = z.infer<typeof recommendUpsellOutput>

export const recommendUpsell = defineTool({
  name: 'recommend_upsell',
  title: 'Recommend a gift card upsell at checkout',
  description:
    "For a checkout (basket total, items with categories, the customer's earlier visits) decide whether the cashier should offer a gift card, for how much, and with what message, from what the ledger shows sells with gift cards. A preview: nothing is stored unless save is true (the POS checkout endpoint, POST /pos/checkout, logs every real prompt to gift_card_prompts).",
  input: checkoutSchema.extend({
    orderId: z
      .string()
      .min(1)
      .max(120)
      .default('agent-preview')
      .describe('the POS order id; default a preview'),
    save: z
      .boolean()
      .default(false)
      .describe('log this prompt to gift_card_prompts (only when the person asks to keep it)'),
  }),
  output: recommendUpsellOutput,
  access: 'read',
  records: 'on_request',
  roles: ALL_ROLES,
  pilot: {
    unscoped:
      'a what-if on a basket the caller describes: it reads no card and names no store, and its model is basket statistics (category lift, denominations); the POS checkout endpoint refuses stores outside the pilot',
  },
  run: async (ctx, { save, ...checkout }) => {
    const recommendation = recommend(await upsellModelOf(ctx.database).get(), checkout)
    if (!save) return recommendation
    const prompt = await logUpsellPrompt(ctx.database, recommendation, { source: 'agent' })
    return { ...recommendation, promptId: prompt.id }
  },
})
