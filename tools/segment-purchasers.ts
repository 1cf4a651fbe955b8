import { z } from 'zod'
import { segmentPurchasers as runSegments, type SegmentRow } from '../analytics/index.ts'
import { ledgerUpTo } from './chain-calendar.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money } from './format.ts'
import { pilotStores } from './pilot.ts'
import { moneySchema } from './result-schemas.ts'

const row = (r: SegmentRow) => ({
  segment: r.segment,
  purchasers: r.purchasers,
  cards: r.cards,
  liability: money(r.liabilityCents),
  averageBalance: money(r.averageBalanceCents),
  features: Object.fromEntries(
    Object.entries(r.features).map(([k, v]) => [k, Number(v.toFixed(3))]),
  ),
})

const segmentRowSchema = z.object({
  segment: z.string(),
  purchasers: z.number(),
  cards: z.number(),
  liability: moneySchema,
  averageBalance: moneySchema,
  features: z.record(z.string(), z.number()),
})

/** segment_purchasers' result: the segments asked for (by occasion, by behaviour or both). */
export const segmentPurchasersOutput = z.object({
  asOf: z.string(),
  ledgerUpTo: z.string().nullable(),
  byOccasion: z.array(segmentRowSchema).optional(),
  byBehaviour: z.array(segmentRowSchema).optional(),
})
export type SegmentPurchasersResult = z.infer<typeof segmentPurchasersOutput>

export const segmentPurchasers = defineTool({
  name: 'segment_purchasers',
  title: 'Segment gift card purchasers',
  description:
    'Segment purchasers by why they buy (holiday gifter, corporate / bulk buyer, birthday / occasional, self-use) and by how their cards are used (fast, slow / partial, dormant, too new), with purchaser and card counts, liability, average balance and the features that put them there. Deterministic.',
  input: z.object({
    by: z
      .enum(['occasion', 'behaviour', 'both'])
      .default('both')
      .describe('which segmentation to return'),
  }),
  output: segmentPurchasersOutput,
  access: 'read',
  roles: ALL_ROLES,
  // Purchasers by their cards from pilot stores only.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const report = await runSegments(ctx.database, pilotStores(ctx))
    return {
      asOf: report.asOf,
      ledgerUpTo: await ledgerUpTo(ctx),
      ...(input.by !== 'behaviour' ? { byOccasion: report.byOccasion.map(row) } : {}),
      ...(input.by !== 'occasion' ? { byBehaviour: report.byBehaviour.map(row) } : {}),
    }
  },
})
