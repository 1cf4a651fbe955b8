import type { Transaction } from 'kysely'
import { z } from 'zod'
import { GiftCardError, toIso } from '../core/index.ts'
import type { Database, DB } from '../db/index.ts'
import { applyBatch, type Normalized } from './apply.ts'
import type { EventListener } from './hooks.ts'
import { type ApiResponse, errorDetail, type RetryPolicy, requestJson } from './pos-api.ts'
import {
  lightspeedCardToNormalized,
  lightspeedGiftCardSchema,
  lightspeedSaleSchema,
  SaleIndex,
  touchesGiftCards,
} from './sources/lightspeed.ts'
import { readSyncState as readState, saveSyncState as saveState } from './sync-state.ts'

/** Where `giftcards sync lightspeed` keeps the sales `version` cursor and the newest event time. */
export const LIGHTSPEED_SALES_STATE = 'lightspeed'
/** Where it keeps how far an interrupted walk of the gift card list got (null: no walk under way). */
export const LIGHTSPEED_WALK_STATE = 'lightspeed:gift_cards'

/** The most items X-Series API 2.0 returns per page (`page_size`, docs/pos-sources.md). */
export const LIGHTSPEED_MAX_PAGE_SIZE = 200

export type LightspeedSyncOptions = RetryPolicy & {
  /** `https://{domain_prefix}.retail.lightspeed.app` (a loopback fake in tests). */
  baseUrl: string
  /** A personal token or an OAuth access token, sent as `Authorization: Bearer`. */
  accessToken: string
  /** The retailer's currency (X-Series amounts carry none). */
  currency: string
  /** Items per page, 1–200 (default 200). */
  pageSize?: number
  listeners?: readonly EventListener[]
}

export type LightspeedSyncReport = {
  salePages: number
  /** Sales read since the last sync, and how many of them involve gift cards. */
  sales: number
  giftCardSales: number
  cardPages: number
  cards: number
  transactions: number
  applied: number
  duplicates: number
  /** Cards or sales Lightspeed sent in a shape the ledger cannot read (logged with the reason). */
  skipped: number
  retries: number
  /** Whether this sync went on with a walk of the gift card list that an earlier one left. */
  resumedWalk: boolean
  salesVersionFrom: string
  salesVersionTo: string
  lastEventAt: string | null
}

const salesPageSchema = z.object({
  data: z.array(z.unknown()).max(10_000),
  version: z
    .object({ min: z.number().int().nullish(), max: z.number().int().nonnegative().nullish() })
    .nullish(),
})
const cardsPageSchema = z.object({ data: z.array(z.unknown()).max(10_000) })

/**
 * `giftcards sync lightspeed`: polls Lightspeed Retail (X-Series), which has no gift card
 * webhooks (docs/pos-sources.md).
 *
 * 1. Sales changed since the stored `version` cursor (`GET /api/2.0/sales?after=`), for the
 *    outlet, register, customer, staff member and items behind gift card transactions.
 * 2. The gift card list, newest first (`GET /api/2.0/gift_cards?before=`; the list has no
 *    `version` cursor, so every card is read each sync), each card with its whole transaction
 *    history. Transactions are applied keyed by their Lightspeed id: idempotent.
 *
 * Each page of cards is applied in one transaction with the walk's position, so a sync that
 * stops half-way resumes where it stopped; the sales cursor moves only once the walk is done.
 * 429 and 5xx answers are retried with backoff, honouring Retry-After (seconds or a date).
 */
export async function syncLightspeed(
  database: Database,
  options: LightspeedSyncOptions,
): Promise<LightspeedSyncReport> {
  const pageSize = options.pageSize ?? LIGHTSPEED_MAX_PAGE_SIZE
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > LIGHTSPEED_MAX_PAGE_SIZE)
    throw new GiftCardError('INVALID_INPUT', `page size must be 1–${LIGHTSPEED_MAX_PAGE_SIZE}`)
  const salesState = await readState(database.db, LIGHTSPEED_SALES_STATE)
  const walkState = await readState(database.db, LIGHTSPEED_WALK_STATE)
  const report: LightspeedSyncReport = {
    salePages: 0,
    sales: 0,
    giftCardSales: 0,
    cardPages: 0,
    cards: 0,
    transactions: 0,
    applied: 0,
    duplicates: 0,
    skipped: 0,
    retries: 0,
    resumedWalk: Boolean(walkState?.cursor),
    salesVersionFrom: salesState?.cursor ?? '0',
    salesVersionTo: salesState?.cursor ?? '0',
    lastEventAt: salesState?.last_event_at ?? null,
  }
  const client = lightspeedClient(options, report)
  const sales = await readSales(client, report, pageSize)
  let before = walkState?.cursor ?? undefined
  for (;;) {
    const fetched = await client.giftCards(pageSize, before)
    report.cardPages++
    // Older API versions include the `before` card itself at the top of the next page.
    const page = fetched.filter((c) => (c as { id?: unknown })?.id !== before)
    if (page.length === 0) break
    const batch = normalizeCards(page, options, sales, report)
    const last = page[page.length - 1] as { id?: unknown }
    const position = typeof last.id === 'string' ? last.id : undefined
    if (!position) throw new GiftCardError('INVALID_INPUT', 'a Lightspeed gift card has no id')
    await applyPage(database, batch, options, report, (trx) =>
      saveState(trx, LIGHTSPEED_WALK_STATE, position, null),
    )
    before = position
    if (fetched.length < pageSize) break
  }
  await database.db.transaction().execute(async (trx) => {
    await saveState(trx, LIGHTSPEED_SALES_STATE, report.salesVersionTo, report.lastEventAt)
    await saveState(trx, LIGHTSPEED_WALK_STATE, null, null)
  })
  return report
}

