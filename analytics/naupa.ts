import { type CsvValue, csvText, DAY_MS, parseDate, toIso } from '../core/index.ts'
import type { EscheatCard } from './escheatment.ts'

/**
 * NAUPA standard electronic files (docs/escheatment.md): one holder report per state, as fixed-
 * width ASCII records of 625 characters separated by CR/LF: a HOLDER record (TR-CODE `1`), one
 * PROPERTY record (`2`) per card, and a SUMINFO record (`9`). Numbers (type N) are right-justified
 * and zero-filled with implied decimals; text (type C) is left-justified and space-filled, in
 * upper-case ASCII with no control characters. Gift cards are property type MS12 (unredeemed
 * gift certificates).
 *
 * The record length, the TR-CODEs, the N/C rules and CR/LF are those of the NAUPA Standard
 * Electronic File Format (revised 7/2002, "NAUPA II", as published by NAUPA and re-published
 * by Florida's Division of Unclaimed Property). The field positions below are one table
 * (`NAUPA_LAYOUT`), so a state's published table can be checked against it line by line.
 */

export type NaupaField = {
  name: string
  /** 1-based first column. */
  start: number
  length: number
  type: 'C' | 'N'
  /** Implied decimal places of an N field. */
  decimals?: number
}

/** Every record is this long (before its CR/LF). */
export const NAUPA_RECORD_LENGTH = 625

/** Gift cards: NAUPA property type MS12, unredeemed gift certificates. */
export const GIFT_CARD_PROPERTY_TYPE = 'MS12'

const fields = (list: [string, number, 'C' | 'N', number?][]): NaupaField[] => {
  let start = 1
  return list.map(([name, length, type, decimals]) => {
    const f: NaupaField = { name, start, length, type, ...(decimals ? { decimals } : {}) }
    start += length
    return f
  })
}

/** The three records this project writes, field by field (docs/escheatment.md has the table). */
export const NAUPA_LAYOUT = {
  holder: fields([
    ['TRCODE', 1, 'C'],
    ['HOLDER-TAX-ID', 9, 'C'],
    ['HOLDER-TAX-ID-EXT', 4, 'C'],
    ['HOLDER-REPORT-YEAR', 4, 'N'],
    ['HOLDER-REPORT-NUMBER', 2, 'N'],
    ['HOLDER-SIC-CODE', 4, 'N'],
    ['HOLDER-INCORPORATE-STATE', 2, 'C'],
    ['HOLDER-INCORPORATE-DATE', 8, 'N'],
    ['HOLDER-NAME', 40, 'C'],
    ['HOLDER-CITY', 30, 'C'],
    ['HOLDER-COUNTY', 30, 'C'],
    ['HOLDER-STATE', 2, 'C'],
    ['HOLDER-CONTACT', 30, 'C'],
    ['HOLDER-CONTACT-PHONE', 10, 'N'],
    ['HOLDER-CONTACT-PHONE-EXT', 4, 'N'],
    ['HOLDER-EMAIL', 50, 'C'],
    ['HOLDER-REPORT-TYPE', 1, 'C'],
    ['HOLDER-FILLER', 394, 'C'],
  ]),
  property: fields([
    ['TRCODE', 1, 'C'],
    ['PROP-SEQUENCE-NUMBER', 6, 'N'],
    ['PROP-OWNER-NAME-LAST', 40, 'C'],
    ['PROP-OWNER-NAME-FIRST', 30, 'C'],
    ['PROP-OWNER-NAME-MIDDLE', 10, 'C'],
    ['PROP-OWNER-ADDRESS-1', 30, 'C'],
    ['PROP-OWNER-ADDRESS-2', 30, 'C'],
    ['PROP-OWNER-ADDRESS-3', 30, 'C'],
    ['PROP-OWNER-CITY', 30, 'C'],
    ['PROP-OWNER-COUNTY', 30, 'C'],
    ['PROP-OWNER-STATE', 2, 'C'],
    ['PROP-OWNER-ZIP', 9, 'C'],
    ['PROP-OWNER-COUNTRY-CODE', 3, 'C'],
    ['PROP-OWNER-TAX-ID', 9, 'C'],
    ['PROP-OWNER-DOB', 8, 'N'],
    ['PROP-DATE-OF-LAST-ACTIVITY', 8, 'N'],
    ['PROP-PROPERTY-TYPE', 4, 'C'],
    ['PROP-AMOUNT-REPORTED', 10, 'N', 2],
    ['PROP-DEDUCTION-TYPE', 2, 'C'],
    ['PROP-DEDUCTION-AMOUNT', 10, 'N', 2],
    ['PROP-AMOUNT-REMITTED', 10, 'N', 2],
    ['PROP-OWNERSHIP-CODE', 2, 'C'],
    ['PROP-DESCRIPTION', 50, 'C'],
    ['PROP-ACCOUNT-NUMBER', 40, 'C'],
    ['PROP-FILLER', 221, 'C'],
  ]),
  summary: fields([
    ['TRCODE', 1, 'C'],
    ['SUMM-NUMBER-OF-RECORDS', 6, 'N'],
    ['SUMM-NUMBER-OF-PROPERTIES', 6, 'N'],
    ['SUMM-AMOUNT-REPORTED', 12, 'N', 2],
    ['SUMM-DEDUCTIONS', 12, 'N', 2],
    ['SUMM-AMOUNT-REMITTED', 12, 'N', 2],
    ['SUMM-FILLER', 576, 'C'],
  ]),
} as const

