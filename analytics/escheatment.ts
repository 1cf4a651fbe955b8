import { addMonths, csvText, parseDate, toIso } from '../core/index.ts'
import { type Database, UNKNOWN_JURISDICTION, type UnknownJurisdiction } from '../db/index.ts'

/**
 * How a jurisdiction treats unredeemed gift cards (docs/domain.md §2). `dormancyYears` runs from the
 * card's last activity; `onlyWithExpiry` means a card without an expiry date is exempt;
 * `atExpiry` means the card is presumed abandoned at its expiry if that comes first.
 */
export type EscheatRule =
  | { kind: 'exempt'; reason: string }
  | {
      kind: 'dormancy'
      dormancyYears: number
      onlyWithExpiry?: boolean
      atExpiry?: boolean
      reason: string
    }

export const ESCHEAT_RULES: Readonly<Record<string, EscheatRule>> = {
  'US-CA': {
    kind: 'dormancy',
    dormancyYears: 3,
    onlyWithExpiry: true,
    reason: 'not escheatable unless the card has an expiry date',
  },
  'US-DE': { kind: 'dormancy', dormancyYears: 5, reason: 'reportable after 5 years of dormancy' },
  'US-NY': {
    kind: 'dormancy',
    dormancyYears: 5,
    reason: 'reportable after 5 years of inactivity, expiry or not',
  },
  'US-TX': {
    kind: 'dormancy',
    dormancyYears: 3,
    onlyWithExpiry: true,
    atExpiry: true,
    reason:
      'exempt without expiry; otherwise abandoned at the earlier of expiry or 3 years inactive',
  },
  'US-FL': { kind: 'exempt', reason: 'unredeemed gift certificates belong to the issuer' },
  'US-WA': { kind: 'exempt', reason: 'gift cards are not unclaimed property' },
}

/**
 * Whether `rule` can ever make a card with this expiry reportable: whether `escheatDeadline` has
 * a date for it (asked per card of a million, before any date is read).
 */
export function canEscheat(
  rule: EscheatRule,
  expiresAt: string | null,
): rule is Extract<EscheatRule, { kind: 'dormancy' }> {
  return rule.kind === 'dormancy' && !(rule.onlyWithExpiry && !expiresAt)
}

/**
 * When a card with a balance becomes reportable under `rule` (ms): its last activity plus the
 * dormancy period, or its expiry where the rule says so and that comes first. Undefined when
 * the rule never makes it reportable (an exempt jurisdiction, or one that claims only cards
 * with an expiry date and this card has none). finance/ reads it per card (docs/finance.md).
 */
export function escheatDeadline(
  rule: EscheatRule,
  lastActivityAt: string,
  expiresAt: string | null,
): number | undefined {
  if (!canEscheat(rule, expiresAt)) return undefined
  const deadline = addMonths(parseDate(lastActivityAt), rule.dormancyYears * 12)
  return rule.atExpiry && expiresAt ? Math.min(deadline, parseDate(expiresAt)) : deadline
}

export type EscheatmentOptions = {
  /** Report deadlines up to this many months after `asOf` (those already past are included). */
  horizonMonths?: number
  asOf?: string
  /** The rule for jurisdictions not in the table (default: 5 years of dormancy). */
  defaultRule?: EscheatRule
  /** Where the issuer is incorporated: the claimant when the owner's address is unknown. */
  incorporationState?: string
  /** Only cards issued at these stores (a pilot's, docs/pilot.md). */
  pilotStores?: readonly string[]
}

export type EscheatCard = {
  cardId: string
  jurisdiction: string
  /** Why this jurisdiction claims it: the owner's address, or the issuer's incorporation. */
  basis: 'owner_address' | 'incorporation'
  balanceCents: number
  lastActivityAt: string
  deadline: string
  overdue: boolean
}

