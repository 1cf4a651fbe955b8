import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFraudListener, toScored } from '../../analytics/index.ts'
import { openAgent } from '../../app/agent.ts'
import { type RunningServer, startServer } from '../../app/server.ts'
import { isGiftCardError, loadConfig, toIso } from '../../core/index.ts'
import { type Database, liabilityAsOf } from '../../db/index.ts'
import { type Actor, pilotCardFilter, Scope } from '../../governance/index.ts'
import { signGeneric } from '../../ingest/index.ts'
import { createToolkit, type Toolkit } from '../../tools/index.ts'
import { databaseUrl, runCli } from '../cli/run-cli.ts'
import { type FakeSlack, startFakeSlack } from '../fakes/slack-api.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { type PilotChain, setUpPilotChain } from './pilot-chain.ts'

// biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON a model reads
type Json = any

/**
 * The pilot (docs/pilot.md) on a chain with stores in ten states, piloted on New York: what
 * each face and job sees, with the figures checked against the ledger itself.
 */

describe('the pilot configuration', () => {
  it('reads PILOT_LOCATIONS and PILOT_JURISDICTIONS as trimmed, de-duplicated lists', () => {
    expect(loadConfig({}).pilot).toEqual({ locations: [], jurisdictions: [] })
    expect(
      loadConfig({
        PILOT_LOCATIONS: ' loc_001 , loc_002,,loc_001',
        PILOT_JURISDICTIONS: 'us-ny, US-NJ',
      }).pilot,
    ).toEqual({ locations: ['loc_001', 'loc_002'], jurisdictions: ['US-NY', 'US-NJ'] })
  })

  it('refuses a malformed entry at start, naming the variable and the entry', () => {
    for (const [env, words] of [
      [{ PILOT_LOCATIONS: 'loc_001,store 2' }, /PILOT_LOCATIONS .*"store 2"/],
      [{ PILOT_JURISDICTIONS: 'New York' }, /PILOT_JURISDICTIONS .*"NEW YORK"/],
      [{ PILOT_LOCATIONS: Array.from({ length: 501 }, (_, i) => `l${i}`).join(',') }, /500/],
    ] as const) {
      let error: unknown
      try {
        loadConfig(env)
      } catch (err) {
        error = err
      }
      expect(isGiftCardError(error, 'CONFIG_INVALID')).toBe(true)
      expect((error as Error).message).toMatch(words)
    }
  })
})

describe('a scope', () => {
  const stores = [
    { id: 'loc_1', name: 'Manhattan', jurisdiction: 'US-NY' },
    { id: 'loc_2', name: 'Buffalo', jurisdiction: 'US-NY' },
    { id: 'loc_3', name: 'Houston', jurisdiction: 'US-TX' },
    { id: 'loc_4', name: 'Newark', jurisdiction: 'US-NJ' },
  ]
  it('is every store of its jurisdictions and its named stores; names matching none are kept aside', () => {
    const scope = Scope.of(stores, {
      locations: ['loc_4', 'loc_99'],
      jurisdictions: ['US-NY', 'US-CA'],
    })
    expect(scope.pilot).toBe(true)
    expect(scope.locationIds).toEqual(['loc_1', 'loc_2', 'loc_4'])
    expect(scope.unknown).toEqual(['loc_99', 'US-CA'])
    expect(scope.includesStore('loc_3')).toBe(false)
    expect(scope.includesStore(null)).toBe(false)
    expect(scope.includesJurisdiction('US-NJ')).toBe(true)
    expect(scope.includesJurisdiction('US-TX')).toBe(false)
    expect(scope.restrict(['loc_1', 'loc_3'])).toEqual(['loc_1'])
    expect(scope.restrict()).toEqual(['loc_1', 'loc_2', 'loc_4'])
    expect(scope.summary().summary).toBe(
      'US-NY, US-CA, loc_4, loc_99 (3 stores: loc_1, loc_2, loc_4); loc_99, US-CA match no store and are ignored',
    )
  })

  it('without a pilot is the whole chain and filters nothing', () => {
    const scope = Scope.of(stores, { locations: [], jurisdictions: [] })
    expect(scope).toBe(Scope.CHAIN)
    expect(scope.includesStore(null)).toBe(true)
    expect(scope.restrict()).toBeUndefined()
    expect(scope.restrict(['loc_3'])).toEqual(['loc_3'])
  })

  it('with names matching no store has no store, and so answers nothing (fails closed)', () => {
    const scope = Scope.of(stores, { locations: ['loc_99'], jurisdictions: [] })
    expect(scope.locationIds).toEqual([])
    expect(scope.inList).toEqual([''])
    expect(scope.includesStore('loc_1')).toBe(false)
    expect(scope.describe()).toBe('loc_99 (no store of the ledger matches it)')
  })
})

