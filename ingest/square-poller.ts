import { z } from 'zod'
import {
  describeError,
  eventFieldProblem,
  GiftCardError,
  type Logger,
  toIso,
} from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { applyBatch } from './apply.ts'
import type { EventListener } from './hooks.ts'
import { squareActivitySchema, squareActivityToEvents } from './sources/square.ts'

const pageSchema = z.object({
  gift_card_activities: z.array(z.unknown()).optional(),
  cursor: z.string().min(1).optional(),
  errors: z
    .array(z.object({ code: z.string().optional(), detail: z.string().optional() }))
    .optional(),
})

export type SquareSyncOptions = {
  baseUrl: string
  accessToken: string
  apiVersion: string
  /** Activities per page (Square allows up to 100). */
  pageSize?: number
  /** Tries per request before giving up on 429 / 5xx / network errors. */
  maxAttempts?: number
  /** First backoff delay; doubles each retry (a Retry-After header wins). */
  backoffMs?: number
  /** Where to start when nothing was synced yet (Square's own default is a year ago). */
  since?: string
  listeners?: readonly EventListener[]
  logger?: Logger
  /** The key of stub customers' pseudonyms: PII_TOKEN_KEY (`applyBatch`'s `piiKey`). */
  piiKey?: string
  /** MAX_EVENT_CENTS: an activity moving more, or reporting a larger balance, is skipped. */
  maxEventCents?: number
  fetch?: typeof fetch
  sleep?: (ms: number) => Promise<void>
}

export type SquareSyncReport = {
  pages: number
  activities: number
  applied: number
  duplicates: number
  skipped: number
  retries: number
  beganAt: string | null
  lastEventAt: string | null
}

/**
 * `giftcards sync square`: pulls gift card activities from Square's ListGiftCardActivities,
 * oldest first, from the newest activity synced before (inclusive, so the boundary comes back
 * as a duplicate and nothing is missed). Each page is applied with the sync state in one
 * transaction, so a sync that stops half-way resumes where it stopped. 429 and 5xx answers are
 * retried with exponential backoff (honouring Retry-After).
 */
export async function syncSquare(
  database: Database,
  options: SquareSyncOptions,
): Promise<SquareSyncReport> {
  const doFetch = options.fetch ?? fetch
  const limits = options.maxEventCents === undefined ? {} : { maxEventCents: options.maxEventCents }
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const state = await database.db
    .selectFrom('sync_state')
    .selectAll()
    .where('source', '=', 'square')
    .executeTakeFirst()
  const beganAt = state?.last_event_at ?? options.since ?? null
  const report: SquareSyncReport = {
    pages: 0,
    activities: 0,
    applied: 0,
    duplicates: 0,
    skipped: 0,
    retries: 0,
    beganAt,
    lastEventAt: beganAt,
  }
  let cursor: string | undefined
  do {
    const url = new URL('/v2/gift-cards/activities', options.baseUrl)
    url.searchParams.set('sort_order', 'ASC')
    url.searchParams.set('limit', String(options.pageSize ?? 100))
    if (beganAt) url.searchParams.set('begin_time', beganAt)
    if (cursor) url.searchParams.set('cursor', cursor)
    const page = await fetchPage(url, options, doFetch, sleep, report)
    report.pages++
    const events = []
    for (const raw of page.gift_card_activities ?? []) {
      report.activities++
      const parsed = squareActivitySchema.safeParse(raw)
      if (!parsed.success) {
        report.skipped++
        options.logger?.warn(
          { activity: raw, error: parsed.error.issues[0]?.message },
          'skipped a malformed Square activity',
        )
        continue
      }
      const activityEvents = squareActivityToEvents(parsed.data)
      const problem = activityEvents
        .map((e) => eventFieldProblem(e, limits))
        .find((p) => p !== undefined)
      if (problem) {
        // Refused like a malformed one: it would fail the page, and stall the sync, forever.
        report.skipped++
        options.logger?.warn({ activity: raw, error: problem }, 'skipped a Square activity')
        continue
      }
      events.push(...activityEvents)
      if (!report.lastEventAt || parsed.data.created_at > report.lastEventAt)
        report.lastEventAt = toIso(Date.parse(parsed.data.created_at))
    }
    const result = await applyBatch(
      database,
      { events, cards: [] },
      {
        ...(options.piiKey ? { piiKey: options.piiKey } : {}),
        ...limits,
        within: async (trx) => {
          const now = toIso(Date.now())
          await trx
            .insertInto('sync_state')
            .values({
              source: 'square',
              cursor: page.cursor ?? null,
              last_event_at: report.lastEventAt,
              updated_at: now,
            })
            .onConflict((oc) =>
              oc.column('source').doUpdateSet({
                cursor: page.cursor ?? null,
                last_event_at: report.lastEventAt,
                updated_at: now,
              }),
            )
            .execute()
        },
      },
    )
    report.applied += result.applied.length
    report.duplicates += result.duplicates
    for (const event of result.applied)
      for (const listener of options.listeners ?? []) await listener.onEvent(event)
    cursor = page.cursor
  } while (cursor)
  return report
}

async function fetchPage(
  url: URL,
  options: SquareSyncOptions,
  doFetch: typeof fetch,
  sleep: (ms: number) => Promise<void>,
  report: SquareSyncReport,
): Promise<z.infer<typeof pageSchema>> {
  const attempts = options.maxAttempts ?? 6
  let delay = options.backoffMs ?? 500
  for (let attempt = 1; ; attempt++) {
    let retryable: string
    let wait = delay
    try {
      const response = await doFetch(url, {
        headers: {
          Authorization: `Bearer ${options.accessToken}`,
          'Square-Version': options.apiVersion,
          Accept: 'application/json',
        },
      })
      const text = await response.text()
      if (response.ok) {
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          throw new GiftCardError(
            'DB_ERROR',
            `Square answered ${url.pathname} with something that is not JSON`,
          )
        }
        const page = pageSchema.safeParse(json)
        if (!page.success)
          throw new GiftCardError(
            'INVALID_INPUT',
            `Square's page does not look like ListGiftCardActivities: ${page.error.issues[0]?.message}`,
          )
        return page.data
      }
      if (response.status !== 429 && response.status < 500) {
        throw new GiftCardError(
          'FORBIDDEN',
          `Square refused ListGiftCardActivities (${response.status}): ${squareDetail(text)}`,
        )
      }
      retryable = `HTTP ${response.status}`
      const retryAfter = response.headers.get('retry-after')
      if (retryAfter !== null && Number.isFinite(Number(retryAfter)) && Number(retryAfter) >= 0)
        wait = Number(retryAfter) * 1000
    } catch (err) {
      if (err instanceof GiftCardError) throw err
      retryable = describeError(err)
    }
    if (attempt >= attempts)
      throw new GiftCardError(
        'INTERNAL',
        `Square's API kept failing (${retryable}) after ${attempts} tries`,
      )
    report.retries++
    options.logger?.warn({ attempt, retryable, waitMs: wait }, 'retrying Square')
    await sleep(wait)
    delay *= 2
  }
}

function squareDetail(text: string): string {
  try {
    const parsed = pageSchema.parse(JSON.parse(text))
    return (
      parsed.errors?.map((e) => `${e.code ?? 'ERROR'}: ${e.detail ?? ''}`).join('; ') ||
      text.slice(0, 200)
    )
  } catch {
    return text.slice(0, 200)
  }
}