for (const [kind, list] of Object.entries(NAUPA_LAYOUT)) {
  const last = list.at(-1) as NaupaField
  if (last.start + last.length - 1 !== NAUPA_RECORD_LENGTH)
    throw new Error(`analytics/naupa: the ${kind} record is not ${NAUPA_RECORD_LENGTH} long`)
}

/**
 * A text value as NAUPA's C fields take it: upper-case ASCII, accents dropped, every control
 * character and anything outside printable ASCII a space (a newline in a POS id cannot start a
 * record), cut to the field.
 */
export function naupaText(value: string | null | undefined, length: number): string {
  const text = value ?? ''
  // Most values are printable ASCII already: only the others pay for the normalisation.
  const ascii = PRINTABLE.test(text)
    ? text
    : text
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .replace(/[^\x20-\x7e]/g, ' ')
  return ascii.toUpperCase().slice(0, length).padEnd(length, ' ')
}

const PRINTABLE = /^[\x20-\x7e]*$/

/**
 * A name as NAUPA's name fields take it (HOLDER-NAME, PROP-OWNER-NAME-*): the acceptable values
 * are A-Z, 0-9, space and `&`, and "punctuation should never be used" (NAUPA Standard Electronic
 * File Format, field definitions; docs/escheatment.md "Sources"). Accents are dropped as in
 * `naupaText`; any other character is left out, and the spaces it leaves are one.
 */
export function naupaName(value: string | null | undefined, length: number): string {
  const text = naupaText(value, Math.max(length, (value ?? '').length * 2))
    .replace(/[^A-Z0-9 &]/g, '')
    .replace(/ +/g, ' ')
    .trim()
  return text.slice(0, length).padEnd(length, ' ')
}

/** The fields `naupaName` fills (the rest of type C go through `naupaText`). */
const NAME_FIELDS: ReadonlySet<string> = new Set([
  'HOLDER-NAME',
  'PROP-OWNER-NAME-LAST',
  'PROP-OWNER-NAME-FIRST',
  'PROP-OWNER-NAME-MIDDLE',
])

/**
 * NAUPA's ownership codes: `OT` an owner on file (every owner but an aggregate or unknown one),
 * `UN` an unknown owner, whose last name is then written `UNKNOWN` (`AP`, aggregate, is not
 * used: each card is reported on its own record).
 */
export const NAUPA_OWNERSHIP = { known: 'OT', unknown: 'UN' } as const

