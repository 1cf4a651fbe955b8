import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_REPORTS } from '../../cli/reports/index.ts'
import { type Config, loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { type Actor, checkpointWebhookSignature, grantRole } from '../../governance/index.ts'
import { caseMarkdown, type FraudCase } from '../../tools/fraud-case.ts'
import { createToolkit, ToolExecutor, type Toolkit } from '../../tools/index.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/**
 * A hand-built case: gc_x, bought by Jane Roe (cus_1), was checked from terminal web-9 at
 * 10:00 (the alert's event) and drained at the store. Related: gc_y (checked from web-9 at
 * 10:20), gc_z (in gc_x's activation order), gc_w (also bought by cus_1). Not related: gc_far
 * (web-9, three hours later).
 */
async function writeCase(database: Database): Promise<void> {
  const { db } = database
  await db
    .insertInto('locations')
    .values({
      id: 'loc_bk',
      name: 'Brooklyn',
      city: 'Brooklyn',
      region: 'test',
      jurisdiction: 'US-NY',
      timezone: 'UTC',
      latitude: 40.7,
      longitude: -73.9,
      opened_at: '2020-01-01T00:00:00.000Z',
    })
    .execute()
  await db
    .insertInto('customers')
    .values({
      id: 'cus_1',
      pseudonym: 'cust_case01',
      name: 'Jane Roe',
      email: 'jane.roe@example.com',
      phone: '+1 212 555 0100',
      address_state: 'NY',
      home_location_id: 'loc_bk',
      created_at: '2025-01-01T00:00:00.000Z',
    })
    .execute()
  const card = (id: string, last4: string, purchaser: string | null) => ({
    id,
    source: 'seed' as const,
    gan_last4: last4,
    initial_value_cents: 5000,
    balance_cents: 5000,
    currency: 'USD',
    status: 'active' as const,
    issued_at: '2025-03-01T09:00:00.000Z',
    issuing_location_id: 'loc_bk',
    purchaser_customer_id: purchaser,
    last_activity_at: '2025-03-01T09:00:00.000Z',
    updated_at: '2025-03-01T09:00:00.000Z',
  })
  await db
    .insertInto('gift_cards')
    .values([
      card('gc_x', '4242', 'cus_1'),
      card('gc_y', '1001', null),
      card('gc_z', '1002', null),
      card('gc_w', '1003', 'cus_1'),
      card('gc_far', '1004', null),
    ])
    .execute()
  const tx = (
    id: string,
    cardId: string,
    type: 'activate' | 'redeem' | 'balance_check',
    amount: number,
    at: string,
    more: { terminal?: string; order?: string; customer?: string; location?: string } = {},
  ) => ({
    source: 'seed' as const,
    event_id: id,
    card_id: cardId,
    type,
    result: 'ok' as const,
    amount_cents: amount,
    balance_after_cents: null,
    currency: 'USD',
    occurred_at: at,
    location_id: more.location ?? null,
    terminal_id: more.terminal ?? null,
    order_id: more.order ?? null,
    customer_id: more.customer ?? null,
    employee_id: null,
  })
  await db
    .insertInto('gift_card_transactions')
    .values([
      tx('x1', 'gc_x', 'activate', 5000, '2025-03-01T09:00:00.000Z', {
        order: 'ord_1',
        customer: 'cus_1',
        location: 'loc_bk',
        terminal: 'pos-1',
      }),
      tx('z1', 'gc_z', 'activate', 5000, '2025-03-01T09:00:00.000Z', { order: 'ord_1' }),
      tx('x2', 'gc_x', 'balance_check', 0, '2025-03-02T10:00:00.000Z', { terminal: 'web-9' }),
      tx('y1', 'gc_y', 'balance_check', 0, '2025-03-02T10:20:00.000Z', { terminal: 'web-9' }),
      tx('f1', 'gc_far', 'balance_check', 0, '2025-03-02T13:00:00.000Z', { terminal: 'web-9' }),
      tx('x3', 'gc_x', 'redeem', -5000, '2025-03-02T11:00:00.000Z', { location: 'loc_bk' }),
    ])
    .execute()
  await db
    .insertInto('fraud_alerts')
    .values({
      card_id: 'gc_x',
      rule: 'balance_check_enumeration',
      score: 0.91,
      status: 'open',
      evidence: JSON.stringify({
        eventIds: ['x2'],
        reason: 'a burst of balance checks from web-9',
        figures: { checks: 2 },
      }),
      detected_at: '2025-03-02T10:00:00.000Z',
      updated_at: '2025-03-02T10:00:00.000Z',
      updated_by: null,
      note: null,
    })
    .execute()
}

/** A loopback ops platform: records each POST, answers `status` (500 to make a post fail). */
function opsPlatform() {
  const received: { headers: IncomingHttpHeaders; body: string }[] = []
  const state = { status: 200 }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.writeHead(state.status).end()
    })
  })
  return {
    received,
    state,
    server,
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/cases`,
  }
}

for (const dialect of DIALECTS) {
  describe(`fraud case files on ${dialect.name}`, () => {
    let database: Database
    let kit: Toolkit
    let config: Config
    const ops = opsPlatform()
    beforeAll(() => new Promise<void>((resolve) => ops.server.listen(0, '127.0.0.1', resolve)))
    afterAll(() => new Promise<void>((resolve) => ops.server.close(() => resolve())))
    useDatabase(dialect, async (d) => {
      database = d
      await writeCase(d)
      config = loadConfig({
        PII_TOKEN_KEY: 'k',
        AUDIT_KEY: 'case-key',
        CASE_WEBHOOK_URL: ops.url(),
      })
      kit = createToolkit(d, config)
      await grantRole(d, ACTORS.lp.id, ACTORS.lp.role)
      await grantRole(d, ACTORS.manager.id, ACTORS.manager.role)
    })

    /** `giftcards fraud deliver-cases`, through the executor as the CLI runs it. */
    const deliverCases = async () => {
      const cli = new ToolExecutor({
        database,
        config,
        approvals: kit.approvals,
        pii: kit.pii,
        tools: CLI_REPORTS,
      })
      const outcome = await cli.call(
        'cli_fraud_deliver_cases',
        {},
        { actor: ACTORS.lp, via: 'cli' },
      )
      if (!outcome.ok) throw new Error(outcome.error.message)
      return (outcome.data as { deliveries: unknown[] }).deliveries
    }

    const call = async (tool: string, args: unknown, actor: Actor = ACTORS.lp) => {
      const outcome = await kit.executor.call(tool, args, { actor, via: 'cli' })
      if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`)
      return outcome.data
    }

    it('gathers the timeline, the related cards and the pending hold request', async () => {
      const hold = (await call(
        'place_card_hold',
        { card: 'gc_x', alertId: 1, reason: 'drained right after the check burst' },
        ACTORS.manager,
      )) as { approvalId: number }
      const file = (await call('get_fraud_case', { alertId: 1 })) as FraudCase
      expect(file.alert).toMatchObject({
        alertId: 1,
        rule: 'balance_check_enumeration',
        reason: 'a burst of balance checks from web-9',
        figures: { checks: 2 },
      })
      expect(file.card).toMatchObject({ cardId: 'gc_x', last4: '4242', purchaser: 'cust_case01' })
      expect(file.card.store?.name).toBe('Brooklyn')
      expect(file.timeline.map((e) => [e.eventId, e.triggering])).toEqual([
        ['x1', false],
        ['x2', true],
        ['x3', false],
      ])
      expect(file.timeline[0]?.customer).toBe('cust_case01')
      const related = Object.fromEntries(file.related.map((r) => [r.cardId, r.via]))
      expect(related).toEqual({
        gc_w: [{ kind: 'customer', key: 'cust_case01' }],
        gc_z: [{ kind: 'order', key: 'ord_1' }],
        gc_y: [{ kind: 'terminal', key: 'web-9' }],
      })
      expect(file.pendingApprovals).toEqual([
        {
          approvalId: hold.approvalId,
          action: 'place_card_hold',
          requestedBy: ACTORS.manager.id,
          reason: 'drained right after the check burst',
        },
      ])
      // The customer appears by pseudonym only.
      const text = JSON.stringify(file) + caseMarkdown(file)
      for (const pii of ['Jane', 'jane.roe@example.com', '555 0100', 'cus_1'])
        expect(text).not.toContain(pii)
      const md = caseMarkdown(file)
      expect(md).toContain('# Fraud case: alert #1 — balance check enumeration')
      expect(md).toContain('| ★ | 2025-03-02T10:00:00.000Z | balance_check |')
      expect(md).toContain('gc_y (…1001), active, 0 open alerts: terminal web-9')
      expect(md).toContain(`Approval #${hold.approvalId} pending: place card hold`)
    })

    it('is for loss prevention and managers only, and names a missing alert', async () => {
      const refused = await kit.executor.call(
        'get_fraud_case',
        { alertId: 1 },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(refused.ok).toBe(false)
      const missing = await kit.executor.call(
        'get_fraud_case',
        { alertId: 99 },
        { actor: ACTORS.lp, via: 'cli' },
      )
      expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    })

    it('posts a confirmed case once, signed, and retries one that failed', async () => {
      ops.received.length = 0
      ops.state.status = 500
      const confirmed = (await call('update_fraud_alert', {
        alertId: 1,
        status: 'confirmed',
        note: 'customer never had the card',
      })) as { caseFile: { status: string; error?: string } }
      expect(confirmed.caseFile).toMatchObject({ status: 'pending' })
      expect(confirmed.caseFile.error).toContain('HTTP 500')
      expect(ops.received).toHaveLength(1)
      // The platform is back: the pending case goes out once.
      ops.state.status = 200
      const retried = await deliverCases()
      expect(retried).toEqual([{ status: 'delivered', alertId: 1 }])
      expect(ops.received).toHaveLength(2)
      const post = ops.received[1] as { headers: IncomingHttpHeaders; body: string }
      expect(post.headers['idempotency-key']).toBe('giftcards-case-1')
      const signature = String(post.headers['x-giftcards-signature'])
      const t = Number(/t=(\d+)/.exec(signature)?.[1])
      expect(signature).toBe(checkpointWebhookSignature('case-key', post.body, t))
      const body = JSON.parse(post.body) as { alertId: number; case: FraudCase; markdown: string }
      expect(body.alertId).toBe(1)
      expect(body.case.alert.note).toBe('customer never had the card')
      expect(body.markdown).toContain('**Note:** customer never had the card')
      // Dismissed and confirmed again: already delivered, nothing posted.
      await call('update_fraud_alert', { alertId: 1, status: 'dismissed' })
      const again = (await call('update_fraud_alert', { alertId: 1, status: 'confirmed' })) as {
        caseFile: { status: string }
      }
      expect(again.caseFile.status).toBe('already_delivered')
      expect(ops.received).toHaveLength(2)
      expect(await deliverCases()).toEqual([])
    })
  })
}