export type EscheatmentReport = {
  asOf: string
  horizonMonths: number
  jurisdictions: {
    jurisdiction: string
    status: 'reportable' | 'exempt'
    rule: string
    cards: number
    amountCents: number
    overdueCards: number
  }[]
  cards: EscheatCard[]
  /**
   * Cards with a balance at stores no master data has described (docs/ingest.md, "Master
   * data"), whatever their deadline: what the report cannot place by store.
   */
  unknownJurisdiction: UnknownJurisdiction
  /**
   * Cards with a balance that name a customer (holder or purchaser) with no known address:
   * incorporation claims them until customer master data gives the address (an anonymous card
   * has no owner to look up, so it is not counted here).
   */
  ownerAddressUnknown: { cards: number; amountCents: number }
}

/** A card as the report reads it (columns in the order selected). */
type EscheatRow = [
  id: string,
  issuingLocationId: string | null,
  holderCustomerId: string | null,
  purchaserCustomerId: string | null,
  storeJurisdiction: string | null,
  balanceCents: number,
  issuedAt: string,
  lastActivityAt: string | null,
  expiresAt: string | null,
  holderState: string | null,
  purchaserState: string | null,
]

/**
 * The escheatment report: cards with a balance whose dormancy deadline falls within the
 * horizon, by the jurisdiction with the first claim (Texas v. New Jersey: the owner's last
 * known address state, else the issuer's state of incorporation). Exempt jurisdictions are
 * listed as exempt with what they hold.
 */
