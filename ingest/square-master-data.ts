import { z } from 'zod'
import { DEVELOPMENT_PII_KEY, GiftCardError, toIso } from '../core/index.ts'
import {
  type CustomerRecord,
  type Database,
  type LocationRecord,
  type UpsertCounts,
  upsertCustomers,
  upsertLocations,
} from '../db/index.ts'
import { readCustomerRow, readLocationRow } from './master-data.ts'
import { errorDetail, type RetryPolicy, requestJson } from './pos-api.ts'

/**
 * `giftcards sync square`'s master data (docs/ingest.md, "Master data"): every store from
 * Square's ListLocations and every customer from ListCustomers, upserted as a locations or
 * customers file is (so events' stub rows are enriched in place and a second sync changes
 * nothing). Each object goes through the same row checks as a file's row; one that fails them
 * (a store outside the US, a state Square spells in a way we do not know) is skipped and logged
 * by id and field, never with the customer's name, email or phone.
 */

export type SquareMasterDataOptions = RetryPolicy & {
  baseUrl: string
  accessToken: string
  apiVersion: string
  /** Customers per ListCustomers page (Square allows 1–100). */
  pageSize?: number
  /** PII_TOKEN_KEY: the key a new customer's pseudonym is made under. */
  piiKey?: string
}

export type SquareMasterDataReport = {
  locations: UpsertCounts & { read: number; skipped: number }
  customers: UpsertCounts & { read: number; skipped: number; pages: number }
  retries: number
}

const bounded = (max: number) => z.string().max(max).optional()

/** Square's Address, the fields master data uses (docs/ingest.md lists them). */
const addressSchema = z
  .object({
    locality: bounded(200),
    administrative_district_level_1: bounded(200),
    postal_code: bounded(40),
    country: bounded(10),
  })
  .optional()

/** A Location of ListLocations (`GET /v2/locations`). */
const locationSchema = z.object({
  id: z.string().min(1).max(200),
  name: bounded(255),
  address: addressSchema,
  coordinates: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
  timezone: bounded(64),
})

/** A Customer of ListCustomers (`GET /v2/customers`). */
const customerSchema = z.object({
  id: z.string().min(1).max(200),
  given_name: bounded(300),
  family_name: bounded(300),
  email_address: bounded(300),
  phone_number: bounded(100),
  address: addressSchema,
  created_at: bounded(40),
})

const locationsPage = z.object({ locations: z.array(z.unknown()).max(10_000).optional() })
const customersPage = z.object({
  customers: z.array(z.unknown()).max(1000).optional(),
  cursor: z.string().min(1).max(4096).optional(),
})

const counts = (): UpsertCounts => ({ inserted: 0, updated: 0, enriched: 0, unchanged: 0 })
const addCounts = (to: UpsertCounts, from: UpsertCounts) => {
  to.inserted += from.inserted
  to.updated += from.updated
  to.enriched += from.enriched
  to.unchanged += from.unchanged
}

/** Only the fields given: what `readLocationRow` / `readCustomerRow` take. */
function present(fields: Record<string, string | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(fields)) {
    const text = v === undefined ? '' : String(v).trim()
    if (text !== '') out[k] = text
  }
  return out
}

/**
 * Pulls Square's Locations, then its Customers (100 a page, following `cursor`), and upserts
 * them. Runs before the activities are pulled, so a sync's events meet their stores known.
 */
