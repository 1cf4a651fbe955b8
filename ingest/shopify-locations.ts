import { z } from 'zod'
import { GiftCardError, toIso } from '../core/index.ts'
import {
  type Database,
  type LocationRecord,
  type UpsertCounts,
  upsertLocations,
} from '../db/index.ts'
import { readLocationRow } from './master-data.ts'
import { errorDetail, type RetryPolicy, requestJson } from './pos-api.ts'

/**
 * `giftcards sync shopify`: the shop's locations from the Admin GraphQL API (`locations`,
 * 250 a page, following `pageInfo.endCursor`), upserted as store master data (docs/ingest.md,
 * "Master data"). Shopify events name a location `shopify:<numeric id>` (ingest/sources/
 * shopify.ts), so a location's GID `gid://shopify/Location/123` is stored as `shopify:123` and
 * enriches the stub those events made. A Location has no time zone of its own (the shop has
 * one), so a store takes its state's zone.
 */

export type ShopifyLocationsOptions = RetryPolicy & {
  /** `https://my-shop.myshopify.com` (a loopback fake in tests). */
  baseUrl: string
  /** An Admin API access token, sent as `X-Shopify-Access-Token`. */
  accessToken: string
  /** `2025-10`: the Admin API version in the path. */
  apiVersion: string
  /** Locations per page (Shopify allows up to 250). */
  pageSize?: number
}

export type ShopifyLocationsReport = UpsertCounts & {
  read: number
  skipped: number
  pages: number
  retries: number
}

/** The query: only the fields master data uses. */
export const SHOPIFY_LOCATIONS_QUERY = `query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after) {
    nodes { id name address { city provinceCode zip countryCode latitude longitude } }
    pageInfo { hasNextPage endCursor }
  }
}`

const text = (max: number) => z.string().max(max).nullish()

const locationSchema = z.object({
  id: z.string().regex(/^gid:\/\/shopify\/Location\/\d{1,20}$/, 'is not a Location GID'),
  name: z.string().min(1).max(255),
  address: z
    .object({
      city: text(200),
      provinceCode: text(20),
      zip: text(40),
      countryCode: text(10),
      latitude: z.number().nullish(),
      longitude: z.number().nullish(),
    })
    .nullish(),
})

const answerSchema = z.object({
  data: z
    .object({
      locations: z.object({
        nodes: z.array(z.unknown()).max(1000),
        pageInfo: z.object({
          hasNextPage: z.boolean(),
          endCursor: z.string().max(4096).nullish(),
        }),
      }),
    })
    .nullish(),
  errors: z.array(z.object({ message: z.string().max(2000) })).optional(),
})

/** Reads every location of the shop and upserts them. */
export async function syncShopifyLocations(
  database: Database,
  options: ShopifyLocationsOptions,
): Promise<ShopifyLocationsReport> {
  const report: ShopifyLocationsReport = {
    inserted: 0,
    updated: 0,
    enriched: 0,
    unchanged: 0,
    read: 0,
    skipped: 0,
    pages: 0,
    retries: 0,
  }
  const policy: RetryPolicy = {
    ...options,
    onRetry: (info) => {
      report.retries++
      options.onRetry?.(info)
    },
  }
  const url = new URL(`/admin/api/${options.apiVersion}/graphql.json`, options.baseUrl)
  let after: string | null = null
  for (;;) {
    const response = await requestJson(
      {
        service: 'Shopify',
        operation: 'the locations query',
        url,
        init: {
          method: 'POST',
          headers: {
            'X-Shopify-Access-Token': options.accessToken,
            'Content-Type': 'application/json',
            Accept: 'application/json',
          },
          body: JSON.stringify({
            query: SHOPIFY_LOCATIONS_QUERY,
            variables: { first: options.pageSize ?? 250, after },
          }),
        },
      },
      policy,
    )
    if (response.status >= 400)
      throw new GiftCardError(
        'FORBIDDEN',
        `Shopify refused the locations query (${response.status}): ${errorDetail(response.json)}`,
      )
    const answer = answerSchema.safeParse(response.json)
    if (!answer.success)
      throw new GiftCardError('INVALID_INPUT', "Shopify's answer does not look like `locations`")
    if (!answer.data.data)
      throw new GiftCardError(
        'FORBIDDEN',
        `Shopify refused the locations query: ${answer.data.errors?.map((e) => e.message).join('; ') ?? 'no data'}`,
      )
    report.pages++
    const { nodes, pageInfo } = answer.data.data.locations
    const stores: LocationRecord[] = []
    for (const raw of nodes) {
      report.read++
      const parsed = locationSchema.safeParse(raw)
      if (!parsed.success) {
        report.skipped++
        options.logger?.warn(
          { field: String(parsed.error.issues[0]?.path[0]) },
          'skipped a malformed Shopify location',
        )
        continue
      }
      const l = parsed.data
      const id = `shopify:${l.id.slice(l.id.lastIndexOf('/') + 1)}`
      const a = l.address
      const values: Record<string, string> = {}
      const fields = {
        location_id: id,
        name: l.name,
        city: a?.city,
        state: a?.provinceCode,
        postal_code: a?.zip,
        country: a?.countryCode,
        latitude: a?.latitude,
        longitude: a?.longitude,
      }
      for (const [k, v] of Object.entries(fields))
        if (v !== undefined && v !== null && String(v).trim() !== '') values[k] = String(v).trim()
      const read = readLocationRow(0, values)
      if ('record' in read) stores.push(read.record)
      else {
        report.skipped++
        options.logger?.warn(
          { id, field: read.field, reason: read.reason },
          'skipped a Shopify location',
        )
      }
    }
    if (stores.length > 0) {
      const counts = await upsertLocations(database.db, stores, toIso(Date.now()))
      report.inserted += counts.inserted
      report.updated += counts.updated
      report.enriched += counts.enriched
      report.unchanged += counts.unchanged
    }
    if (!pageInfo.hasNextPage || !pageInfo.endCursor) break
    after = pageInfo.endCursor
  }
  return report
}