/** Reads every sale changed since the cursor, keeping the ones that involve gift cards. */
async function readSales(
  client: LightspeedClient,
  report: LightspeedSyncReport,
  pageSize: number,
): Promise<SaleIndex> {
  const index = new SaleIndex()
  let after = report.salesVersionFrom
  for (;;) {
    const page = await client.sales(pageSize, after)
    report.salePages++
    if (page.data.length === 0 || page.version?.max == null) break
    for (const raw of page.data) {
      report.sales++
      const sale = lightspeedSaleSchema.safeParse(raw)
      if (!sale.success) {
        report.skipped++
        client.warn(raw, sale.error.issues[0]?.message, 'skipped a malformed Lightspeed sale')
        continue
      }
      if (!touchesGiftCards(sale.data)) continue
      report.giftCardSales++
      index.add(sale.data)
    }
    const next = String(page.version.max)
    if (next === after) break
    after = next
    report.salesVersionTo = next
  }
  return index
}

function normalizeCards(
  page: unknown[],
  options: LightspeedSyncOptions,
  sales: SaleIndex,
  report: LightspeedSyncReport,
): Normalized {
  const batch: Normalized = { events: [], cards: [] }
  for (const raw of page) {
    report.cards++
    const card = lightspeedGiftCardSchema.safeParse(raw)
    if (!card.success) {
      report.skipped++
      const issue = card.error.issues[0]
      options.logger?.warn(
        { card: (raw as { id?: unknown })?.id, path: issue?.path.join('.'), error: issue?.message },
        'skipped a malformed Lightspeed gift card',
      )
      continue
    }
    report.transactions += card.data.gift_card_transactions.length
    const normalized = lightspeedCardToNormalized(card.data, options.currency, sales)
    batch.events.push(...normalized.events)
    batch.cards.push(...normalized.cards)
  }
  return batch
}

async function applyPage(
  database: Database,
  batch: Normalized,
  options: LightspeedSyncOptions,
  report: LightspeedSyncReport,
  within: (trx: Transaction<DB>) => Promise<void>,
): Promise<void> {
  const result = await applyBatch(database, batch, { within })
  report.applied += result.applied.length
  report.duplicates += result.duplicates
  for (const event of result.applied) {
    if (!report.lastEventAt || event.occurredAt > report.lastEventAt)
      report.lastEventAt = toIso(Date.parse(event.occurredAt))
    for (const listener of options.listeners ?? []) await listener.onEvent(event)
  }
}

type LightspeedClient = {
  sales(pageSize: number, after: string): Promise<z.infer<typeof salesPageSchema>>
  giftCards(pageSize: number, before: string | undefined): Promise<unknown[]>
  warn(raw: unknown, error: string | undefined, message: string): void
}

/** The two list endpoints, with bearer auth, retries and Lightspeed's error shapes. */
function lightspeedClient(
  options: LightspeedSyncOptions,
  report: LightspeedSyncReport,
): LightspeedClient {
  const policy: RetryPolicy = {
    ...options,
    onRetry: (info) => {
      report.retries++
      options.onRetry?.(info)
    },
  }
  const get = async (operation: string, path: string, query: Record<string, string>) => {
    const url = new URL(path, options.baseUrl)
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
    const response = await requestJson(
      {
        service: 'Lightspeed',
        operation,
        url,
        init: {
          headers: { Authorization: `Bearer ${options.accessToken}`, Accept: 'application/json' },
        },
      },
      policy,
    )
    return refuseErrors(response, operation)
  }
  return {
    async sales(pageSize, after) {
      const json = await get('ListSales', '/api/2.0/sales', {
        after,
        page_size: String(pageSize),
      })
      return parsePage(json, salesPageSchema, 'ListSales')
    },
    async giftCards(pageSize, before) {
      const json = await get('ListGiftCards', '/api/2.0/gift_cards', {
        page_size: String(pageSize),
        ...(before ? { before } : {}),
      })
      return parsePage(json, cardsPageSchema, 'ListGiftCards').data
    },
    warn(raw, error, message) {
      options.logger?.warn({ id: (raw as { id?: unknown })?.id, error }, message)
    },
  }
}

function refuseErrors(response: ApiResponse, operation: string): unknown {
  if (response.status >= 200 && response.status < 300) return response.json
  throw new GiftCardError(
    response.status === 401 || response.status === 403 ? 'FORBIDDEN' : 'INVALID_INPUT',
    `Lightspeed refused ${operation} (${response.status}): ${errorDetail(response.json)}`,
  )
}

function parsePage<T extends z.ZodType>(json: unknown, schema: T, operation: string): z.infer<T> {
  const parsed = schema.safeParse(json)
  if (!parsed.success)
    throw new GiftCardError(
      'INVALID_INPUT',
      `Lightspeed's ${operation} page does not look like API 2.0's: ${parsed.error.issues[0]?.message}`,
    )
  return parsed.data
}
