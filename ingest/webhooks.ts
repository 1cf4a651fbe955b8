import type { IncomingMessage } from 'node:http'
import { type Context, Hono } from 'hono'
import { describeError, isGiftCardError, MAX_POS_ID_CHARS } from '../core/index.ts'
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
}

/**
 * `POST /webhooks/:source`. Bad signature → 401; malformed JSON or a schema violation → 400
 * naming the field; an unknown event type → 202 `ignored`; a duplicate → 200 `duplicate`;
 * applied → 200 `processed`; an event that could not be applied → 500 `failed` (kept in the
 * inbox, so the sender's retry or a replay applies it later).
 */
export function webhookRoutes(inbox: Inbox, sources: readonly WebhookSource[]): Hono {
  const byName = new Map(sources.map((s) => [s.name, s]))
  const app = new Hono()
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
      const problem = deliveryProblem(delivery)
      if (problem) return c.json({ error: problem }, 400)
    } catch (err) {
      if (isGiftCardError(err, 'INVALID_INPUT')) return c.json({ error: err.message }, 400)
      throw err
    }
    const outcome = await inbox.accept(source.name, delivery, rawBody)
    const code = outcome.status === 'ignored' ? 202 : outcome.status === 'failed' ? 500 : 200
    return c.json(outcome, code)
  })
  app.onError((err, c) => c.json({ error: describeError(err) }, 500))
  return app
}

/**
 * What makes a verified delivery unfit to store, naming the field, or undefined: ids longer
 * than a POS sends (MAX_POS_ID_CHARS), too many or too long item lines (`normalizedProblem`).
 * Refused with 400 before the inbox keeps it, so the sender learns which field (issue 16).
 */
function deliveryProblem(delivery: ParsedDelivery): string | undefined {
  if (delivery.eventId.length > MAX_POS_ID_CHARS)
    return `the event id is longer than ${MAX_POS_ID_CHARS} characters`
  if (delivery.eventType.length > MAX_POS_ID_CHARS)
    return `the event type is longer than ${MAX_POS_ID_CHARS} characters`
  return delivery.normalized === 'ignored' ? undefined : normalizedProblem(delivery.normalized)
}

/**
 * The request body as text, or undefined if it is larger than `maxBytes`. On a Node server it
 * is read straight from the socket and reading stops at the limit, whether or not the sender
 * declared a length (Hono's body-limit middleware builds a web Request and stream around
 * every body to count it, which cost a third of a delivery's time). Elsewhere (tests calling
 * `app.request`) Hono reads it.
 */
async function readBody(c: Context, maxBytes: number): Promise<string | undefined> {
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
