import { type Config, GiftCardError, toIso } from '../core/index.ts'
import { type Database, isUniqueViolation } from '../db/index.ts'
import { type JournalAccounts, loadJournalAccounts } from './accounts.ts'
import { quickbooksEntry } from './formats.ts'
import { buildJournal, type Journal, type JournalEntryKind } from './journal.ts'
import { createJournalEntry, type QuickBooksOptions } from './quickbooks.ts'
import {
  type BreakageEstimator,
  FORECAST_ESTIMATOR,
  fixedRateEstimator,
  recognitionSchedule,
} from './recognition.ts'

/**
 * The month's journal from the ledger: the recognition schedule with the configured escheat
 * rules, and its entries under the configured accounts. A read: nothing is stored. This is what
 * `giftcards journal`, `prepare_journal_entries`, `post_journal_entries` and the monthly job
 * call (docs/finance.md).
 */
export async function prepareJournal(
  database: Database,
  config: Config,
  options: {
    month: string
    estimator?: BreakageEstimator
    pilotStores?: readonly string[]
    now?: number
  },
): Promise<{ journal: Journal; accounts: JournalAccounts }> {
  const accounts = loadJournalAccounts(config)
  const { defaultDormancyYears, incorporationState } = config.escheatment
  const schedule = await recognitionSchedule(
    database,
    {
      month: options.month,
      incorporationState,
      defaultRule: {
        kind: 'dormancy',
        dormancyYears: defaultDormancyYears,
        reason: `default: reportable after ${defaultDormancyYears} years of dormancy`,
      },
      estimator:
        options.estimator ??
        (config.finance.breakageRate !== undefined
          ? fixedRateEstimator(config.finance.breakageRate)
          : FORECAST_ESTIMATOR),
      ...(options.pilotStores ? { pilotStores: options.pilotStores } : {}),
    },
    options.now,
  )
  return { journal: buildJournal(schedule, accounts), accounts }
}

export type Posting = {
  month: string
  entry: JournalEntryKind
  externalId: string
  requestId: string
  approvalId: number
  remoteId: string
  amountCents: number
  postedAt: string
}

/** What has been posted of a month, in posting order. */
export async function monthPostings(database: Database, month: string): Promise<Posting[]> {
  const rows = await database.db
    .selectFrom('journal_postings')
    .selectAll()
    .where('month', '=', month)
    .orderBy('posted_at')
    .execute()
  return rows.map((r) => ({
    month: r.month,
    entry: r.entry,
    externalId: r.external_id,
    requestId: r.request_id,
    approvalId: Number(r.approval_id),
    remoteId: r.remote_id,
    amountCents: Number(r.amount_cents),
    postedAt: r.posted_at,
  }))
}

/** The `requestid` of an entry: its id and the approved digest (QuickBooks allows 50 characters). */
export function requestIdOf(externalId: string, digest: string): string {
  return `${externalId}-${digest.slice(0, 16)}`
}

/**
 * Posts the journal's entries to QuickBooks Online that the month has no posting of, in order,
 * recording each as soon as QuickBooks gave its id (outside any transaction: the call is
 * outside too). A month with every entry posted posts nothing. Two runs at once: both may call
 * QuickBooks with the same `requestid` (answered once), and the row's key keeps one record.
 */
export async function postJournal(
  database: Database,
  config: Config,
  journal: Journal,
  accounts: JournalAccounts,
  context: { approvalId: number; http?: QuickBooksOptions },
): Promise<{ posted: Posting[]; alreadyPosted: Posting[] }> {
  const before = await monthPostings(database, journal.month)
  const done = new Set(before.map((p) => p.entry))
  const posted: Posting[] = []
  for (const entry of journal.entries) {
    if (done.has(entry.kind)) continue
    const body = quickbooksEntry(entry, accounts)
    const requestId = requestIdOf(entry.externalId, journal.digest)
    const answer = await createJournalEntry(
      config.finance.quickbooks,
      body,
      requestId,
      context.http,
    )
    const row: Posting = {
      month: journal.month,
      entry: entry.kind,
      externalId: entry.externalId,
      requestId,
      approvalId: context.approvalId,
      remoteId: answer.id,
      amountCents: entry.totalCents,
      postedAt: toIso(Date.now()),
    }
    try {
      await database.db
        .insertInto('journal_postings')
        .values({
          month: row.month,
          entry: row.entry,
          external_id: row.externalId,
          request_id: row.requestId,
          approval_id: row.approvalId,
          digest: journal.digest,
          remote_id: row.remoteId,
          amount_cents: row.amountCents,
          response: JSON.stringify(answer.response).slice(0, 100_000),
          posted_at: row.postedAt,
        })
        .execute()
    } catch (err) {
      // Another run recorded the same entry (QuickBooks answered both with one entry).
      if (!isUniqueViolation(err)) throw err
      continue
    }
    posted.push(row)
  }
  return { posted, alreadyPosted: before }
}

/** CONFLICT when every entry of the journal is posted already: a month is posted once. */
export async function requireUnposted(database: Database, journal: Journal): Promise<Posting[]> {
  const postings = await monthPostings(database, journal.month)
  const done = new Set(postings.map((p) => p.entry))
  if (journal.entries.length > 0 && journal.entries.every((e) => done.has(e.kind)))
    throw new GiftCardError(
      'CONFLICT',
      `the journal entries of ${journal.month} are posted already (${postings
        .map((p) => `${p.externalId} as QuickBooks #${p.remoteId}`)
        .join(', ')}); a month is posted once`,
    )
  return postings
}
