import { z } from 'zod'
import { formatCents, GiftCardError } from '../core/index.ts'
import type { Journal } from '../finance/index.ts'
import {
  type JournalAccounts,
  postJournal,
  prepareJournal,
  quickbooksEntry,
  quickbooksReady,
  requireUnposted,
} from '../finance/index.ts'
import { Scope } from '../governance/index.ts'
import { defineTool } from './define-tool.ts'
import { journalMonth, journalView } from './prepare-journal-entries.ts'
import { pendingApprovalSchema } from './result-schemas.ts'

const args = z.object({ month: journalMonth, digest: z.string().regex(/^[0-9a-f]{64}$/) })

/**
 * Posting books the whole chain: a pilot's part of it is not a month's close, so a post is
 * refused while a pilot is on (asked for, and again when an approved one runs).
 */
function requireNoPilot(scope: Scope): void {
  if (scope.pilot)
    throw scope.refusal(
      "posting the chain's journal entries",
      "prepare_journal_entries shows the pilot stores' part; post once the pilot is over",
    )
}

export const postJournalEntries = defineTool({
  name: 'post_journal_entries',
  title: 'Post the month-end journal entries to QuickBooks',
  description:
    "Request that a past month's gift card journal entries (as prepare_journal_entries shows them) be posted to QuickBooks Online. It does not act at once: it files an approval request that a manager other than the requester must approve; report the approval id and that it is pending. A month is posted once; asking again for a posted month is refused.",
  input: z.object({
    month: journalMonth.describe('the month to post, YYYY-MM (a month that has ended)'),
  }),
  output: pendingApprovalSchema,
  access: 'write',
  roles: ['analyst', 'manager'],
  // The whole chain's books or nothing: refused while a pilot is on.
  pilot: 'scoped',
  plan: async (ctx, input) => {
    requireNoPilot(ctx.scope)
    if (!quickbooksReady(ctx.config.finance.quickbooks))
      throw new GiftCardError(
        'CONFIG_INVALID',
        'QuickBooks is not configured: set QUICKBOOKS_REALM_ID and QUICKBOOKS_ACCESS_TOKEN',
      )
    const { journal, accounts } = await prepareJournal(ctx.database, ctx.config, {
      month: input.month,
    })
    if (journal.entries.length === 0)
      throw new GiftCardError('CONFLICT', `${input.month} has no journal entry to post`)
    // Every account must map to QuickBooks before anyone is asked to approve.
    for (const entry of journal.entries) quickbooksEntry(entry, accounts)
    await requireUnposted(ctx.database, journal)
    const view = journalView(journal)
    return {
      args: { month: input.month, digest: journal.digest },
      reason: null,
      summary: `Post the gift card journal entries of ${input.month} to QuickBooks: ${journal.entries
        .map((e) => `${e.externalId} ${formatCents(e.totalCents)}`)
        .join(', ')}`,
      details: {
        month: view.month,
        entries: view.entries.map(({ externalId, kind, total, lines }) => ({
          externalId,
          kind,
          total,
          lines: lines.length,
        })),
        totals: view.totals,
        method: view.method.recognition,
        estimator: view.method.estimator,
        digest: journal.digest,
      },
    }
  },
  // QuickBooks is called outside the approval's transaction, each entry recorded as it is
  // answered (finance/postings.ts); the entries must still be the ones approved.
  executor: ({ config }) => ({
    prepare: async (database, raw) => {
      const a = args.parse(raw)
      requireNoPilot(await Scope.resolve(database, config.pilot))
      const prepared = await prepareJournal(database, config, { month: a.month })
      if (prepared.journal.digest !== a.digest)
        throw new GiftCardError(
          'CONFLICT',
          `the ledger changed since this was requested: the entries of ${a.month} are no longer the ones approved; request the post again`,
        )
      await requireUnposted(database, prepared.journal)
      return prepared
    },
    external: async (database, _raw, { approvalId, prepared }) => {
      const { journal, accounts } = prepared as { journal: Journal; accounts: JournalAccounts }
      return postJournal(database, config, journal, accounts, { approvalId })
    },
    apply: async (_database, _trx, raw, { external }) => {
      const result = external as Awaited<ReturnType<typeof postJournal>>
      return {
        month: args.parse(raw).month,
        posted: result.posted.map((p) => ({
          externalId: p.externalId,
          quickbooksId: p.remoteId,
          amount: formatCents(p.amountCents),
        })),
        alreadyPosted: result.alreadyPosted.map((p) => p.externalId),
      }
    },
  }),
})
