import { z } from 'zod'
import {
  ownerAddressNote,
  escheatmentReport as runEscheatment,
  unknownJurisdictionNote,
} from '../analytics/index.ts'
import { ledgerUpTo } from './chain-calendar.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money } from './format.ts'
import { pilotStores } from './pilot.ts'
import { moneySchema } from './result-schemas.ts'

/** escheatment_report's result: reportable amounts by claimant state, cards, and what is unknown. */
export const escheatmentReportOutput = z.object({
  asOf: z.string(),
  ledgerUpTo: z.string().nullable(),
  horizonMonths: z.number(),
  reportable: moneySchema,
  jurisdictions: z.array(
    z.object({
      jurisdiction: z.string(),
      status: z.enum(['reportable', 'exempt']),
      rule: z.string(),
      cards: z.number(),
      amount: moneySchema,
      overdueCards: z.number(),
    }),
  ),
  totalCards: z.number(),
  cards: z.array(
    z.object({
      cardId: z.string(),
      jurisdiction: z.string(),
      basis: z.enum(['owner_address', 'incorporation']),
      balance: moneySchema,
      lastActivityAt: z.string(),
      deadline: z.string(),
      overdue: z.boolean(),
    }),
  ),
  unknownJurisdiction: z
    .object({
      cards: z.number(),
      liability: moneySchema,
      stores: z.number(),
      withoutStore: z.object({ cards: z.number(), liability: moneySchema }),
      note: z.string(),
    })
    .optional(),
  ownerAddressUnknown: z
    .object({ cards: z.number(), amount: moneySchema, note: z.string() })
    .optional(),
})
export type EscheatmentReportResult = z.infer<typeof escheatmentReportOutput>

export const escheatmentReport = defineTool({
  name: 'escheatment_report',
  title: 'Escheatment (unclaimed property) report',
  description:
    'Cards whose unclaimed-property dormancy deadline falls within the horizon (default 6 months; overdue ones included), by the jurisdiction with the first claim (owner address, else the issuer state), with amounts. Exempt jurisdictions are shown as exempt. Filter to one state with jurisdiction. unknownJurisdiction / ownerAddressUnknown, when present, carry a note to pass on: cards at stores whose state is unknown, and cards whose owner address is unknown (master data missing).',
  input: z.object({
    horizonMonths: z.number().int().min(0).max(120).default(6).describe('months ahead to look'),
    jurisdiction: z
      .string()
      .max(5)
      .regex(/^US-[A-Z]{2}$/, 'must look like US-CA')
      .optional()
      .describe('only this jurisdiction'),
    cards: z.number().int().min(0).max(100).default(10).describe('how many cards to list'),
  }),
  output: escheatmentReportOutput,
  access: 'read',
  roles: ALL_ROLES,
  // Only cards issued at pilot stores. `jurisdiction` here is the claimant (the owner's state),
  // which a pilot store's card may owe anywhere, so it is not refused.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const { defaultDormancyYears, incorporationState } = ctx.config.escheatment
    const report = await runEscheatment(ctx.database, {
      horizonMonths: input.horizonMonths,
      defaultRule: {
        kind: 'dormancy',
        dormancyYears: defaultDormancyYears,
        reason: `default: reportable after ${defaultDormancyYears} years of dormancy`,
      },
      incorporationState,
      ...pilotStores(ctx),
    })
    const jurisdictions = report.jurisdictions.filter(
      (j) => !input.jurisdiction || j.jurisdiction === input.jurisdiction,
    )
    const cards = report.cards.filter(
      (c) => !input.jurisdiction || c.jurisdiction === input.jurisdiction,
    )
    const unknownNote = unknownJurisdictionNote(report.unknownJurisdiction)
    const ownerNote = ownerAddressNote(
      report.ownerAddressUnknown.cards,
      report.ownerAddressUnknown.amountCents,
      incorporationState,
    )
    return {
      asOf: report.asOf,
      ledgerUpTo: await ledgerUpTo(ctx),
      horizonMonths: report.horizonMonths,
      reportable: money(
        jurisdictions
          .filter((j) => j.status === 'reportable')
          .reduce((s, j) => s + j.amountCents, 0),
      ),
      jurisdictions: jurisdictions.map((j) => ({
        jurisdiction: j.jurisdiction,
        status: j.status,
        rule: j.rule,
        cards: j.cards,
        amount: money(j.amountCents),
        overdueCards: j.overdueCards,
      })),
      totalCards: cards.length,
      cards: cards.slice(0, input.cards).map((c) => ({
        cardId: c.cardId,
        jurisdiction: c.jurisdiction,
        basis: c.basis,
        balance: money(c.balanceCents),
        lastActivityAt: c.lastActivityAt,
        deadline: c.deadline,
        overdue: c.overdue,
      })),
      ...(unknownNote
        ? {
            unknownJurisdiction: {
              cards: report.unknownJurisdiction.cards,
              liability: money(report.unknownJurisdiction.liabilityCents),
              stores: report.unknownJurisdiction.stores,
              withoutStore: {
                cards: report.unknownJurisdiction.withoutStore.cards,
                liability: money(report.unknownJurisdiction.withoutStore.liabilityCents),
              },
              note: unknownNote,
            },
          }
        : {}),
      ...(ownerNote
        ? {
            ownerAddressUnknown: {
              cards: report.ownerAddressUnknown.cards,
              amount: money(report.ownerAddressUnknown.amountCents),
              note: ownerNote,
            },
          }
        : {}),
    }
  },
})
