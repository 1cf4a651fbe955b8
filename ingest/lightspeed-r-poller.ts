import { z } from 'zod'
import { GiftCardError, toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { applyBatch } from './apply.ts'
import type { EventListener } from './hooks.ts'
import { errorDetail, type RetryPolicy, requestJson } from './pos-api.ts'
import { rSeriesPaymentEvents, rSeriesSalePaymentSchema } from './sources/lightspeed-r.ts'
import { readSyncState, saveSyncState } from './sync-state.ts'

/** Where `giftcards sync lightspeed --series r` keeps the newest `timeStamp` it read. */
export const LIGHTSPEED_R_STATE = 'lightspeed-r'

export type LightspeedRSyncOptions = RetryPolicy & {
  /** `https://api.lightspeedapp.com` (a loopback fake in tests). */
  baseUrl: string
  accountId: string
  /** An OAuth access token, sent as `Authorization: Bearer`. */
  accessToken: string
  currency: string
  listeners?: readonly EventListener[]
}

export type LightspeedRSyncReport = {
  pages: number
  payments: number
  giftCardPayments: number
  applied: number
  duplicates: number
  skipped: number
  retries: number
  beganAt: string | null
  lastEventAt: string | null
}

const pageSchema = z.object({
  '@attributes': z.object({ next: z.string().max(4096).optional() }).optional(),
  SalePayment: z
    .union([z.array(z.unknown()).max(1000), z.record(z.string(), z.unknown())])
    .optional(),
})

/**
 * `giftcards sync lightspeed --series r`: reads Lightspeed Retail (R-Series) SalePayments
 * changed since the newest `timeStamp` read before (`timeStamp=>=,<time>`, sorted by
 * `timeStamp`, 100 a page, following `@attributes.next`), keeping gift card payments
 * (docs/pos-sources.md). Each page is applied with the new position in one transaction, so a
 * sync that stops resumes where it stopped; the boundary is read again and is a duplicate.
 */
export async function syncLightspeedR(
  database: Database,
  options: LightspeedRSyncOptions,
): Promise<LightspeedRSyncReport> {
  const state = await readSyncState(database.db, LIGHTSPEED_R_STATE)
  const report: LightspeedRSyncReport = {
    pages: 0,
    payments: 0,
    giftCardPayments: 0,
    applied: 0,
    duplicates: 0,
    skipped: 0,
    retries: 0,
    beganAt: state?.cursor ?? null,
    lastEventAt: state?.last_event_at ?? null,
  }
  const first = new URL(
    `/API/V3/Account/${encodeURIComponent(options.accountId)}/SalePayment.json`,
    options.baseUrl,
  )
  first.searchParams.set('load_relations', '["PaymentType"]')
  first.searchParams.set('sort', 'timeStamp')
  first.searchParams.set('limit', '100')
  if (state?.cursor) first.searchParams.set('timeStamp', `>=,${state.cursor}`)
  let url: URL | undefined = first
  let position = state?.cursor ?? null
  while (url) {
    const page = await fetchPage(url, options, report)
    report.pages++
    const raw =
      page.SalePayment === undefined
        ? []
        : Array.isArray(page.SalePayment)
          ? page.SalePayment
          : [page.SalePayment]
    const events = []
    for (const item of raw) {
      report.payments++
      const payment = rSeriesSalePaymentSchema.safeParse(item)
      if (!payment.success) {
        report.skipped++
        options.logger?.warn(
          {
            id: (item as { salePaymentID?: unknown })?.salePaymentID,
            error: payment.error.issues[0]?.message,
          },
          'skipped a malformed Lightspeed R-Series payment',
        )
        continue
      }
      const changed = payment.data.timeStamp ?? payment.data.createTime
      if (!position || changed > position) position = changed
      const found = rSeriesPaymentEvents(payment.data, options.currency)
      if (found.length > 0) report.giftCardPayments++
      events.push(...found)
    }
    const cursor = position
    const result = await applyBatch(
      database,
      { events, cards: [] },
      { within: (trx) => saveSyncState(trx, LIGHTSPEED_R_STATE, cursor, report.lastEventAt) },
    )
    report.applied += result.applied.length
    report.duplicates += result.duplicates
    for (const event of result.applied) {
      if (!report.lastEventAt || event.occurredAt > report.lastEventAt)
        report.lastEventAt = toIso(Date.parse(event.occurredAt))
      for (const listener of options.listeners ?? []) await listener.onEvent(event)
    }
    const next = page['@attributes']?.next
    url = next ? new URL(next) : undefined
    if (url && url.origin !== new URL(options.baseUrl).origin)
      throw new GiftCardError('INVALID_INPUT', "Lightspeed's next page is on another host")
  }
  return report
}

async function fetchPage(
  url: URL,
  options: LightspeedRSyncOptions,
  report: LightspeedRSyncReport,
): Promise<z.infer<typeof pageSchema>> {
  const response = await requestJson(
    {
      service: 'Lightspeed',
      operation: 'SalePayment',
      url,
      init: {
        headers: { Authorization: `Bearer ${options.accessToken}`, Accept: 'application/json' },
      },
    },
    {
      ...options,
      onRetry: (info) => {
        report.retries++
        options.onRetry?.(info)
      },
    },
  )
  if (response.status < 200 || response.status >= 300)
    throw new GiftCardError(
      response.status === 401 || response.status === 403 ? 'FORBIDDEN' : 'INVALID_INPUT',
      `Lightspeed refused SalePayment (${response.status}): ${errorDetail(response.json)}`,
    )
  const parsed = pageSchema.safeParse(response.json)
  if (!parsed.success)
    throw new GiftCardError(
      'INVALID_INPUT',
      `Lightspeed's SalePayment page does not look like API V3's: ${parsed.error.issues[0]?.message}`,
    )
  return parsed.data
}
