import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { z } from 'zod'
import {
  DEVELOPMENT_PII_KEY,
  describeError,
  GiftCardError,
  isTimeZone,
  MAX_POS_ID_CHARS,
  toIso,
  usState,
} from '../core/index.ts'
import {
  type CustomerRecord,
  type Database,
  type LocationRecord,
  type UpsertCounts,
  upsertCustomers,
  upsertLocations,
} from '../db/index.ts'
import { stubPseudonym } from './apply.ts'
import { readCsv } from './csv.ts'

/**
 * Store and customer master data from files (docs/ingest.md, "Master data"): `giftcards import
 * FILE --format locations | customers`. Each row is validated on its own; a bad one is reported
 * by its line and field while the good ones are upserted (db/queries/master-data.ts), so stubs
 * that events made are enriched in place and the same file loaded twice changes nothing.
 */

export const MASTER_DATA_FORMATS = ['locations', 'customers'] as const
export type MasterDataFormat = (typeof MASTER_DATA_FORMATS)[number]

/** The columns of each format, in the order an export writes them (any order is read). */
export const MASTER_DATA_COLUMNS = {
  locations: [
    'location_id',
    'name',
    'city',
    'state',
    'postal_code',
    'country',
    'latitude',
    'longitude',
    'timezone',
  ],
  customers: [
    'customer_id',
    'name',
    'email',
    'phone',
    'state',
    'postal_code',
    'segment',
    'created_at',
    'marketing_consent',
  ],
} as const satisfies Record<MasterDataFormat, readonly string[]>

/** Columns a file's header must have; the others may be missing or empty. */
const REQUIRED_COLUMNS: Record<MasterDataFormat, readonly string[]> = {
  locations: ['location_id', 'name', 'city', 'state'],
  customers: ['customer_id'],
}

/** A row that was not loaded: its line, the field at fault and what is wrong with it. */
export type MasterDataRejection = { line: number; field: string; reason: string }

export type MasterDataReport = UpsertCounts & {
  path: string
  format: MasterDataFormat
  /** Data rows read (the header not counted). */
  rows: number
  /** Rows not loaded (at most 10,000 kept; `rejectedTotal` counts them all). */
  rejected: MasterDataRejection[]
  rejectedTotal: number
  seconds: number
}

export type MasterDataOptions = {
  format: MasterDataFormat
  /** PII_TOKEN_KEY: the key a new customer's pseudonym is made under (as a stub's is). */
  piiKey?: string
  onRejected?: (row: MasterDataRejection) => void
  /** The time rows are stamped with (tests pin it). */
  now?: () => number
}

/** Valid rows upserted per transaction. */
const BATCH = 5_000
const KEPT_REJECTIONS = 10_000

const text = (max: number) => z.string().max(max, `is longer than ${max} characters`)
const required = (max: number) => text(max).min(1, 'is empty')