export async function escheatmentReport(
  database: Database,
  options: EscheatmentOptions = {},
): Promise<EscheatmentReport> {
  const asOfMs = options.asOf ? parseDate(options.asOf) : Date.now()
  const horizon = options.horizonMonths ?? 6
  const until = addMonths(asOfMs, horizon)
  const defaultRule = options.defaultRule ?? {
    kind: 'dormancy',
    dormancyYears: 5,
    reason: 'default: reportable after 5 years of dormancy',
  }
  const incorporation = options.incorporationState ?? 'US-DE'
  const byJurisdiction = new Map<string, EscheatmentReport['jurisdictions'][number]>()
  const cards: EscheatCard[] = []
  const unknownJurisdiction: UnknownJurisdiction = {
    cards: 0,
    liabilityCents: 0,
    stores: 0,
    storeIds: [],
    withoutStore: { cards: 0, liabilityCents: 0 },
  }
  const unknownStores = new Map<string, number>()
  const ownerAddressUnknown = { cards: 0, amountCents: 0 }
  // One pass over the cards in storage order, rows as arrays (a million cards: the issued_at
  // index visited the table at random, and a million row objects filled the heap).
  const { adapter } = database
  const stores = options.pilotStores ? [...options.pilotStores, ''] : []
  await adapter.scan<EscheatRow>(
    {
      sql: `select c.id, c.issuing_location_id, c.holder_customer_id, c.purchaser_customer_id,
          l.jurisdiction, c.balance_cents, c.issued_at, c.last_activity_at, c.expires_at,
          h.address_state, p.address_state
        from ${adapter.fullScan('gift_cards', 'c')}
        left join customers h on h.id = c.holder_customer_id
        left join customers p on p.id = c.purchaser_customer_id
        left join locations l on l.id = c.issuing_location_id
        where c.balance_cents > 0 and c.issued_at < ${adapter.placeholder(1)}${
          options.pilotStores
            ? ` and c.issuing_location_id in (${stores.map((_, i) => adapter.placeholder(i + 2)).join(', ')})`
            : ''
        }`,
      parameters: [toIso(asOfMs), ...stores],
      arrays: true,
    },
    (batch) => {
      for (const row of batch) see(row)
    },
  )
  function see([
    id,
    issuingLocationId,
    holderCustomerId,
    purchaserCustomerId,
    storeJurisdiction,
    balanceCents,
    issuedAt,
    lastActivityAt,
    expiresAt,
    holderState,
    purchaserState,
  ]: EscheatRow): void {
    const row = {
      id,
      issuing_location_id: issuingLocationId,
      holder_customer_id: holderCustomerId,
      purchaser_customer_id: purchaserCustomerId,
      store_jurisdiction: storeJurisdiction,
      balance_cents: balanceCents,
      issued_at: issuedAt,
      last_activity_at: lastActivityAt,
      expires_at: expiresAt,
      holder_state: holderState,
      purchaser_state: purchaserState,
    }
    if (row.issuing_location_id === null) {
      unknownJurisdiction.withoutStore.cards++
      unknownJurisdiction.withoutStore.liabilityCents += row.balance_cents
    } else if (row.store_jurisdiction === null || row.store_jurisdiction === UNKNOWN_JURISDICTION) {
      // A store the ledger has no row for is a store of unknown jurisdiction too.
      unknownJurisdiction.cards++
      unknownJurisdiction.liabilityCents += row.balance_cents
      unknownStores.set(
        row.issuing_location_id,
        (unknownStores.get(row.issuing_location_id) ?? 0) + row.balance_cents,
      )
    }
    const owner = row.holder_state ?? row.purchaser_state
    if (!owner && (row.holder_customer_id !== null || row.purchaser_customer_id !== null)) {
      ownerAddressUnknown.cards++
      ownerAddressUnknown.amountCents += row.balance_cents
    }
    const jurisdiction = owner ?? incorporation
    const rule = ESCHEAT_RULES[jurisdiction] ?? defaultRule
    let entry = byJurisdiction.get(jurisdiction)
    if (!entry) {
      entry = {
        jurisdiction,
        status: rule.kind === 'exempt' ? 'exempt' : 'reportable',
        rule: rule.reason,
        cards: 0,
        amountCents: 0,
        overdueCards: 0,
      }
      byJurisdiction.set(jurisdiction, entry)
    }
    const lastActivity = row.last_activity_at ?? row.issued_at
    const deadline = escheatDeadline(rule, lastActivity, row.expires_at)
    if (rule.kind === 'exempt') {
      // Exempt jurisdictions are shown with what they hold, for the record.
      entry.cards++
      entry.amountCents += row.balance_cents
      return
    }
    if (deadline === undefined || deadline >= until) return
    entry.cards++
    entry.amountCents += row.balance_cents
    if (deadline < asOfMs) entry.overdueCards++
    cards.push({
      cardId: row.id,
      jurisdiction,
      basis: owner ? 'owner_address' : 'incorporation',
      balanceCents: row.balance_cents,
      lastActivityAt: lastActivity,
      deadline: toIso(deadline),
      overdue: deadline < asOfMs,
    })
  }
  cards.sort((a, b) =>
    a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : a.cardId < b.cardId ? -1 : 1,
  )
  const jurisdictions = [...byJurisdiction.values()]
    .filter((j) => j.cards > 0 || j.status === 'exempt')
    .sort((a, b) =>
      a.status === b.status ? b.amountCents - a.amountCents : a.status === 'reportable' ? -1 : 1,
    )
  unknownJurisdiction.stores = unknownStores.size
  unknownJurisdiction.storeIds = [...unknownStores]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 10)
    .map(([id]) => id)
  return {
    asOf: toIso(asOfMs),
    horizonMonths: horizon,
    jurisdictions,
    cards,
    unknownJurisdiction,
    ownerAddressUnknown,
  }
}

/**
 * The report's cards as CSV (one row per card reaching its deadline), for the compliance team.
 * Cells go through core/csv.ts: a POS card id such as `=HYPERLINK(…)` is text, never a formula
 * or a second row; the balance stays a number.
 */
export function escheatmentCsv(report: EscheatmentReport): string {
  return csvText(
    ['card_id', 'jurisdiction', 'basis', 'balance', 'last_activity_at', 'deadline', 'overdue'],
    report.cards.map((c) => [
      c.cardId,
      c.jurisdiction,
      c.basis,
      (c.balanceCents / 100).toFixed(2),
      c.lastActivityAt,
      c.deadline,
      c.overdue ? 'yes' : 'no',
    ]),
    '\n',
  )
}
