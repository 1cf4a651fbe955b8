import { z } from 'zod'
import { findDormantCards as runDormancy } from '../analytics/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money, page } from './format.ts'

export const findDormantCards = defineTool({
  name: 'find_dormant_cards',
  title: 'Find dormant cards',
  description:
    'Cards with a balance and no load or redemption for at least N days (default 90), most likely to be reactivated first, with a 0–1 reactivation likelihood from the purchaser profile. Returns the count and total balance of all dormant cards and a page of them.',
  input: z.object({
    minDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe('days without a load or redemption'),
    minBalanceCents: z.number().int().min(1).default(1).describe('smallest balance, in cents'),
    limit: z.number().int().min(1).max(100).default(20).describe('cards per page'),
    offset: z.number().int().min(0).default(0).describe('where the page starts'),
  }),
  access: 'read',
  roles: ALL_ROLES,
  run: async (ctx, input) => {
    const report = await runDormancy(ctx.database, {
      minDays: input.minDays,
      minBalanceCents: input.minBalanceCents,
      limit: input.limit,
      offset: input.offset,
    })
    return {
      asOf: report.asOf,
      minDays: report.minDays,
      dormantCards: report.cards,
      dormantBalance: money(report.balanceCents),
      ...page(
        report.dormant.map((d) => ({
          cardId: d.cardId,
          balance: money(d.balanceCents),
          daysInactive: d.daysInactive,
          lastActivityAt: d.lastActivityAt,
          reactivation: d.reactivation,
          features: d.features,
        })),
        report.cards,
        input.offset,
      ),
    }
  },
})
