import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { describeError, isGiftCardError } from '../core/index.ts'
import type { Inbox } from './inbox.ts'
import type { WebhookSource } from './sources/source.ts'

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
  app.post(
    '/webhooks/:source',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: 'body too large' }, 413),
    }),
    async (c) => {
      const name = c.req.param('source')
      const source = byName.get(name as WebhookSource['name'])
      if (!source) {
        const hint = SETUP_HINTS[name]
        return hint
          ? c.json({ error: `${name} webhooks are not configured: ${hint}` }, 503)
          : c.json({ error: `no webhook source named ${name}` }, 404)
      }
      const rawBody = await c.req.text()
      if (!source.verify(rawBody, c.req.raw.headers))
        return c.json({ error: 'invalid signature' }, 401)
      let delivery: ReturnType<WebhookSource['parse']>
      try {
        delivery = source.parse(rawBody, c.req.raw.headers)
      } catch (err) {
        if (isGiftCardError(err, 'INVALID_INPUT')) return c.json({ error: err.message }, 400)
        throw err
      }
      const outcome = await inbox.accept(source.name, delivery, rawBody)
      const code = outcome.status === 'ignored' ? 202 : outcome.status === 'failed' ? 500 : 200
      return c.json(outcome, code)
    },
  )
  app.onError((err, c) => c.json({ error: describeError(err) }, 500))
  return app
}
