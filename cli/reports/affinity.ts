import { z } from 'zod'
import { AFFINITY_CONTEXTS, productAffinity } from '../../analytics/index.ts'
import { pilotStores } from '../../tools/index.ts'
import { intOption } from '../options.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards affinity`: what is bought alongside gift cards, or with them. */
export const cliAffinity = defineReport({
  name: 'cli_affinity',
  title: 'Product affinity (giftcards affinity)',
  command: 'giftcards affinity',
  description:
    'Categories or SKUs bought alongside gift card purchases or with gift card redemptions: support, confidence and lift against all orders.',
  input: z.object({
    context: z
      .enum(AFFINITY_CONTEXTS, { error: `must be ${AFFINITY_CONTEXTS.join(' or ')}` })
      .default('bought_alongside')
      .describe('bought_alongside or redeemed_with'),
    level: z
      .enum(['category', 'sku'], { error: 'must be category or sku' })
      .default('category')
      .describe('categories or SKUs'),
    minOrders: intOption(1, 1_000_000)
      .default(5)
      .describe('leave out items in fewer orders of the context'),
    limit: intOption(1, 500).default(20).describe('how many rows'),
  }),
  roles: rolesOf('product_affinity'),
  pilot: 'scoped',
  run: (ctx, input) => productAffinity(ctx.database, { ...input, ...pilotStores(ctx) }),
})