export async function syncSquareMasterData(
  database: Database,
  options: SquareMasterDataOptions,
): Promise<SquareMasterDataReport> {
  const report: SquareMasterDataReport = {
    locations: { ...counts(), read: 0, skipped: 0 },
    customers: { ...counts(), read: 0, skipped: 0, pages: 0 },
    retries: 0,
  }
  const policy: RetryPolicy = {
    ...options,
    onRetry: (info) => {
      report.retries++
      options.onRetry?.(info)
    },
  }
  const piiKey = options.piiKey ?? DEVELOPMENT_PII_KEY
  const get = async (operation: string, url: URL) => {
    const response = await requestJson(
      {
        service: 'Square',
        operation,
        url,
        init: {
          headers: {
            Authorization: `Bearer ${options.accessToken}`,
            'Square-Version': options.apiVersion,
            Accept: 'application/json',
          },
        },
      },
      policy,
    )
    if (response.status >= 400)
      throw new GiftCardError(
        'FORBIDDEN',
        `Square refused ${operation} (${response.status}): ${squareErrors(response.json)}`,
      )
    return response.json
  }
  const skip = (what: string, id: unknown, field: string, reason: string) =>
    options.logger?.warn({ id, field, reason }, `skipped a Square ${what}`)

  // Locations: one answer, every location of the seller (ListLocations does not page).
  const locations = locationsPage.safeParse(
    await get('ListLocations', new URL('/v2/locations', options.baseUrl)),
  )
  if (!locations.success)
    throw new GiftCardError('INVALID_INPUT', "Square's answer does not look like ListLocations")
  const stores: LocationRecord[] = []
  for (const raw of locations.data.locations ?? []) {
    report.locations.read++
    const parsed = locationSchema.safeParse(raw)
    if (!parsed.success) {
      report.locations.skipped++
      skip(
        'location',
        (raw as { id?: unknown })?.id,
        String(parsed.error.issues[0]?.path[0]),
        'malformed',
      )
      continue
    }
    const l = parsed.data
    const read = readLocationRow(
      0,
      present({
        location_id: l.id,
        name: l.name ?? l.id,
        city: l.address?.locality,
        state: l.address?.administrative_district_level_1,
        postal_code: l.address?.postal_code,
        country: l.address?.country,
        latitude: l.coordinates?.latitude,
        longitude: l.coordinates?.longitude,
        timezone: l.timezone,
      }),
    )
    if ('record' in read) stores.push(read.record)
    else {
      report.locations.skipped++
      skip('location', l.id, read.field, read.reason)
    }
  }
  if (stores.length > 0)
    addCounts(report.locations, await upsertLocations(database.db, stores, toIso(Date.now())))

  // Customers: a page at a time, each page upserted on its own.
  let cursor: string | undefined
  do {
    const url = new URL('/v2/customers', options.baseUrl)
    url.searchParams.set('limit', String(options.pageSize ?? 100))
    if (cursor) url.searchParams.set('cursor', cursor)
    const page = customersPage.safeParse(await get('ListCustomers', url))
    if (!page.success)
      throw new GiftCardError('INVALID_INPUT', "Square's answer does not look like ListCustomers")
    report.customers.pages++
    const customers: CustomerRecord[] = []
    for (const raw of page.data.customers ?? []) {
      report.customers.read++
      const parsed = customerSchema.safeParse(raw)
      if (!parsed.success) {
        report.customers.skipped++
        skip(
          'customer',
          (raw as { id?: unknown })?.id,
          String(parsed.error.issues[0]?.path[0]),
          'malformed',
        )
        continue
      }
      const c = parsed.data
      const name = [c.given_name, c.family_name].filter(Boolean).join(' ')
      const read = readCustomerRow(
        0,
        present({
          customer_id: c.id,
          name,
          email: c.email_address,
          phone: c.phone_number,
          state: c.address?.administrative_district_level_1,
          postal_code: c.address?.postal_code,
          created_at: c.created_at,
        }),
        piiKey,
      )
      if ('record' in read) customers.push(read.record)
      else {
        report.customers.skipped++
        skip('customer', c.id, read.field, read.reason)
      }
    }
    if (customers.length > 0)
      addCounts(report.customers, await upsertCustomers(database.db, customers, toIso(Date.now())))
    cursor = page.data.cursor
  } while (cursor)
  return report
}

/** Square's `errors` as `CODE: detail`, or a bounded excerpt of the body. */
function squareErrors(json: unknown): string {
  const parsed = z
    .object({
      errors: z.array(z.object({ code: z.string().optional(), detail: z.string().optional() })),
    })
    .safeParse(json)
  if (!parsed.success) return errorDetail(json)
  return parsed.data.errors.map((e) => `${e.code ?? 'ERROR'}: ${e.detail ?? ''}`).join('; ')
}
