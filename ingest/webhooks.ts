import type { IncomingMessage } from 'node:http'
import { type Context, Hono } from 'hono'
import { type RequestIdVariables, requestId } from 'hono/request-id'
import {
  createLogger,
  describeError,
  isGiftCardError,
  type Logger,
  MAX_POS_ID_CHARS,
} from '../core/index.ts'
import { normalizedProblem } from './apply.ts'
import type { Inbox } from './inbox.ts'
import type { ParsedDelivery, WebhookSource } from './sources/source.ts'

/** The largest webhook body accepted (POS payloads are a few kilobytes). */
const MAX_BODY_BYTES = 1024 * 1024

/** What to tell a sender whose source is not configured here. */
const SETUP_HINTS: Record<string, string> = {
  square: 'set SQUARE_WEBHOOK_SIGNATURE_KEY and SQUARE_WEBHOOK_URL',
  shopify: 'set SHOPIFY_WEBHOOK_SECRET',
  generic: 'set GENERIC_WEBHOOK_SECRET',
  clover: 'set CLOVER_WEBHOOK_AUTH_CODE and CLOVER_MERCHANTS',
}

/** What a sender is told when its event could not be applied (the reason is in the log). */
export const FAILED_DELIVERY_MESSAGE =
  'the event could not be applied; it is kept and applied when it is delivered again'

/** The body of every other 5xx: no stack, no database text (docs/concurrency.md). */
export const INTERNAL_ERROR_MESSAGE = 'internal error; the details are in the server log'

/** Hono variables of routes that tag each request with an id (`x-request-id`). */
export type RequestIdEnv = { Variables: RequestIdVariables }

/**
 * Gives the request an id unless an outer app already did (the sender's `x-request-id` when
 * it is a short token, else a new UUID), and echoes it in the response's `x-request-id`.
 */
export function tagRequest() {
  const tag = requestId()
  return async (c: Context<RequestIdEnv>, next: () => Promise<void>) => {
    if (c.get('requestId')) return next()
    return tag(c, next)
  }
}

/**
 * The answer to an error no route handled: a generic 500 naming the request's id; the error
 * itself goes to the log under that id, never to the client.
 */
export function internalError(c: Context<RequestIdEnv>, err: unknown, logger: Logger): Response {
  const id = c.get('requestId') ?? crypto.randomUUID()
  logger.error(
    { requestId: id, method: c.req.method, path: c.req.path, err: describeError(err) },
    'request failed',
  )
  return c.json({ error: INTERNAL_ERROR_MESSAGE, requestId: id }, 500, { 'x-request-id': id })
}

/**
 * `POST /webhooks/:source`. Bad signature → 401; malformed JSON or a schema violation → 400
 * naming the field; an unknown event type → 202 `ignored`; a duplicate → 200 `duplicate`;
 * applied → 200 `processed`; an event that could not be applied → 500 `failed` (kept in the
 * inbox, so the sender's retry or a replay applies it later). A 5xx body says only that, with
 * the request's id; why goes to `logger` (stderr when none is given) and the inbox row.
 */
export function webhookRoutes(
  inbox: Inbox,
  sources: readonly WebhookSource[],
  logger: Logger = createLogger(),
  /** MAX_EVENT_CENTS: an event moving more, or reporting a larger balance, gets 400. */
  limits: { maxEventCents?: number } = {},
): Hono<RequestIdEnv> {
  const byName = new Map(sources.map((s) => [s.name, s]))
  const app = new Hono<RequestIdEnv>()
  app.use('/webhooks/*', tagRequest())
  app.post('/webhooks/:source', async (c) => {
    const name = c.req.param('source')
    const source = byName.get(name as WebhookSource['name'])
    if (!source) {
      const hint = SETUP_HINTS[name]
      return hint
        ? c.json({ error: `${name} webhooks are not configured: ${hint}` }, 503)
        : c.json({ error: `no webhook source named ${name}` }, 404)
    }
    const rawBody = await readBody(c, MAX_BODY_BYTES)
    if (rawBody === undefined)
      return c.json({ error: `body too large (over ${MAX_BODY_BYTES} bytes)` }, 413, {
        connection: 'close',
      })
    if (!source.verify(rawBody, c.req.raw.headers))
      return c.json({ error: 'invalid signature' }, 401)
    let delivery: ReturnType<WebhookSource['parse']>
    try {
      delivery = source.parse(rawBody, c.req.raw.headers)
      const problem = deliveryProblem(delivery, limits)
      if (problem) return c.json({ error: problem }, 400)
    } catch (err) {
      if (isGiftCardError(err, 'INVALID_INPUT')) return c.json({ error: err.message }, 400)
      throw err
    }
    const outcome = await inbox.accept(source.name, delivery, rawBody)
    if (outcome.status === 'failed') {
      const id = c.get('requestId')
      logger.error(
        { requestId: id, source: source.name, eventId: outcome.eventId, err: outcome.error },
        'webhook delivery failed',
      )
      return c.json(
        {
          status: outcome.status,
          eventId: outcome.eventId,
          applied: 0,
          error: FAILED_DELIVERY_MESSAGE,
          requestId: id,
        },
        500,
      )
    }
    return c.json(outcome, outcome.status === 'ignored' ? 202 : 200)
  })
  app.onError((err, c) => internalError(c, err, logger))
  return app
}

/**
 * What makes a verified delivery unfit to store, naming the field, or undefined: ids longer
 * than a POS sends (MAX_POS_ID_CHARS), too many or too long item lines, amounts over
 * MAX_EVENT_CENTS, dates more than a day ahead (`normalizedProblem`).
 * Refused with 400 before the inbox keeps it, so the sender learns which field (issue 16).
 */
function deliveryProblem(
  delivery: ParsedDelivery,
  limits: { maxEventCents?: number },
): string | undefined {
  if (delivery.eventId.length > MAX_POS_ID_CHARS)
    return `the event id is longer than ${MAX_POS_ID_CHARS} characters`
  if (delivery.eventType.length > MAX_POS_ID_CHARS)
    return `the event type is longer than ${MAX_POS_ID_CHARS} characters`
  return delivery.normalized === 'ignored'
    ? undefined
    : normalizedProblem(delivery.normalized, limits)
}

/**
 * The request body as text, or undefined if it is larger than `maxBytes`. On a Node server it
 * is read straight from the socket and reading stops at the limit, whether or not the sender
 * declared a length (Hono's body-limit middleware builds a web Request and stream around
 * every body to count it, which cost a third of a delivery's time). Elsewhere (tests calling
 * `app.request`) Hono reads it.
 */
export async function readBody(c: Context, maxBytes: number): Promise<string | undefined> {
  const declared = c.req.header('content-length')
  if (declared !== undefined && Number(declared) > maxBytes) return undefined
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  if (!incoming) {
    const text = await c.req.text()
    return Buffer.byteLength(text) > maxBytes ? undefined : text
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = () => {
      incoming.off('data', onData)
      incoming.off('end', onEnd)
      incoming.off('error', onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) chunks.push(chunk)
      else {
        // The rest is let go unread (the answer closes the connection).
        stop()
        resolve(undefined)
      }
    }
    const onEnd = () => {
      stop()
      resolve(Buffer.concat(chunks, size).toString('utf8'))
    }
    const onError = (err: Error) => {
      stop()
      reject(err)
    }
    incoming.on('data', onData)
    incoming.once('end', onEnd)
    incoming.once('error', onError)
  })
}
