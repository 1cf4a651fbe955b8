import { z } from 'zod'
import { type Journal, prepareJournal } from '../finance/index.ts'
import { defineTool, type ToolContext } from './define-tool.ts'
import { money } from './format.ts'
import { pilotStores } from './pilot.ts'
import { moneySchema } from './result-schemas.ts'

/** `YYYY-MM` of a month that has ended. */
export const journalMonth = z
  .string()
  .max(7)
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM, like 2026-11')

/** Lines shown per entry in a chat answer; the file formats (`giftcards journal`) carry all. */
const LINES_SHOWN = 40

/** What prepare_journal_entries answers (docs/tools.md "Typed results"). */
export const prepareJournalEntriesOutput = z.object({
  month: z.string(),
  method: z.object({
    recognition: z.string(),
    exclusion: z.string(),
    estimator: z.object({
      name: z.string(),
      modelVersion: z.string(),
      dataWatermarkOpening: z.string().nullable(),
      dataWatermarkClosing: z.string().nullable(),
    }),
    rules: z.array(
      z.object({
        jurisdiction: z.string(),
        rule: z.string(),
        treatment: z.enum(['breakage', 'escheat']),
      }),
    ),
    defaultRule: z.string(),
    incorporationState: z.string(),
    notes: z.array(z.string()),
  }),
  totals: z.object({
    outstanding: moneySchema,
    breakageRecognised: moneySchema,
    trueUp: moneySchema,
    recognisedToDate: moneySchema,
    escheatReclass: moneySchema,
    expectedToEscheat: moneySchema,
  }),
  entries: z.array(
    z.object({
      externalId: z.string(),
      kind: z.string(),
      date: z.string(),
      memo: z.string(),
      total: moneySchema,
      lines: z.array(
        z.object({
          account: z.string(),
          debit: moneySchema,
          credit: moneySchema,
          locationId: z.string().nullable(),
          location: z.string().nullable(),
          memo: z.string(),
        }),
      ),
      moreLines: z.number().optional(),
    }),
  ),
  owedToStates: z.array(
    z.object({
      jurisdiction: z.string(),
      rule: z.string(),
      reclassified: moneySchema,
      reclassifiedCards: z.number(),
      due: moneySchema,
      dueCards: z.number(),
      expectedToEscheat: moneySchema,
    }),
  ),
  digest: z.string(),
})
export type PrepareJournalEntriesResult = z.infer<typeof prepareJournalEntriesOutput>

/** The journal as a tool answers it: entries with their lines, the method and the states owed. */
export function journalView(journal: Journal): PrepareJournalEntriesResult {
  const { schedule } = journal
  return {
    month: journal.month,
    method: schedule.method,
    totals: {
      outstanding: money(schedule.totals.outstandingCents),
      breakageRecognised: money(schedule.totals.breakageRecognisedCents),
      trueUp: money(schedule.totals.trueUpCents),
      recognisedToDate: money(schedule.totals.recognisedToDateCents),
      escheatReclass: money(schedule.totals.escheatReclassCents),
      expectedToEscheat: money(schedule.totals.expectedToEscheatCents),
    },
    entries: journal.entries.map((e) => ({
      externalId: e.externalId,
      kind: e.kind,
      date: e.date,
      memo: e.memo,
      total: money(e.totalCents),
      lines: e.lines.slice(0, LINES_SHOWN).map((l) => ({
        account: l.account.name,
        debit: money(l.debitCents),
        credit: money(l.creditCents),
        locationId: l.locationId,
        location: l.locationName,
        memo: l.memo,
      })),
      ...(e.lines.length > LINES_SHOWN ? { moreLines: e.lines.length - LINES_SHOWN } : {}),
    })),
    owedToStates: schedule.states.map((s) => ({
      jurisdiction: s.jurisdiction,
      rule: s.rule,
      reclassified: money(s.reclassCents),
      reclassifiedCards: s.reclassCards,
      due: money(s.dueCents),
      dueCards: s.dueCards,
      expectedToEscheat: money(s.expectedToEscheatCents),
    })),
    digest: journal.digest,
  }
}

/** The month's journal for a tool call, kept to the pilot's stores when one is on. */
export async function journalFor(ctx: ToolContext, month: string): Promise<Journal> {
  return (await prepareJournal(ctx.database, ctx.config, { month, ...pilotStores(ctx) })).journal
}

export const prepareJournalEntries = defineTool({
  name: 'prepare_journal_entries',
  title: 'Prepare the month-end gift card journal entries',
  description:
    'The journal entries that close a past month (YYYY-MM) for gift cards: breakage revenue recognised in proportion to redemptions (ASC 606-10-55-48; Dr gift card liability, Cr breakage revenue), the reclass of balances past their unclaimed-property deadline (Dr gift card liability, Cr unclaimed property payable; never breakage, ASC 606-10-55-49) and the true-up of the breakage estimate, by store; each entry balances. Also what is owed to each state, and the method and inputs (forecast model version, data watermarks, escheat rules). A read: nothing is posted (post_journal_entries files that for approval). Returns { month, method, totals, entries: [{ externalId, kind, date, total, lines: [{ account, debit, credit, location }] }], owedToStates, digest }.',
  input: z.object({
    month: journalMonth.describe('the month to close, YYYY-MM (a month that has ended)'),
  }),
  output: prepareJournalEntriesOutput,
  access: 'read',
  roles: ['analyst', 'manager'],
  pilot: 'scoped',
  run: async (ctx, input) => journalView(await journalFor(ctx, input.month)),
})
