import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { type Config, GiftCardError } from '../core/index.ts'

/**
 * One general-ledger account as each target names it. NetSuite's CSV import matches `netsuite`
 * against Lists > Accounting > Accounts ("2400 Gift Card Liability" when Use Account Numbers is
 * on: docs/finance.md cites Oracle's field table); QuickBooks Online wants the account's Id in
 * `AccountRef.value` (`quickbooksId`) and shows `name`.
 */
const account = z.object({
  name: z.string().min(1).max(100),
  netsuite: z.string().min(1).max(200).optional(),
  quickbooksId: z
    .string()
    .regex(/^\d{1,20}$/, 'must be the QuickBooks account Id (digits)')
    .optional(),
})

/** How a store appears on a line: NetSuite's location name, QuickBooks' Department or Class id. */
const location = z.object({
  netsuite: z.string().min(1).max(200).optional(),
  quickbooksId: z
    .string()
    .regex(/^\d{1,20}$/, 'must be the QuickBooks Department or Class Id (digits)')
    .optional(),
})

const storeId = z.string().min(1).max(64)
const jurisdiction = z.string().regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, 'must look like US-NY')

/** The JOURNAL_ACCOUNTS file (docs/finance.md "Accounts"); every field has a default. */
export const journalAccountsSchema = z
  .object({
    giftCardLiability: account.default({
      name: 'Gift Card Liability',
      netsuite: '2400 Gift Card Liability',
    }),
    breakageRevenue: account.default({
      name: 'Breakage Revenue',
      netsuite: '4050 Breakage Revenue',
    }),
    unclaimedPropertyPayable: account.default({
      name: 'Unclaimed Property Payable',
      netsuite: '2450 Unclaimed Property Payable',
    }),
    /** A payable per state instead of one (`{"US-NY": {...}}`), when the ledger keeps them apart. */
    unclaimedPropertyByState: z.record(jurisdiction, account).default({}),
    /** NetSuite OneWorld: the subsidiary every entry belongs to. */
    subsidiary: z.string().min(1).max(200).optional(),
    /** Which QuickBooks reference carries the store: DepartmentRef (Locations) or ClassRef. */
    quickbooksLocationRef: z.enum(['department', 'class']).default('department'),
    /** Store id → its names in the targets; a store not listed is named by its id. */
    locations: z.record(storeId, location).default({}),
  })
  .strict()

export type JournalAccounts = z.infer<typeof journalAccountsSchema>
export type Account = z.infer<typeof account>

/** The accounts when no file is configured. */
export const DEFAULT_JOURNAL_ACCOUNTS: JournalAccounts = journalAccountsSchema.parse({})

/**
 * The account mapping: JOURNAL_ACCOUNTS (a JSON file, validated) or the defaults. A file that
 * cannot be read or does not fit is CONFIG_INVALID naming the variable and the field, never a
 * stack trace.
 */
export function loadJournalAccounts(config: Config): JournalAccounts {
  const file = config.finance.accountsFile
  if (!file) return DEFAULT_JOURNAL_ACCOUNTS
  let raw: unknown
  try {
    const text = readFileSync(file, 'utf8')
    if (text.length > 1_000_000)
      throw new GiftCardError('CONFIG_INVALID', 'JOURNAL_ACCOUNTS is larger than 1 MB')
    raw = JSON.parse(text)
  } catch (err) {
    if (err instanceof GiftCardError) throw err
    throw new GiftCardError(
      'CONFIG_INVALID',
      `JOURNAL_ACCOUNTS: ${file} is not a readable JSON file (${err instanceof SyntaxError ? 'bad JSON' : 'cannot read it'})`,
    )
  }
  const parsed = journalAccountsSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new GiftCardError(
      'CONFIG_INVALID',
      `JOURNAL_ACCOUNTS: ${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`,
    )
  }
  return parsed.data
}

/** The payable an escheat-bound balance is reclassified to: the state's own, else the one. */
export function payableFor(accounts: JournalAccounts, state: string): Account {
  return accounts.unclaimedPropertyByState[state] ?? accounts.unclaimedPropertyPayable
}
