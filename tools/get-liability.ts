import { z } from 'zod'
import { DAY_MS, parseDate, toIso } from '../core/index.ts'
import { LIABILITY_GROUPS, liabilityAsOf } from '../db/index.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money } from './format.ts'

export const getLiability = defineTool({
  name: 'get_liability',
  title: 'Outstanding gift card liability',
  description:
    'Outstanding gift card liability (unredeemed balances) now or at the end of a past day, in total or grouped by jurisdiction (state), issuing location, issue cohort (month), occasion or channel. Use jurisdiction to filter to one state.',
  input: z.object({
    groupBy: z.enum(LIABILITY_GROUPS).default('total').describe('how to group the liability'),
    asOf: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
      .optional()
      .describe('balances at the end of this day; default now'),
    jurisdiction: z
      .string()
      .regex(/^US-[A-Z]{2}$/, 'must look like US-CA')
      .optional()
      .describe('only this jurisdiction, e.g. US-CA'),
    location: z.string().optional().describe('only this issuing location id'),
  }),
  access: 'read',
  roles: ALL_ROLES,
  run: async (ctx, input) => {
    const asOf = input.asOf ? toIso(parseDate(input.asOf) + DAY_MS) : undefined
    const filterGroup = input.jurisdiction
      ? 'jurisdiction'
      : input.location
        ? 'location'
        : undefined
    const groupBy = filterGroup ?? input.groupBy
    let rows = await liabilityAsOf(ctx.database.db, { groupBy, ...(asOf ? { asOf } : {}) })
    const wanted = input.jurisdiction ?? input.location
    if (wanted) rows = rows.filter((r) => r.key === wanted)
    const total = rows.reduce((s, r) => s + r.liabilityCents, 0)
    return {
      asOf: input.asOf ?? 'now',
      groupBy,
      ...(wanted ? { filter: wanted } : {}),
      total: money(total),
      cards: rows.reduce((s, r) => s + r.cards, 0),
      rows: rows.map((r) => ({ key: r.key, cards: r.cards, liability: money(r.liabilityCents) })),
    }
  },
})