/** An N field: right-justified, zero-filled, implied decimals; refuses what does not fit. */
export function naupaNumber(value: number, length: number, field: string): string {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${field}: ${value} is not a whole number of units`)
  const digits = String(value)
  if (digits.length > length) throw new RangeError(`${field}: ${value} exceeds ${length} digits`)
  return digits.padStart(length, '0')
}

/** One record from its field values (missing fields: spaces or zeros). */
export function naupaRecord(
  layout: readonly NaupaField[],
  values: Record<string, string | number | null | undefined>,
): string {
  let line = ''
  for (const f of layout) {
    const v = values[f.name]
    line +=
      f.type === 'N'
        ? naupaNumber(typeof v === 'number' ? v : Number(v ?? 0), f.length, f.name)
        : (NAME_FIELDS.has(f.name) ? naupaName : naupaText)(
            v === undefined || v === null ? '' : String(v),
            f.length,
          )
  }
  return line
}

/** `CCYYMMDD` of an ISO instant (zeros when none). */
const ccyymmdd = (iso: string | null | undefined) =>
  iso ? Number(iso.slice(0, 10).replaceAll('-', '')) : 0

/** The holder: who files (NAUPA_HOLDER_* configuration). */
export type NaupaHolder = {
  taxId: string
  name: string
  city?: string
  state: string
  incorporationState: string
  contact?: string
  /** Ten digits. */
  contactPhone?: string
  email?: string
  sicCode?: number
}

/** The owner of a card as customer master data knows them (never shown to a model). */
export type EscheatOwner = { name: string | null; state: string | null; postalCode: string | null }

export type NaupaReportFile = {
  jurisdiction: string
  /** `naupa-US-NY-2026.txt` */
  fileName: string
  reportYear: number
  properties: number
  amountCents: number
  text: string
}

/**
 * When a state wants the report for property presumed abandoned by a day: the end of the
 * reporting period the day falls in (`cutoff`, month-day) and the due date after it. Sources:
 * each state's holder reporting instructions (NY: property abandoned by 31 Dec, report by
 * 10 March; DE: by 31 Dec, by 1 March; CA: by 30 June, by 1 November; TX: by 1 March, by
 * 1 July); most other states use 30 June and 1 November, the default here.
 */
export const REPORT_CALENDAR: Readonly<
  Record<string, { cutoff: string; due: string; dueNextYear: boolean }>
> = {
  'US-NY': { cutoff: '12-31', due: '03-10', dueNextYear: true },
  'US-DE': { cutoff: '12-31', due: '03-01', dueNextYear: true },
  'US-CA': { cutoff: '06-30', due: '11-01', dueNextYear: false },
  'US-TX': { cutoff: '03-01', due: '07-01', dueNextYear: false },
}
const DEFAULT_CALENDAR = { cutoff: '06-30', due: '11-01', dueNextYear: false }

/** The report due date (`YYYY-MM-DD`) for a card presumed abandoned at `deadline`. */
export function reportDue(jurisdiction: string, deadline: string): string {
  const cal = REPORT_CALENDAR[jurisdiction] ?? DEFAULT_CALENDAR
  const day = deadline.slice(0, 10)
  let year = Number(day.slice(0, 4))
  if (day.slice(5) > cal.cutoff) year += 1
  return `${year + (cal.dueNextYear ? 1 : 0)}-${cal.due}`
}

/**
 * Due diligence: the holder writes to the owner's last known address not more than 120 nor
 * fewer than 60 days before filing (Uniform Unclaimed Property Act 1995 §7(e); many states),
 * for property of $50 or more.
 */
export const NOTICE_WINDOW_DAYS = { earliest: 120, latest: 60 } as const
export const NOTICE_MIN_CENTS = 5000

export type DueDiligenceRow = {
  jurisdiction: string
  fileName: string
  sequence: number
  cardId: string
  ownerName: string | null
  ownerState: string | null
  ownerPostalCode: string | null
  balanceCents: number
  lastActivityAt: string
  deadline: string
  reportDue: string
  notifyFrom: string
  notifyBy: string
  notice: 'required' | 'not_required_under_50' | 'no_owner_on_file'
}

export type NaupaExport = { files: NaupaReportFile[]; dueDiligence: DueDiligenceRow[] }

/** A report file as it is written: its header facts first, its totals once its records are out. */
export type NaupaFileStart = Pick<NaupaReportFile, 'jurisdiction' | 'fileName' | 'reportYear'>

/**
 * The NAUPA files one record at a time, in file order: `file` (a report begins), each of its
 * records (`record`: holder, properties, summary, without the line end), then `end` with its
 * totals. The due-diligence rows of every card are pushed to `dueDiligence` as its record is
 * made (unsorted: `sortDueDiligence`). `naupaExport` collects this into texts; the CLI streams
 * it to disk (`writeNaupaFiles`), so a million-card ledger never holds its files in memory.
 */
export function* naupaRecords(
  cards: readonly EscheatCard[],
  owners: ReadonlyMap<string, EscheatOwner>,
  holder: NaupaHolder,
  dueDiligence: DueDiligenceRow[],
  options: { lastFour?: ReadonlyMap<string, string> } = {},
): Generator<
  | { kind: 'file'; file: NaupaFileStart }
  | { kind: 'record'; line: string }
  | { kind: 'end'; file: Omit<NaupaReportFile, 'text'> }
> {
  // One report per state and report year (a card already overdue may be due a year earlier).
  const byReport = new Map<string, EscheatCard[]>()
  for (const c of cards) {
    const key = `${c.jurisdiction}|${reportDue(c.jurisdiction, c.deadline).slice(0, 4)}`
    const list = byReport.get(key)
    if (list) list.push(c)
    else byReport.set(key, [c])
  }
  for (const [key, list] of [...byReport].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const [jurisdiction = '', year = '0'] = key.split('|')
    const reportYear = Number(year)
    const fileName = `naupa-${jurisdiction}-${reportYear}.txt`
    yield { kind: 'file', file: { jurisdiction, fileName, reportYear } }
    yield {
      kind: 'record',
      line: naupaRecord(NAUPA_LAYOUT.holder, {
        TRCODE: '1',
        'HOLDER-TAX-ID': holder.taxId,
        'HOLDER-REPORT-YEAR': reportYear,
        'HOLDER-REPORT-NUMBER': 1,
        'HOLDER-SIC-CODE': holder.sicCode ?? 0,
        'HOLDER-INCORPORATE-STATE': holder.incorporationState.slice(3),
        'HOLDER-NAME': holder.name,
        'HOLDER-CITY': holder.city,
        'HOLDER-STATE': holder.state.slice(3),
        'HOLDER-CONTACT': holder.contact,
        'HOLDER-CONTACT-PHONE': holder.contactPhone ? Number(holder.contactPhone) : 0,
        'HOLDER-EMAIL': holder.email,
        'HOLDER-REPORT-TYPE': 'R',
      }),
    }
    let amount = 0
    for (let i = 0; i < list.length; i++) {
      const c = list[i] as EscheatCard
      const sequence = i + 1
      const owner = owners.get(c.cardId)
      const { last, first, middle } = splitName(owner?.name ?? null)
      const known = last !== ''
      amount += c.balanceCents
      const last4 = options.lastFour?.get(c.cardId)
      yield {
        kind: 'record',
        line: naupaRecord(NAUPA_LAYOUT.property, {
          TRCODE: '2',
          'PROP-SEQUENCE-NUMBER': sequence,
          'PROP-OWNER-NAME-LAST': known ? last : 'UNKNOWN',
          'PROP-OWNER-NAME-FIRST': first,
          'PROP-OWNER-NAME-MIDDLE': middle,
          'PROP-OWNER-STATE': owner?.state?.slice(3) ?? '',
          'PROP-OWNER-ZIP': owner?.postalCode?.replace(/[^0-9]/g, ''),
          'PROP-OWNER-COUNTRY-CODE': owner?.state?.startsWith('US-') ? 'USA' : '',
          'PROP-DATE-OF-LAST-ACTIVITY': ccyymmdd(c.lastActivityAt),
          'PROP-PROPERTY-TYPE': GIFT_CARD_PROPERTY_TYPE,
          'PROP-AMOUNT-REPORTED': c.balanceCents,
          'PROP-AMOUNT-REMITTED': c.balanceCents,
          'PROP-OWNERSHIP-CODE': known ? NAUPA_OWNERSHIP.known : NAUPA_OWNERSHIP.unknown,
          'PROP-DESCRIPTION': `GIFT CARD${last4 ? ` ENDING ${last4}` : ''}`,
          'PROP-ACCOUNT-NUMBER': c.cardId,
        }),
      }
      const due = reportDue(jurisdiction, c.deadline)
      const dueMs = parseDate(due)
      dueDiligence.push({
        jurisdiction,
        fileName,
        sequence,
        cardId: c.cardId,
        ownerName: owner?.name ?? null,
        ownerState: owner?.state ?? null,
        ownerPostalCode: owner?.postalCode ?? null,
        balanceCents: c.balanceCents,
        lastActivityAt: c.lastActivityAt,
        deadline: c.deadline.slice(0, 10),
        reportDue: due,
        notifyFrom: toIso(dueMs - NOTICE_WINDOW_DAYS.earliest * DAY_MS).slice(0, 10),
        notifyBy: toIso(dueMs - NOTICE_WINDOW_DAYS.latest * DAY_MS).slice(0, 10),
        notice: !owner?.name
          ? 'no_owner_on_file'
          : c.balanceCents < NOTICE_MIN_CENTS
            ? 'not_required_under_50'
            : 'required',
      })
    }
    yield {
      kind: 'record',
      line: naupaRecord(NAUPA_LAYOUT.summary, {
        TRCODE: '9',
        'SUMM-NUMBER-OF-RECORDS': list.length + 2,
        'SUMM-NUMBER-OF-PROPERTIES': list.length,
        'SUMM-AMOUNT-REPORTED': amount,
        'SUMM-DEDUCTIONS': 0,
        'SUMM-AMOUNT-REMITTED': amount,
      }),
    }
    yield {
      kind: 'end',
      file: { jurisdiction, fileName, reportYear, properties: list.length, amountCents: amount },
    }
  }
}

/** Every record of a NAUPA file ends with CR/LF. */
export const NAUPA_LINE_END = '\r\n'

/** The due-diligence list in the order finance works it: by the date the notice is due. */
export function sortDueDiligence(rows: DueDiligenceRow[]): DueDiligenceRow[] {
  return rows.sort((a, b) =>
    a.notifyBy < b.notifyBy ? -1 : a.notifyBy > b.notifyBy ? 1 : a.cardId < b.cardId ? -1 : 1,
  )
}

/**
 * The NAUPA files and the due-diligence list for the cards of an escheatment report (its
 * reportable cards reaching a deadline), in memory (`naupaRecords` collected). Pure: the caller
 * reads the owners; `writeNaupaFiles` streams the same bytes to disk instead.
 */
export function naupaExport(
  cards: readonly EscheatCard[],
  owners: ReadonlyMap<string, EscheatOwner>,
  holder: NaupaHolder,
  options: { lastFour?: ReadonlyMap<string, string> } = {},
): NaupaExport {
  const files: NaupaReportFile[] = []
  const dueDiligence: DueDiligenceRow[] = []
  let lines: string[] = []
  for (const piece of naupaRecords(cards, owners, holder, dueDiligence, options)) {
    if (piece.kind === 'file') lines = []
    else if (piece.kind === 'record') lines.push(piece.line)
    else files.push({ ...piece.file, text: `${lines.join(NAUPA_LINE_END)}${NAUPA_LINE_END}` })
  }
  return { files, dueDiligence: sortDueDiligence(dueDiligence) }
}

/** "Ann B. Lee" → last LEE, first ANN, middle B.; one word is a last name (a business). */
function splitName(name: string | null): { last: string; first: string; middle: string } {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean)
  if (parts.length <= 1) return { last: parts[0] ?? '', first: '', middle: '' }
  return {
    last: parts.at(-1) as string,
    first: parts[0] as string,
    middle: parts.slice(1, -1).join(' '),
  }
}

/** The due-diligence CSV's columns (`dueDiligenceCsv`). */
export const DUE_DILIGENCE_COLUMNS = [
  'notify_by',
  'notify_from',
  'notice',
  'jurisdiction',
  'report_due',
  'file',
  'sequence',
  'card_id',
  'owner_name',
  'owner_state',
  'owner_postal_code',
  'balance',
  'last_activity_at',
  'deadline',
] as const

/** One due-diligence row's cells, in `DUE_DILIGENCE_COLUMNS` order. */
export function dueDiligenceCells(r: DueDiligenceRow): CsvValue[] {
  return [
    r.notifyBy,
    r.notifyFrom,
    r.notice,
    r.jurisdiction,
    r.reportDue,
    r.fileName,
    r.sequence,
    r.cardId,
    r.ownerName,
    r.ownerState,
    r.ownerPostalCode,
    (r.balanceCents / 100).toFixed(2),
    r.lastActivityAt,
    r.deadline,
  ]
}

/** The due-diligence list for finance: who must be written to, by when (core/csv.ts). */
export function dueDiligenceCsv(rows: readonly DueDiligenceRow[]): string {
  return csvText(DUE_DILIGENCE_COLUMNS, rows.map(dueDiligenceCells))
}
