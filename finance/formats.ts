import { GiftCardError } from '../core/index.ts'
import type { JournalAccounts } from './accounts.ts'
import type { Journal, JournalEntry, JournalLine } from './journal.ts'

/** What `giftcards journal --format` writes. */
export const JOURNAL_FORMATS = ['netsuite', 'quickbooks', 'csv'] as const
export type JournalFormat = (typeof JOURNAL_FORMATS)[number]

/**
 * A CSV cell: quoted when it holds a comma, quote or line break, and a text that a spreadsheet
 * would run as a formula (starting `=`, `+`, `-`, `@`, tab or carriage return) is prefixed with
 * `'` so it stays text (OWASP, "CSV Injection"). Store names come from POS master data, so they
 * are not trusted.
 */
export function csvCell(value: string): string {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

const money = (cents: number) => (cents === 0 ? '' : (cents / 100).toFixed(2))

/** `YYYY-MM-DD` → `MM/DD/YYYY`, NetSuite's default (US) date format for CSV imports. */
function netsuiteDate(day: string): string {
  const [y, m, d] = day.split('-')
  return `${m}/${d}/${y}`
}

/** The store as NetSuite names it: the mapping's name, else the ledger's store name, else its id. */
function netsuiteLocation(accounts: JournalAccounts, line: JournalLine): string {
  return accounts.locations[line.locationId]?.netsuite ?? line.locationName ?? line.locationId
}

/**
 * NetSuite's journal entry CSV import (Setup > Import/Export > Import CSV Records > Transactions
 * > Journal Entry), one row per line; rows sharing an External ID form one entry, so importing
 * the file again updates (or is refused as a duplicate of) the entries instead of adding new
 * ones. Columns from Oracle's "Journal Entry and Intercompany Journal Entry Header Fields" and
 * "Line-Level Fields" tables (docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/
 * section_1534492479.html and section_1534492737.html): External ID, Date, Subsidiary (OneWorld
 * only, so only when configured), Account (name or "number name" as the account list shows it),
 * Debit and Credit (at most 10 digits and 2 decimals), Memo, Location.
 */
export function netsuiteCsv(journal: Journal, accounts: JournalAccounts): string {
  const subsidiary = accounts.subsidiary
  const header = [
    'External ID',
    'Date',
    ...(subsidiary ? ['Subsidiary'] : []),
    'Account',
    'Debit',
    'Credit',
    'Memo',
    'Location',
  ]
  const rows = [header.join(',')]
  for (const entry of journal.entries) {
    for (const line of entry.lines) {
      rows.push(
        [
          entry.externalId,
          netsuiteDate(entry.date),
          ...(subsidiary ? [subsidiary] : []),
          line.account.netsuite ?? line.account.name,
          money(line.debitCents),
          money(line.creditCents),
          line.memo,
          netsuiteLocation(accounts, line),
        ]
          .map(csvCell)
          .join(','),
      )
    }
  }
  return `${rows.join('\n')}\n`
}

/** One row per line with everything the entries carry, for a spreadsheet or another ledger. */
export function journalCsv(journal: Journal): string {
  const rows = ['entry,date,account,role,debit,credit,location_id,location_name,memo']
  for (const entry of journal.entries)
    for (const line of entry.lines)
      rows.push(
        [
          entry.externalId,
          entry.date,
          line.account.name,
          line.role,
          money(line.debitCents),
          money(line.creditCents),
          line.locationId,
          line.locationName ?? '',
          line.memo,
        ]
          .map(csvCell)
          .join(','),
      )
  return `${rows.join('\n')}\n`
}

/** The body of `POST /v3/company/{realmId}/journalentry` (QuickBooks Online Accounting API). */
export type QuickBooksJournalEntry = {
  DocNumber: string
  TxnDate: string
  PrivateNote: string
  Line: {
    Description: string
    Amount: number
    DetailType: 'JournalEntryLineDetail'
    JournalEntryLineDetail: {
      PostingType: 'Debit' | 'Credit'
      AccountRef: { value: string; name: string }
      DepartmentRef?: { value: string }
      ClassRef?: { value: string }
    }
  }[]
}

/**
 * An entry as QuickBooks Online's JournalEntry create takes it (developer.intuit.com, Accounting
 * API, JournalEntry: `Line[]` of `JournalEntryLineDetail` with `PostingType` Debit or Credit and
 * a positive `Amount`, `AccountRef` by Id, the store as `DepartmentRef` (QuickBooks "Locations")
 * or `ClassRef`; `DocNumber` at most 21 characters; `TxnDate` YYYY-MM-DD). An account without a
 * QuickBooks Id in JOURNAL_ACCOUNTS is CONFIG_INVALID naming it: QuickBooks matches by Id only.
 */
export function quickbooksEntry(
  entry: JournalEntry,
  accounts: JournalAccounts,
): QuickBooksJournalEntry {
  const ref = accounts.quickbooksLocationRef === 'class' ? 'ClassRef' : 'DepartmentRef'
  return {
    DocNumber: entry.externalId,
    TxnDate: entry.date,
    PrivateNote: entry.memo,
    Line: entry.lines.map((line) => {
      const id = line.account.quickbooksId
      if (!id)
        throw new GiftCardError(
          'CONFIG_INVALID',
          `JOURNAL_ACCOUNTS: the account "${line.account.name}" has no quickbooksId (QuickBooks matches accounts by Id)`,
        )
      const store = accounts.locations[line.locationId]?.quickbooksId
      const where = line.locationName ?? line.locationId
      return {
        Description: `${line.memo} (${where})`,
        Amount: (line.debitCents || line.creditCents) / 100,
        DetailType: 'JournalEntryLineDetail' as const,
        JournalEntryLineDetail: {
          PostingType: line.debitCents > 0 ? ('Debit' as const) : ('Credit' as const),
          AccountRef: { value: id, name: line.account.name },
          ...(store ? { [ref]: { value: store } } : {}),
        },
      }
    }),
  }
}

/** The journal in one of the formats, as text. */
export function renderJournal(
  journal: Journal,
  accounts: JournalAccounts,
  format: JournalFormat,
): string {
  if (format === 'netsuite') return netsuiteCsv(journal, accounts)
  if (format === 'csv') return journalCsv(journal)
  return `${JSON.stringify(
    journal.entries.map((e) => quickbooksEntry(e, accounts)),
    null,
    2,
  )}\n`
}
