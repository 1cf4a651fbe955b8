import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../app/index.ts'
import { checkoutRoutes } from '../../checkout/index.ts'
import type { Database } from '../../db/index.ts'
import { signGeneric } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'
import { SECRETS, startTestServer } from '../helpers/server.ts'

/** A finalized sale as a POS sends it (docs/checkout.md). */
function sale(orderId: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    order_id: orderId,
    location_id: 'loc_checkout',
    created_at: '2026-12-05T15:00:00Z',
    currency: 'USD',
    total: '180.00',
    items: [
      { sku: 'HG-1', category: 'home_goods', amount: '120.00' },
      { sku: 'TY-2', category: 'toys', amount: 60 },
    ],
    customer: { id: 'pos-cust-1', prior_visits: 4 },
    ...extra,
  })
}

for (const dialect of DIALECTS) {
  describe(`the POS checkout endpoint on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let server: RunningServer

    const post = (path: string, body: string, signature?: string) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          ...(signature === undefined
            ? { 'x-giftcards-signature': signGeneric(SECRETS.generic, body) }
            : signature
              ? { 'x-giftcards-signature': signature }
              : {}),
        },
      })
    const prompts = () =>
      database.db.selectFrom('gift_card_prompts').selectAll().orderBy('id').execute()

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      server = await startTestServer(database)
    })
    afterAll(async () => {
      await server.close()
      await cleanup()
    })

    it('answers a signed checkout with the advice and logs it as a checkout prompt', async () => {
      const res = await post('/pos/checkout', sale('ord-1'))
      expect(res.status).toBe(200)
      const body = (await res.json()) as Record<string, unknown>
      // A $180 holiday-season basket from a returning customer: the score passes the threshold.
      expect(body).toMatchObject({
        recommend: true,
        amount: expect.stringMatching(/^\d+\.\d{2}$/),
        message: expect.stringContaining('gift card'),
        prompt_id: expect.any(Number),
      })
      const rows = await prompts()
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({
        id: body.prompt_id,
        order_id: 'ord-1',
        source: 'checkout',
        location_id: 'loc_checkout',
        recommended: 1,
        amount_cents: body.amount_cents,
        outcome: null,
      })
    })

    it('answers a retried checkout with the prompt it first gave, logging nothing new', async () => {
      const first = (await (await post('/pos/checkout', sale('ord-2'))).json()) as {
        prompt_id: number
        message: string
      }
      const again = (await (await post('/pos/checkout', sale('ord-2'))).json()) as {
        prompt_id: number
        message: string
        replayed?: boolean
      }
      expect(again).toMatchObject({
        prompt_id: first.prompt_id,
        message: first.message,
        replayed: true,
      })
      expect((await prompts()).filter((p) => p.order_id === 'ord-2')).toHaveLength(1)
    })

    it('says no to a small off-season basket', async () => {
      const res = await post(
        '/pos/checkout',
        sale('ord-3', {
          total: '4.00',
          items: [],
          customer: { prior_visits: 0 },
          created_at: '2026-03-03T10:00:00Z',
        }),
      )
      expect(await res.json()).toMatchObject({ recommend: false, amount: null })
    })

    it('records the cashier outcome once: a retry is unchanged, a different one is refused', async () => {
      const { prompt_id } = (await (await post('/pos/checkout', sale('ord-4'))).json()) as {
        prompt_id: number
      }
      const accept = JSON.stringify({ prompt_id, outcome: 'accepted' })
      const first = await post('/pos/checkout/outcome', accept)
      expect(first.status).toBe(200)
      expect(await first.json()).toEqual({ prompt_id, outcome: 'accepted', status: 'recorded' })
      expect(await (await post('/pos/checkout/outcome', accept)).json()).toMatchObject({
        status: 'unchanged',
      })
      const flip = await post(
        '/pos/checkout/outcome',
        JSON.stringify({ prompt_id, outcome: 'declined' }),
      )
      expect(flip.status).toBe(409)
      expect(await flip.json()).toEqual({
        error: `prompt #${prompt_id} already has the outcome accepted; the first outcome stands`,
      })
      const row = (await prompts()).find((p) => p.id === prompt_id)
      expect(row).toMatchObject({ outcome: 'accepted', outcome_at: expect.any(String) })
      const missing = await post(
        '/pos/checkout/outcome',
        JSON.stringify({ prompt_id: 999_999, outcome: 'declined' }),
      )
      expect(missing.status).toBe(404)
    })

    it('refuses unsigned, tampered and malformed requests, naming the field, and logs nothing', async () => {
      const before = (await prompts()).length
      expect((await post('/pos/checkout', sale('ord-5'), '')).status).toBe(401)
      const body = sale('ord-5')
      const tampered = await post(
        '/pos/checkout',
        body.replace('180.00', '1.00'),
        signGeneric(SECRETS.generic, body),
      )
      expect(tampered.status).toBe(401)
      const bad = await post('/pos/checkout', sale('ord-5', { total: '12.345' }))
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { error: string }).error).toMatch(/^total: .*two decimals/)
      const long = await post('/pos/checkout', sale('x'.repeat(121)))
      expect(long.status).toBe(400)
      expect(((await long.json()) as { error: string }).error).toMatch(/^order_id: /)
      const outcome = await post(
        '/pos/checkout/outcome',
        JSON.stringify({ prompt_id: 1, outcome: 'maybe' }),
      )
      expect(outcome.status).toBe(400)
      expect(((await outcome.json()) as { error: string }).error).toMatch(/^outcome: /)
      expect((await prompts()).length).toBe(before)
    })
  })
}

describe('the POS checkout endpoint without its secret, and on a failure', () => {
  const failing = {
    get: () => Promise.reject(new Error('SQLITE_BUSY: database is locked at gift_card_prompts')),
  }
  // The routes never touch the database before the model answers, so none is needed here.
  const database = {} as Database

  it('says what to configure when GENERIC_WEBHOOK_SECRET is unset', async () => {
    const app = checkoutRoutes({ database, model: failing, secret: undefined })
    const res = await app.request('/pos/checkout', { method: 'POST', body: sale('o') })
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({
      error: 'the checkout endpoint is not configured: set GENERIC_WEBHOOK_SECRET',
    })
  })

  it('answers an internal failure with a request id and no database text', async () => {
    const logged: unknown[] = []
    const logger = { error: (o: unknown) => void logged.push(o) } as never
    const app = checkoutRoutes({ database, model: failing, secret: SECRETS.generic, logger })
    const body = sale('o')
    const res = await app.request('/pos/checkout', {
      method: 'POST',
      body,
      headers: { 'x-giftcards-signature': signGeneric(SECRETS.generic, body) },
    })
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).not.toMatch(/SQLITE|locked|gift_card_prompts/)
    const { requestId } = JSON.parse(text) as { requestId: string }
    expect(logged).toEqual([
      expect.objectContaining({ requestId, err: expect.stringContaining('SQLITE_BUSY') }),
    ])
  })
})