for (const dialect of DIALECTS) {
  describe(`a pilot on US-NY on ${dialect.name}`, () => {
    let database: Database
    let chain: PilotChain
    let pilot: Toolkit
    let whole: Toolkit
    useDatabase(
      dialect,
      async (d) => {
        database = d
        chain = await setUpPilotChain(d)
        pilot = createToolkit(d, chain.pilot)
        whole = createToolkit(d, chain.chain)
      },
      240_000,
    )

    const call = async (
      tool: string,
      args: unknown,
      kit = pilot,
      actor: Actor = ACTORS.manager,
    ): Promise<Json> => {
      const outcome = await kit.executor.call(tool, args, { actor, via: 'cli' })
      if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`)
      return outcome.data
    }
    const refusal = async (tool: string, args: unknown, kit = pilot) => {
      const outcome = await kit.executor.call(tool, args, { actor: ACTORS.manager, via: 'cli' })
      if (outcome.ok) throw new Error(`${tool} answered ${JSON.stringify(outcome.data)}`)
      return outcome.error
    }
    const nyCards = async () =>
      new Set(
        (
          await database.db
            .selectFrom('gift_cards')
            .select('id')
            .where('issuing_location_id', 'in', chain.nyStores)
            .execute()
        ).map((c) => c.id),
      )
    const count = async (table: 'approval_requests' | 'card_holds' | 'gift_card_prompts') =>
      Number(
        (
          await database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )

    it('totals liability over New York stores only; without a pilot, over the chain as before', async () => {
      const ny = await database.db
        .selectFrom('gift_cards')
        .select((eb) => [
          eb.fn.sum<number>('balance_cents').as('cents'),
          eb.fn.countAll<number>().as('n'),
        ])
        .where('issuing_location_id', 'in', chain.nyStores)
        .where('balance_cents', '>', 0)
        .executeTakeFirstOrThrow()
      const total = await call('get_liability', {})
      expect(total.total.cents).toBe(Number(ny.cents))
      expect(total.cards).toBe(Number(ny.n))
      expect(total.scope.summary).toMatch(/^US-NY \(4 stores: /)
      const byState = await call('get_liability', { groupBy: 'jurisdiction' })
      expect(byState.rows.map((r: { key: string }) => r.key)).toEqual(['US-NY'])
      const chainWide = await call('get_liability', {}, whole)
      const [all] = await liabilityAsOf(database.db)
      expect(chainWide.total.cents).toBe(all?.liabilityCents)
      expect(chainWide.scope).toBeUndefined()
      expect(chainWide.total.cents).toBeGreaterThan(total.total.cents)
    })

    it('searches, lists alerts and dormant cards, and reports escheatment on New York cards only', async () => {
      const ny = await nyCards()
      const search = await call('search_gift_cards', { limit: 100 })
      expect(search.total).toBe(ny.size)
      expect(
        search.items.every(
          (c: { store: { jurisdiction: string } }) => c.store.jurisdiction === 'US-NY',
        ),
      ).toBe(true)
      const alerts = await call('list_fraud_alerts', { limit: 100 })
      expect(alerts.items.length).toBeGreaterThan(0)
      expect(alerts.items.every((a: { cardId: string }) => ny.has(a.cardId))).toBe(true)
      expect(alerts.items.map((a: { alertId: number }) => a.alertId)).not.toContain(
        chain.outside.alertId,
      )
      const dormant = await call('find_dormant_cards', { minDays: 30, limit: 100 })
      expect(dormant.items.length).toBeGreaterThan(0)
      expect(dormant.items.every((c: { cardId: string }) => ny.has(c.cardId))).toBe(true)
      const escheat = await call('escheatment_report', { horizonMonths: 120, cards: 100 })
      expect(escheat.cards.every((c: { cardId: string }) => ny.has(c.cardId))).toBe(true)
      const chainEscheat = await call(
        'escheatment_report',
        { horizonMonths: 120, cards: 100 },
        whole,
      )
      expect(chainEscheat.totalCards).toBeGreaterThan(escheat.totalCards)
    })

    it('breaks ledger metrics down by New York stores only', async () => {
      const byStore = await call('ledger_metrics', { metric: 'redemptions', by: ['location'] })
      expect(byStore.rows.length).toBeGreaterThan(0)
      for (const r of byStore.rows) expect(chain.nyStores).toContain(r.location)
      const byState = await call('ledger_metrics', { metric: 'liability', by: ['jurisdiction'] })
      expect(byState.rows.map((r: { jurisdiction: string }) => r.jurisdiction)).toEqual(['US-NY'])
      const approvals = await call('ledger_metrics', { metric: 'approvals' })
      expect(approvals.pilotNote).toMatch(/whole chain/)
    })

    it('refuses a Texas card, store or state, naming the pilot, never the card’s balance', async () => {
      const card = await database.db
        .selectFrom('gift_cards')
        .select(['balance_cents', 'gan_last4'])
        .where('id', '=', chain.outside.card)
        .executeTakeFirstOrThrow()
      const error = await refusal('get_gift_card', { card: chain.outside.card })
      expect(error.code).toBe('OUT_OF_SCOPE')
      expect(error.message).toBe(
        `card ${chain.outside.card} is outside the pilot scope (pilot: US-NY (4 stores: ${[...chain.nyStores].sort().join(', ')})); only the pilot stores' cards can be looked up`,
      )
      expect(error.message).not.toContain((card.balance_cents / 100).toFixed(2))
      // By its last four digits it is not found among the pilot's cards, and not named.
      const byLast4 = await refusal('get_gift_card', { card: card.gan_last4 })
      expect(byLast4.message).not.toContain(chain.outside.card)
      const store = await refusal('search_gift_cards', { location: chain.tx.name })
      expect(store).toMatchObject({ code: 'OUT_OF_SCOPE' })
      expect(store.message).toContain(
        `${chain.tx.name} (${chain.tx.id}, US-TX) is outside the pilot scope (pilot: US-NY`,
      )
      expect(await refusal('get_liability', { jurisdiction: 'US-TX' })).toMatchObject({
        code: 'OUT_OF_SCOPE',
        message: expect.stringMatching(/^US-TX is outside the pilot scope/),
      })
      // Without a pilot the same questions are answered.
      expect((await call('get_gift_card', { card: chain.outside.card }, whole)).cardId).toBe(
        chain.outside.card,
      )
    })

    it('narrows a city to its pilot stores when the pilot names only some of them', async () => {
      const one = createToolkit(
        database,
        loadConfig({ PII_TOKEN_KEY: 'k', PILOT_LOCATIONS: chain.nyStores[0] }),
      )
      const city = await database.db
        .selectFrom('locations')
        .select('city')
        .where('id', '=', chain.nyStores[0] as string)
        .executeTakeFirstOrThrow()
      const found = await call('search_gift_cards', { location: city.city, limit: 100 }, one)
      expect(found.location.stores.map((s: { id: string }) => s.id)).toEqual([chain.nyStores[0]])
      expect(
        found.items.every((c: { store: { id: string } }) => c.store.id === chain.nyStores[0]),
      ).toBe(true)
    })

    it('refuses a hold on a Texas card before filing an approval; an approval filed before the pilot fails when it runs', async () => {
      const filed = await count('approval_requests')
      expect(
        await refusal('place_card_hold', { card: chain.outside.card, reason: 'suspicious' }),
      ).toMatchObject({
        code: 'OUT_OF_SCOPE',
      })
      expect(await refusal('place_card_hold', { alertId: chain.outside.alertId })).toMatchObject({
        code: 'OUT_OF_SCOPE',
        message: expect.stringContaining(`fraud alert #${chain.outside.alertId}`),
      })
      expect(await count('approval_requests')).toBe(filed)
      // Inside the pilot a hold is filed as always.
      const ny = await call(
        'place_card_hold',
        { card: chain.ny.card, reason: 'testing' },
        pilot,
        ACTORS.lp,
      )
      expect(ny.status).toBe('pending_approval')
      expect(ny.scope.pilot).toBe(true)
      // Two requests on Texas cards filed with no pilot: the one approved under the pilot fails
      // with the reason and holds nothing; the one approved without it is placed.
      const [a, b] = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('issuing_location_id', '=', chain.tx.id)
        .where('status', '=', 'active')
        .where('id', 'not in', [chain.outside.card, chain.outside.heldCard])
        .orderBy('id')
        .limit(2)
        .execute()
      const request = async (cardId: string) =>
        (await call('place_card_hold', { card: cardId }, whole, ACTORS.lp)).approvalId as number
      const first = await request(a?.id as string)
      const second = await request(b?.id as string)
      const holds = await count('card_holds')
      const refused = await pilot.approvals.decide(first, {
        actor: ACTORS.manager,
        via: 'cli',
        decision: 'approve',
      })
      expect(refused.approval.status).toBe('failed')
      expect(JSON.stringify(refused.approval.outcome)).toMatch(/outside the pilot scope/)
      expect(await count('card_holds')).toBe(holds)
      const placed = await whole.approvals.decide(second, {
        actor: ACTORS.manager,
        via: 'cli',
        decision: 'approve',
      })
      expect(placed.approval.status).toBe('executed')
      expect(await count('card_holds')).toBe(holds + 1)
    })

    it('lists holds and campaigns of the pilot only', async () => {
      const holds = await call('list_card_holds', { limit: 100 })
      const ny = await nyCards()
      expect(holds.items.length).toBeGreaterThan(0)
      expect(holds.items.every((h: { cardId: string }) => ny.has(h.cardId))).toBe(true)
      expect(await refusal('list_card_holds', { card: chain.outside.heldCard })).toMatchObject({
        code: 'OUT_OF_SCOPE',
      })
      const campaigns = await call('list_campaigns', {})
      expect(campaigns.items.map((c: { campaignId: number }) => c.campaignId)).not.toContain(
        chain.outside.campaignId,
      )
      const all = await call('list_campaigns', {}, whole)
      expect(all.items.map((c: { campaignId: number }) => c.campaignId)).toContain(
        chain.outside.campaignId,
      )
      // A campaign drafted in the pilot targets its cards only, and its launch is filed.
      const drafted = await call('draft_campaign', {
        audience: { minDaysInactive: 30, minBalanceCents: 1 },
      })
      expect(drafted.audienceCriteria.pilotStores).toEqual([...chain.nyStores].sort())
      expect(drafted.targetCount).toBeGreaterThan(0)
      expect((await call('launch_campaign', { campaignId: drafted.campaignId })).status).toBe(
        'pending_approval',
      )
      expect(
        await refusal('launch_campaign', { campaignId: chain.outside.campaignId }),
      ).toMatchObject({
        code: 'OUT_OF_SCOPE',
      })
    })

    it('with names matching no store answers nothing and warns once, naming them', async () => {
      const lines: string[] = []
      const logger = pino(
        { level: 'warn', base: undefined },
        new Writable({
          write(chunk, _encoding, done) {
            lines.push(String(chunk))
            done()
          },
        }),
      )
      const typo = createToolkit(
        database,
        loadConfig({ PII_TOKEN_KEY: 'k', PILOT_LOCATIONS: 'loc_999' }),
        {
          logger,
        },
      )
      const search = await call('search_gift_cards', {}, typo)
      expect(search.total).toBe(0)
      expect(search.scope).toMatchObject({ locations: [], unknown: ['loc_999'] })
      expect(search.scope.summary).toContain('loc_999 match no store and are ignored')
      expect((await call('get_liability', {}, typo)).total.cents).toBe(0)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain('loc_999')
    })

    it('says the pilot in the planner’s answer, after how fresh the ledger is', async () => {
      const agent = await openAgent(database, chain.pilot, { toolkit: pilot })
      try {
        const turn = await agent.ask('liability by state', {
          threadId: 'cli:pilot',
          actor: ACTORS.manager,
          via: 'cli',
        })
        expect(turn.reply).toMatch(/\(Ledger up to [^)]+\.\)\n\nPilot scope: US-NY \(4 stores: /)
        expect(turn.reply).not.toContain('US-TX')
      } finally {
        await agent.close()
      }
    })

    it('says the pilot beside a CLI report, which covers its stores only', async () => {
      const env = {
        DATABASE_URL: databaseUrl(database),
        PII_TOKEN_KEY: 'test-pii-key',
        PILOT_JURISDICTIONS: 'US-NY',
      }
      const run = await runCli(['liability', '--json'], env)
      expect(run.code).toBe(0)
      expect(run.stderr).toContain('giftcards: pilot scope: US-NY (4 stores: ')
      const report = JSON.parse(run.stdout)
      expect(report.rows.map((r: { key: string }) => r.key)).toEqual(['US-NY'])
    })

    it('raises streaming alerts on New York cards only', async () => {
      const ny = await nyCards()
      const rows = await database.db
        .selectFrom('gift_card_transactions')
        .selectAll()
        .where('result', '=', 'ok')
        .where('card_id', 'is not', null)
        .orderBy('occurred_at')
        .orderBy('id')
        .execute()
      const replay = async (keepCards?: ReturnType<typeof pilotCardFilter>) => {
        const raised: string[] = []
        await database.db.deleteFrom('fraud_alerts').execute()
        const listener = createFraudListener(database, {
          onAlert: (a) => raised.push(a.cardId),
          ...(keepCards ? { keepCards } : {}),
        })
        for (const row of rows) {
          const e = toScored(row)
          await listener.onEvent({
            source: 'seed',
            eventId: e.eventId,
            cardRef: e.cardId as string,
            cardId: e.cardId as string,
            type: e.type,
            amountCents: e.amountCents,
            currency: 'USD',
            balanceAfterCents: e.balanceAfterCents ?? 0,
            occurredAt: toIso(e.at),
            ...(e.locationId ? { locationId: e.locationId } : {}),
            ...(e.terminalId ? { terminalId: e.terminalId } : {}),
            ...(e.orderId ? { orderId: e.orderId } : {}),
            ...(e.customerId ? { customerId: e.customerId } : {}),
            ...(e.employeeId ? { employeeId: e.employeeId } : {}),
          })
        }
        const stored = await database.db.selectFrom('fraud_alerts').select('card_id').execute()
        return { raised, stored: stored.map((a) => a.card_id) }
      }
      const everywhere = await replay()
      expect(everywhere.stored.some((id) => !ny.has(id))).toBe(true)
      expect(pilotCardFilter(database, chain.chain.pilot)).toBeUndefined()
      const piloted = await replay(pilotCardFilter(database, chain.pilot.pilot))
      expect(piloted.stored.length).toBeGreaterThan(0)
      expect(piloted.stored.every((id) => ny.has(id))).toBe(true)
      expect(piloted.raised.every((id) => ny.has(id))).toBe(true)
    })

    describe('the server', () => {
      const secret = 'generic-test-secret'
      let slack: FakeSlack
      let server: RunningServer
      beforeAll(async () => {
        slack = await startFakeSlack('xoxb-pilot')
        const config = loadConfig({
          GENERIC_WEBHOOK_SECRET: secret,
          SLACK_SIGNING_SECRET: 'pilot-signing-secret',
          SLACK_BOT_TOKEN: 'xoxb-pilot',
          SLACK_API_URL: slack.url,
          SLACK_ALERTS_CHANNEL: 'CALERTS',
          PII_TOKEN_KEY: 'test-pii-key',
          PILOT_JURISDICTIONS: 'US-NY',
        })
        server = await startServer(
          { database, config, listeners: [] },
          { port: 0, host: '127.0.0.1' },
        )
      }, 60_000)
      afterAll(async () => {
        await server?.close()
        await slack?.close()
      })

      const checkout = (orderId: string, locationId: string) => {
        const body = JSON.stringify({
          order_id: orderId,
          location_id: locationId,
          total: '180.00',
          items: [{ sku: 'HG-1', category: 'home_goods', amount: '180.00' }],
          customer: { prior_visits: 4 },
        })
        return fetch(`${server.url}/pos/checkout`, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'x-giftcards-signature': signGeneric(secret, body),
          },
        })
      }

      it('offers no gift card at a checkout outside the pilot, saying why, and logs nothing', async () => {
        const prompts = await count('gift_card_prompts')
        const res = await checkout('ord-pilot-tx', chain.tx.id)
        expect(res.status).toBe(200)
        expect(await res.json()).toMatchObject({
          recommend: false,
          amount: null,
          prompt_id: null,
          outside_pilot: true,
          message: `store ${chain.tx.id} is outside the gift card pilot (US-NY (4 stores: ${[...chain.nyStores].sort().join(', ')})): no prompt is offered`,
        })
        expect(await count('gift_card_prompts')).toBe(prompts)
        const inside = await checkout('ord-pilot-ny', chain.nyStores[0] as string)
        const answer = (await inside.json()) as { prompt_id: number; outside_pilot?: boolean }
        expect(answer.prompt_id).toEqual(expect.any(Number))
        expect(answer.outside_pilot).toBeUndefined()
        expect(await count('gift_card_prompts')).toBe(prompts + 1)
      })

      it('posts new alerts on pilot cards to Slack, and passes the others by', async () => {
        await server.slack?.publishNewAlerts() // the first run only sets the cursor
        const now = toIso(Date.now())
        const alert = async (cardId: string) =>
          Number(
            (
              await database.db
                .insertInto('fraud_alerts')
                .values({
                  card_id: cardId,
                  rule: 'balance_check_enumeration',
                  score: 0.95,
                  status: 'open',
                  evidence: JSON.stringify({ reason: 'many balance checks' }),
                  detected_at: now,
                  updated_at: now,
                  updated_by: null,
                  note: null,
                })
                .returning('id')
                .executeTakeFirstOrThrow()
            ).id,
          )
        const outside = await alert(chain.outside.card)
        const inside = await alert(chain.ny.card)
        expect(await server.slack?.publishNewAlerts()).toBe(1)
        const posted = slack.of('chat.postMessage').filter((m) => m.channel === 'CALERTS')
        expect(posted).toHaveLength(1)
        expect(String(posted[0]?.text)).toContain(`#${inside}`)
        expect(JSON.stringify(posted)).not.toContain(`#${outside}`)
        expect(await server.slack?.publishNewAlerts()).toBe(0)
      })
    })
  })
}
