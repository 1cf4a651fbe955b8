import { Hono } from 'hono'
import { createLogger, describeError, isGiftCardError, type Logger, toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import type { CloverClient } from './clover-api.ts'
import type { CloverCardMap } from './clover-cards.ts'
import type { Inbox, InboxOutcome } from './inbox.ts'
import {
  type CloverResolved,
  type CloverUpdate,
  cloverNotificationSchema,
  cloverUpdateKey,
  cloverVerificationSchema,
  resolvedPayments,
} from './sources/clover.ts'
import { parseAs, parseJson, type WebhookSource } from './sources/source.ts'
import {
  FAILED_DELIVERY_MESSAGE,
  internalError,
  type RequestIdEnv,
  readBody,
  tagRequest,
} from './webhooks.ts'

/** The largest notification accepted (Clover's are a few hundred bytes per update). */
const MAX_BODY_BYTES = 1024 * 1024
/** Updates handled per notification at most (each one is a fetch). */
const MAX_UPDATES = 500

/** What happened to one update of a notification. */
export type CloverUpdateOutcome = {
  key: string
  status: InboxOutcome['status'] | 'retry'
  applied: number
  /** Why nothing was applied, when that is not obvious (unresolved card, unknown merchant…). */
  reason?: string
}

export type CloverWebhookDeps = {
  database: Database
  inbox: Inbox
  source: WebhookSource
  client: CloverClient
  cards: CloverCardMap
  logger?: Logger
}

/**
 * `POST /webhooks/clover` (docs/pos-sources.md):
 *
 * - the set-up request `{"verificationCode": "…"}` gets 200 and the code is logged, to paste
 *   into the Clover dashboard (Clover sends it before there is an auth code to check);
 * - any other body needs `X-Clover-Auth` to be the app's Clover Auth Code (401 otherwise)
 *   and must be a notification `{appId, merchants: {mId: [{objectId, type, ts}]}}` (400);
 * - each update of an order (`O:`) or payment (`P:`) is fetched from the REST API, outside any
 *   database transaction, then stored with what was fetched and applied through the inbox
 *   (dedupe on merchant, object, type and time; ledger events keyed by Clover's ids), so a
 *   redelivery is a duplicate and is not fetched again. A fetch that fails after its retries
 *   stores nothing and gets 503, for Clover to deliver again; a delivery that cannot be
 *   applied gets 500 (kept in the inbox, like every source).
 */
export function cloverWebhookRoutes(deps: CloverWebhookDeps): Hono<RequestIdEnv> {
  const logger = deps.logger ?? createLogger()
  const app = new Hono<RequestIdEnv>()
  app.use('/webhooks/clover', tagRequest())
  app.post('/webhooks/clover', async (c) => {
    const rawBody = await readBody(c, MAX_BODY_BYTES)
    if (rawBody === undefined)
      return c.json({ error: `body too large (over ${MAX_BODY_BYTES} bytes)` }, 413, {
        connection: 'close',
      })
    let json: unknown
    try {
      json = parseJson(rawBody)
    } catch (err) {
      if (isGiftCardError(err, 'INVALID_INPUT')) return c.json({ error: err.message }, 400)
      throw err
    }
    const verification = cloverVerificationSchema.strict().safeParse(json)
    if (verification.success) {
      logger.info(
        { verificationCode: verification.data.verificationCode },
        'Clover webhook verification code: paste it into the app settings of the Clover dashboard',
      )
      return c.json({ status: 'verification code received' }, 200)
    }
    if (!deps.source.verify(rawBody, c.req.raw.headers))
      return c.json({ error: 'invalid X-Clover-Auth' }, 401)
    let updates: CloverUpdate[]
    try {
      const notification = parseAs(json, cloverNotificationSchema)
      updates = Object.entries(notification.merchants).flatMap(([merchantId, list]) =>
        list.map((u) => ({ ...u, merchantId })),
      )
    } catch (err) {
      if (isGiftCardError(err, 'INVALID_INPUT')) return c.json({ error: err.message }, 400)
      throw err
    }
    if (updates.length > MAX_UPDATES)
      return c.json({ error: `more than ${MAX_UPDATES} updates in one notification` }, 413)
    const outcomes: CloverUpdateOutcome[] = []
    for (const update of updates) outcomes.push(await handleUpdate(deps, update, logger))
    const requestId = c.get('requestId')
    if (outcomes.some((o) => o.status === 'retry'))
      return c.json({ status: 'retry', outcomes, requestId }, 503, { 'retry-after': '60' })
    if (outcomes.some((o) => o.status === 'failed'))
      return c.json({ status: 'failed', outcomes, error: FAILED_DELIVERY_MESSAGE, requestId }, 500)
    return c.json({ status: 'ok', outcomes }, 200)
  })
  app.onError((err, c) => internalError(c, err, logger))
  return app
}

/** Fetches what one update names and hands it to the inbox; never throws for one bad update. */
async function handleUpdate(
  deps: CloverWebhookDeps,
  update: CloverUpdate,
  logger: Logger,
): Promise<CloverUpdateOutcome> {
  const key = cloverUpdateKey(update)
  const [prefix, objectId] = splitObjectId(update.objectId)
  const ignore = (reason: string) => accept(deps, update, null, reason)
  if (!deps.client.knows(update.merchantId))
    return ignore(`merchant ${update.merchantId} is not in CLOVER_MERCHANTS`)
  if (prefix !== 'O' && prefix !== 'P') return ignore('not an order or a payment')
  if (update.type === 'DELETE') return ignore('a deleted object moves no money')
  if (await alreadyHandled(deps.database, key)) return { key, status: 'duplicate', applied: 0 }
  let resolved: CloverResolved
  try {
    resolved = await fetchResolved(deps, update, prefix, objectId)
  } catch (err) {
    logger.warn(
      { key, err: describeError(err) },
      'could not fetch what a Clover notification names',
    )
    return {
      key,
      status: 'retry',
      applied: 0,
      reason: 'Clover could not be reached; deliver again',
    }
  }
  return accept(deps, update, resolved)
}

/** Fetches the payment or order an update names, and matches its gift card payments to cards. */
async function fetchResolved(
  deps: CloverWebhookDeps,
  update: CloverUpdate,
  prefix: 'O' | 'P',
  objectId: string,
): Promise<CloverResolved> {
  const payment = prefix === 'P' ? await deps.client.payment(update.merchantId, objectId) : null
  const order = prefix === 'O' ? await deps.client.order(update.merchantId, objectId) : null
  const resolved: CloverResolved = {
    kind: 'clover.resolved',
    update,
    fetchedAt: toIso(Date.now()),
    payment,
    order,
    cards: {},
  }
  for (const p of resolvedPayments(resolved))
    resolved.cards[p.id] = deps.cards.resolve({
      last4: p.cardTransaction?.last4 ?? null,
      first6: p.cardTransaction?.first6 ?? null,
    })
  return resolved
}

/** Stores the update (resolved, or as ignored with a reason) and applies it through the inbox. */
async function accept(
  deps: CloverWebhookDeps,
  update: CloverUpdate,
  resolved: CloverResolved | null,
  reason?: string,
): Promise<CloverUpdateOutcome> {
  const key = cloverUpdateKey(update)
  const kind = update.objectId.startsWith('P:') ? 'payment' : 'order'
  if (!resolved) {
    const outcome = await deps.inbox.accept(
      deps.source.name,
      { eventId: key, eventType: `${kind}.${update.type.toLowerCase()}`, normalized: 'ignored' },
      JSON.stringify({ kind: 'clover.ignored', update, reason }),
    )
    return { key, status: outcome.status, applied: 0, ...(reason ? { reason } : {}) }
  }
  const rawBody = JSON.stringify(resolved)
  const eventType = `${kind}.${update.type.toLowerCase()}`
  const delivery = deps.source.parse(rawBody, { eventType })
  const outcome = await deps.inbox.accept(deps.source.name, delivery, rawBody)
  const unresolved = Object.values(resolved.cards).flatMap((m) =>
    'unresolved' in m ? [m.unresolved] : [],
  )
  const missing = kind === 'payment' ? !resolved.payment : !resolved.order
  const why = missing
    ? 'Clover no longer has this object'
    : unresolved.length > 0
      ? `gift card not matched: ${unresolved.join('; ')}`
      : delivery.normalized === 'ignored'
        ? 'no settled gift card payment in it'
        : undefined
  return { key, status: outcome.status, applied: outcome.applied, ...(why ? { reason: why } : {}) }
}

function splitObjectId(objectId: string): [string, string] {
  const at = objectId.indexOf(':')
  return at < 0 ? ['', objectId] : [objectId.slice(0, at), objectId.slice(at + 1)]
}

/** Whether an update was stored and settled before (processed or ignored): no fetch again. */
async function alreadyHandled(database: Database, key: string): Promise<boolean> {
  const row = await database.db
    .selectFrom('webhook_inbox')
    .select('status')
    .where('source', '=', 'clover')
    .where('event_id', '=', key)
    .executeTakeFirst()
  return row?.status === 'processed' || row?.status === 'ignored'
}
