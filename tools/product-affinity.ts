import { z } from 'zod'
import { AFFINITY_CONTEXTS, productAffinity as runAffinity } from '../analytics/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { pilotStores } from './pilot.ts'

/** product_affinity's result: the orders compared and the items by lift. */
export const productAffinityOutput = z.object({
  context: z.enum(AFFINITY_CONTEXTS),
  level: z.enum(['category', 'sku']),
  orders: z.number(),
  contextOrders: z.number(),
  tested: z.number(),
  significant: z.number(),
  note: z.string().optional(),
  items: z.array(
    z.object({
      item: z.string(),
      category: z.string(),
      support: z.number(),
      confidence: z.number(),
      lift: z.number(),
      orders: z.number(),
      significant: z.boolean(),
      qValue: z.number(),
    }),
  ),
})
export type ProductAffinityResult = z.infer<typeof productAffinityOutput>

export const productAffinity = defineTool({
  name: 'product_affinity',
  title: 'Product affinity with gift cards',
  description:
    'Which product categories (or SKUs) are bought with gift card redemptions (redeemed_with) or alongside gift card purchases (bought_alongside), with support, confidence, lift (above 1 means it goes with gift cards more than average) and whether the difference holds beyond chance (significant: Benjamini–Hochberg q ≤ 0.05); `note` says when the data is too thin or has nothing to compare with.',
  input: z.object({
    context: z
      .enum(AFFINITY_CONTEXTS)
      .default('redeemed_with')
      .describe('redeemed_with or bought_alongside'),
    level: z.enum(['category', 'sku']).default('category').describe('categories or SKUs'),
    limit: z.number().int().min(1).max(50).default(10).describe('how many items'),
  }),
  output: productAffinityOutput,
  access: 'read',
  roles: ALL_ROLES,
  // Orders placed at pilot stores only.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const report = await runAffinity(ctx.database, {
      context: input.context,
      level: input.level,
      limit: input.limit,
      ...pilotStores(ctx),
    })
    return {
      context: report.context,
      level: report.level,
      orders: report.orders,
      contextOrders: report.contextOrders,
      tested: report.tested,
      significant: report.significant,
      ...(report.note ? { note: report.note } : {}),
      items: report.rows.slice(0, input.limit).map((r) => ({
        item: r.item,
        category: r.category,
        support: Number(r.support.toFixed(4)),
        confidence: Number(r.confidence.toFixed(4)),
        lift: Number(r.lift.toFixed(3)),
        orders: r.orders,
        significant: r.significant,
        qValue: Number(r.qValue.toPrecision(3)),
      })),
    }
  },
})