/** A US state as a file writes it: `CA`, `ca`, `US-CA` or `California`. */
const stateField = text(40).transform((value, ctx) => {
  const state = usState(value)
  if (!state) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is not a US state code or name (CA, California)`,
    })
    return z.NEVER
  }
  return state
})

const coordinate = (limit: number) =>
  z
    .string()
    .regex(/^-?\d{1,3}(?:\.\d+)?$/, 'must be a decimal number of degrees')
    .transform(Number)
    .refine((n) => Math.abs(n) <= limit, `must be between -${limit} and ${limit}`)

const COUNTRY_US = /^(?:us|usa|united states(?: of america)?)$/i

/** One row of a locations file, fields trimmed and empty optional fields left out. */
export const locationRowSchema = z
  .object({
    location_id: required(MAX_POS_ID_CHARS),
    name: required(200),
    city: required(100),
    state: stateField,
    postal_code: z
      .string()
      .regex(/^\d{5}(?:-\d{4})?$/, 'must be a US ZIP code (12345 or 12345-6789)')
      .optional(),
    country: z
      .string()
      .max(40, 'is longer than 40 characters')
      .regex(COUNTRY_US, 'only US stores are supported (the jurisdiction is US-<state>)')
      .optional(),
    latitude: coordinate(90).optional(),
    longitude: coordinate(180).optional(),
    timezone: text(64).refine(isTimeZone, 'is not an IANA time zone (America/New_York)').optional(),
  })
  .superRefine((row, ctx) => {
    if ((row.latitude === undefined) !== (row.longitude === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [row.latitude === undefined ? 'latitude' : 'longitude'],
        message: 'is needed with the other coordinate (give both or neither)',
      })
  })

/** One row of a CRM customers file; name, email and phone are PII (docs/privacy.md). */
/**
 * How CRM exports write marketing email consent, as the three states a launch reads
 * (docs/campaigns.md): a yes/no or boolean column is subscribed or not; "suppressed" (a bounce,
 * a complaint) only when the export says so.
 */
const CONSENT_WORDS = new Map<string, string>(
  Object.entries({
    subscribed: 'subscribed',
    yes: 'subscribed',
    y: 'subscribed',
    true: 'subscribed',
    '1': 'subscribed',
    'opted in': 'subscribed',
    opted_in: 'subscribed',
    'opt-in': 'subscribed',
    unsubscribed: 'unsubscribed',
    no: 'unsubscribed',
    n: 'unsubscribed',
    false: 'unsubscribed',
    '0': 'unsubscribed',
    'opted out': 'unsubscribed',
    opted_out: 'unsubscribed',
    'opt-out': 'unsubscribed',
    suppressed: 'suppressed',
  }),
)

export const customerRowSchema = z.object({
  customer_id: required(MAX_POS_ID_CHARS),
  name: text(200).optional(),
  email: z
    .email({ error: 'is not an email address' })
    .max(254, 'is longer than 254 characters')
    .optional(),
  phone: z
    .string()
    .max(40, 'is longer than 40 characters')
    .regex(/^\+?[\d\s().-]{7,}(?:\s*(?:x|ext\.?)\s*\d{1,6})?$/i, 'is not a phone number')
    .optional(),
  state: stateField.optional(),
  postal_code: z
    .string()
    .regex(/^\d{5}(?:-\d{4})?$/, 'must be a US ZIP code (12345 or 12345-6789)')
    .optional(),
  segment: text(64).optional(),
  /** What the CRM says of marketing email (docs/campaigns.md): a launch leaves out the last two. */
  marketing_consent: z
    .string()
    .max(20, 'is longer than 20 characters')
    .transform((v) => CONSENT_WORDS.get(v.trim().toLowerCase()) ?? v)
    .pipe(
      z.enum(['subscribed', 'unsubscribed', 'suppressed'], {
        error:
          'must be subscribed, unsubscribed or suppressed (or yes / no, true / false, 1 / 0, opted in / opted out)',
      }),
    )
    .optional(),
  created_at: z
    .union([z.iso.datetime({ offset: true }), z.iso.date()], {
      error: 'must be an ISO 8601 date or timestamp',
    })
    .transform((value) => toIso(Date.parse(value)))
    .optional(),
})

/** A row read: the record it makes, or why it was refused. */
export type MasterDataRead<T> = { line: number; record: T } | MasterDataRejection

/**
 * A store from a row's fields by column name (trimmed, empty optional ones left out), checked
 * as a locations file's row is: what a POS sync passes its stores through too.
 */
export function readLocationRow(
  line: number,
  values: Record<string, string>,
): MasterDataRead<LocationRecord> {
  const parsed = locationRowSchema.safeParse(values)
  if (!parsed.success) return rejection(line, parsed.error)
  const r = parsed.data
  return {
    line,
    record: {
      id: r.location_id,
      name: r.name,
      city: r.city,
      region: r.state.region,
      jurisdiction: r.state.jurisdiction,
      timezone: r.timezone ?? null,
      defaultTimezone: r.state.timezone,
      latitude: r.latitude ?? null,
      longitude: r.longitude ?? null,
      postalCode: r.postal_code ?? null,
      country: 'US',
    },
  }
}

/** A customer from a row's fields by column name, checked as a customers file's row is. */
export function readCustomerRow(
  line: number,
  values: Record<string, string>,
  piiKey: string,
): MasterDataRead<CustomerRecord> {
  const parsed = customerRowSchema.safeParse(values)
  if (!parsed.success) return rejection(line, parsed.error)
  const r = parsed.data
  return {
    line,
    record: {
      id: r.customer_id,
      pseudonym: stubPseudonym(r.customer_id, piiKey),
      name: r.name ?? null,
      email: r.email?.toLowerCase() ?? null,
      phone: r.phone ?? null,
      addressState: r.state?.jurisdiction ?? null,
      postalCode: r.postal_code ?? null,
      segment: r.segment ?? null,
      createdAt: r.created_at ?? null,
      marketingConsent: r.marketing_consent ?? null,
    },
  }
}

/** The first problem of a row: its field and what is wrong (never the value of a PII field). */
function rejection(line: number, error: z.ZodError): MasterDataRejection {
  const issue = error.issues[0]
  return { line, field: String(issue?.path[0] ?? 'row'), reason: issue?.message ?? 'is invalid' }
}

/**
 * Loads a master data file (`--format locations` or `customers`): rows validated one by one,
 * good ones upserted 5,000 per transaction, bad ones reported by line and field. A file with no
 * good row still reads to the end, so every bad line is reported. An unreadable file or a
 * header lacking a required column is INVALID_INPUT before anything is written.
 */
export async function importMasterData(
  database: Database,
  path: string,
  options: MasterDataOptions,
): Promise<MasterDataReport> {
  const started = performance.now()
  await stat(path).catch((err: unknown) => {
    throw new GiftCardError('INVALID_INPUT', `cannot read ${path}: ${describeError(err)}`)
  })
  const { format } = options
  const piiKey = options.piiKey ?? DEVELOPMENT_PII_KEY
  const now = () => toIso(options.now?.() ?? Date.now())
  const report: MasterDataReport = {
    path,
    format,
    rows: 0,
    inserted: 0,
    updated: 0,
    enriched: 0,
    unchanged: 0,
    rejected: [],
    rejectedTotal: 0,
    seconds: 0,
  }
  const reject = (row: MasterDataRejection) => {
    if (report.rejected.length < KEPT_REJECTIONS) report.rejected.push(row)
    report.rejectedTotal++
    options.onRejected?.(row)
  }
  const add = (counts: UpsertCounts) => {
    report.inserted += counts.inserted
    report.updated += counts.updated
    report.enriched += counts.enriched
    report.unchanged += counts.unchanged
  }
  const idColumn = format === 'locations' ? 'location_id' : 'customer_id'
  // Each id once per file: a second row for it would make a reload change it back and forth.
  const seen = new Map<string, number>()
  let locations: LocationRecord[] = []
  let customers: CustomerRecord[] = []
  const flush = async () => {
    if (locations.length > 0) add(await upsertLocations(database.db, locations, now()))
    if (customers.length > 0) add(await upsertCustomers(database.db, customers, now()))
    locations = []
    customers = []
  }

  let columns: string[] | undefined
  for await (const records of readCsv(createReadStream(path))) {
    for (const record of records) {
      if (!columns) {
        if ('error' in record)
          throw new GiftCardError('INVALID_INPUT', `line ${record.line}: ${record.error}`)
        columns = checkHeader(format, record.fields)
        continue
      }
      report.rows++
      if ('error' in record) {
        reject({ line: record.line, field: 'row', reason: record.error })
        continue
      }
      if (record.fields.length > columns.length) {
        reject({
          line: record.line,
          field: 'row',
          reason: `has ${record.fields.length} fields, the header ${columns.length}`,
        })
        continue
      }
      const values: Record<string, string> = {}
      record.fields.forEach((field, i) => {
        const value = field.trim()
        const name = columns?.[i] as string
        if (value !== '' || REQUIRED_COLUMNS[format].includes(name)) values[name] = value
      })
      for (const name of REQUIRED_COLUMNS[format]) values[name] ??= ''
      const read =
        format === 'locations'
          ? readLocationRow(record.line, values)
          : readCustomerRow(record.line, values, piiKey)
      if (!('record' in read)) {
        reject(read)
        continue
      }
      const first = seen.get(read.record.id)
      if (first !== undefined) {
        reject({
          line: record.line,
          field: idColumn,
          reason: `${JSON.stringify(read.record.id)} was already given on line ${first}`,
        })
        continue
      }
      seen.set(read.record.id, record.line)
      if (format === 'locations') locations.push(read.record as LocationRecord)
      else customers.push(read.record as CustomerRecord)
      if (locations.length + customers.length >= BATCH) await flush()
    }
  }
  if (!columns) throw new GiftCardError('INVALID_INPUT', `${path} is empty: it has no header`)
  await flush()
  report.seconds = (performance.now() - started) / 1000
  return report
}

function checkHeader(format: MasterDataFormat, header: string[]): string[] {
  const columns = header.map((h) => h.trim().toLowerCase())
  const allowed: readonly string[] = MASTER_DATA_COLUMNS[format]
  const missing = REQUIRED_COLUMNS[format].filter((c) => !columns.includes(c))
  if (missing.length > 0)
    throw new GiftCardError(
      'INVALID_INPUT',
      `the ${format} header lacks ${missing.join(', ')} (its columns are ${allowed.join(',')})`,
    )
  const unknown = columns.filter((c) => !allowed.includes(c))
  if (unknown.length > 0)
    throw new GiftCardError(
      'INVALID_INPUT',
      `the ${format} header has unknown columns: ${unknown.join(', ')} (its columns are ${allowed.join(',')})`,
    )
  const twice = columns.find((c, i) => columns.indexOf(c) !== i)
  if (twice) throw new GiftCardError('INVALID_INPUT', `the ${format} header names ${twice} twice`)
  return columns
}
