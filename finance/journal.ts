import { createHash } from 'node:crypto'
import { GiftCardError } from '../core/index.ts'
import { type Account, type JournalAccounts, payableFor } from './accounts.ts'
import type { RecognitionSchedule } from './recognition.ts'

/** The three entries of a month, in the order they are posted. */
export const JOURNAL_ENTRY_KINDS = ['breakage', 'escheat', 'true_up'] as const
export type JournalEntryKind = (typeof JOURNAL_ENTRY_KINDS)[number]

const SUFFIX: Record<JournalEntryKind, string> = { breakage: 'BRK', escheat: 'ESC', true_up: 'TRU' }

export type JournalLine = {
  account: Account
  /** Which mapped account it is (for the CSV and the tests). */
  role: 'gift_card_liability' | 'breakage_revenue' | 'unclaimed_property_payable'
  debitCents: number
  creditCents: number
  locationId: string
  /** The store's name in the ledger, when known. */
  locationName: string | null
  memo: string
}

export type JournalEntry = {
  kind: JournalEntryKind
  /** NetSuite's External ID and QuickBooks' DocNumber: `GCJ-2026-11-BRK` (21 characters at most). */
  externalId: string
  /** The month's last day, `YYYY-MM-DD`. */
  date: string
  memo: string
  lines: JournalLine[]
  totalCents: number
}

export type Journal = {
  month: string
  entries: JournalEntry[]
  schedule: RecognitionSchedule
  /** SHA-256 of the entries: an approval names it, so what is posted is what was approved. */
  digest: string
}

/**
 * The month's journal entries from its schedule (docs/finance.md "Entries"), one line pair per
 * store: breakage recognised (Dr gift card liability, Cr breakage revenue), the reclass of
 * balances past their escheat deadline (Dr gift card liability, Cr unclaimed property payable,
 * per state), and the true-up of the estimate (either way round). Entries with nothing to post
 * are left out. Each entry's debits equal its credits, or this throws: a journal that does not
 * balance is never handed to anyone.
 */
export function buildJournal(schedule: RecognitionSchedule, accounts: JournalAccounts): Journal {
  const date = lastDay(schedule.month)
  const byStore = (pick: (p: RecognitionSchedule['pools'][number]) => number) => {
    const totals = new Map<string, { cents: number; name: string | null }>()
    for (const pool of schedule.pools) {
      const cents = pick(pool)
      if (cents === 0) continue
      const entry = totals.get(pool.locationId) ?? { cents: 0, name: pool.locationName }
      entry.cents += cents
      totals.set(pool.locationId, entry)
    }
    return [...totals].filter(([, t]) => t.cents !== 0)
  }
  const liability = (cents: number, locationId: string, name: string | null, memo: string) =>
    line(accounts.giftCardLiability, 'gift_card_liability', cents, locationId, name, memo)
  const revenue = (cents: number, locationId: string, name: string | null, memo: string) =>
    line(accounts.breakageRevenue, 'breakage_revenue', cents, locationId, name, memo)

  const entries: JournalEntry[] = []
  const month = schedule.month
  const breakageMemo = `Gift card breakage ${month} (ASC 606-10-55-48 proportional method)`
  const breakage = byStore((p) => p.breakageRecognisedCents).flatMap(([id, t]) => [
    liability(t.cents, id, t.name, breakageMemo),
    revenue(-t.cents, id, t.name, breakageMemo),
  ])
  entries.push(entry('breakage', month, date, breakageMemo, breakage))

  const escheatMemo = `Gift card balances past their unclaimed-property deadline ${month} (ASC 606-10-55-49)`
  const reclass = new Map<string, { cents: number; cards: number; name: string | null }>()
  for (const pool of schedule.pools) {
    if (pool.escheatReclassCents === 0) continue
    const key = `${pool.locationId}\u0000${pool.jurisdiction}`
    const r = reclass.get(key) ?? { cents: 0, cards: 0, name: pool.locationName }
    r.cents += pool.escheatReclassCents
    r.cards += pool.escheatReclassCards
    reclass.set(key, r)
  }
  const escheat = [...reclass].flatMap(([key, r]) => {
    const [id, state] = key.split('\u0000') as [string, string]
    const memo = `${state} unclaimed property: ${r.cards} card${r.cards === 1 ? '' : 's'} past deadline`
    return [
      liability(r.cents, id, r.name, memo),
      line(payableFor(accounts, state), 'unclaimed_property_payable', -r.cents, id, r.name, memo),
    ]
  })
  entries.push(entry('escheat', month, date, escheatMemo, escheat))

  const trueUpMemo = `Gift card breakage true-up ${month}: change of estimate to date`
  // A positive true-up recognises more (Dr liability, Cr revenue); a negative one reverses.
  const trueUp = byStore((p) => p.trueUpCents).flatMap(([id, t]) => [
    liability(t.cents, id, t.name, trueUpMemo),
    revenue(-t.cents, id, t.name, trueUpMemo),
  ])
  entries.push(entry('true_up', month, date, trueUpMemo, trueUp))

  const posted = entries.filter((e) => e.lines.length > 0)
  for (const e of posted) assertBalanced(e)
  return { month, entries: posted, schedule, digest: journalDigest(posted) }
}

/** A line of `cents` (positive: a debit; negative: a credit of its magnitude). */
function line(
  account: Account,
  role: JournalLine['role'],
  cents: number,
  locationId: string,
  locationName: string | null,
  memo: string,
): JournalLine {
  return {
    account,
    role,
    debitCents: Math.max(cents, 0),
    creditCents: Math.max(-cents, 0),
    locationId,
    locationName,
    memo,
  }
}

function entry(
  kind: JournalEntryKind,
  month: string,
  date: string,
  memo: string,
  lines: JournalLine[],
): JournalEntry {
  return {
    kind,
    externalId: `GCJ-${month}-${SUFFIX[kind]}`,
    date,
    memo,
    lines,
    totalCents: lines.reduce((s, l) => s + l.debitCents, 0),
  }
}

/** Debits = credits, every line one-sided and in whole cents; else INTERNAL (a bug, not input). */
export function assertBalanced(entry: JournalEntry): void {
  let debits = 0
  let credits = 0
  for (const l of entry.lines) {
    if (!Number.isSafeInteger(l.debitCents) || !Number.isSafeInteger(l.creditCents))
      throw new GiftCardError('INTERNAL', `${entry.externalId}: an amount is not whole cents`)
    if (l.debitCents > 0 === l.creditCents > 0)
      throw new GiftCardError('INTERNAL', `${entry.externalId}: a line must be a debit or a credit`)
    debits += l.debitCents
    credits += l.creditCents
  }
  if (debits !== credits)
    throw new GiftCardError(
      'INTERNAL',
      `${entry.externalId} does not balance: debits ${debits} ≠ credits ${credits} (cents)`,
    )
}

/** SHA-256 over what would be posted (ids, dates, accounts, amounts, stores, memos). */
export function journalDigest(entries: readonly JournalEntry[]): string {
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex')
}

/** `YYYY-MM` → its last day, `YYYY-MM-DD`. */
export function lastDay(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10)
}
