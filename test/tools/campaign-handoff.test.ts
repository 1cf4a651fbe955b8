import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Config, DAY_MS, loadConfig, toIso } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { type Actor, grantRole } from '../../governance/index.ts'
import { importMasterData } from '../../ingest/index.ts'
import {
  campaignLift,
  handOffLaunch,
  holdoutDraw,
  prepareLaunch,
  splitAudience,
} from '../../tools/campaigns/index.ts'
import { handOffToBraze } from '../../tools/campaigns/providers/braze.ts'
import { handOffToKlaviyo } from '../../tools/campaigns/providers/klaviyo.ts'
import { sendLog } from '../../tools/campaigns/providers/send-log.ts'
import { createToolkit, type PendingApproval } from '../../tools/index.ts'
import { type FakeBraze, startFakeBraze } from '../fakes/braze-api.ts'
import { type FakeKlaviyo, startFakeKlaviyo } from '../fakes/klaviyo-api.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

const ANALYST: Actor = { id: 'cli:ana', role: 'analyst' }
const MANAGER: Actor = { id: 'cli:mgr2', role: 'manager' }
const KLAVIYO_KEY = 'pk_test_0123456789'
const BRAZE_KEY = 'braze-rest-key-0123'
const BRAZE_CAMPAIGN = 'api-triggered-campaign-1'

/**
 * A hand-built chain: one store, 24 cards idle 200 days with $20.00 on them. Cards 1–20 belong
 * to customers cus_01…cus_20 (cus_01 unsubscribed, cus_02 suppressed, cus_03 subscribed, the
 * rest never said); cus_05 also holds card 22; cards 21, 23 and 24 have no customer.
 */
async function buildChain(database: Database): Promise<void> {
  const { db } = database
  const now = Date.now()
  await db
    .insertInto('locations')
    .values({
      id: 'loc_1',
      name: 'Main St',
      city: 'Austin',
      region: 'test',
      jurisdiction: 'US-TX',
      timezone: 'UTC',
      latitude: 0,
      longitude: 0,
      opened_at: '2020-01-01T00:00:00.000Z',
    })
    .execute()
  const consent = (i: number) =>
    i === 1 ? 'unsubscribed' : i === 2 ? 'suppressed' : i === 3 ? 'subscribed' : null
  await db
    .insertInto('customers')
    .values(
      Array.from({ length: 20 }, (_, k) => ({
        id: customer(k + 1),
        pseudonym: `cust_p${k + 1}`,
        name: `Person ${k + 1}`,
        email: `person${k + 1}@example.com`,
        phone: null,
        address_state: 'US-TX',
        home_location_id: 'loc_1',
        created_at: toIso(now - 400 * DAY_MS),
        marketing_consent: consent(k + 1),
      })),
    )
    .execute()
  await db
    .insertInto('gift_cards')
    .values(
      Array.from({ length: 24 }, (_, k) => {
        const i = k + 1
        const owner = i <= 20 ? customer(i) : i === 22 ? customer(5) : null
        return {
          id: card(i),
          source: 'seed' as const,
          external_id: null,
          gan_last4: String(1000 + i),
          initial_value_cents: 5000,
          balance_cents: 2000,
          currency: 'USD',
          status: 'active' as const,
          issued_at: toIso(now - 300 * DAY_MS),
          expires_at: null,
          issuing_location_id: 'loc_1',
          purchaser_customer_id: owner,
          holder_customer_id: null,
          channel: 'in_store' as const,
          occasion: 'holiday' as const,
          last_activity_at: toIso(now - 200 * DAY_MS),
          balance_as_of: toIso(now - 200 * DAY_MS),
          updated_at: toIso(now - 200 * DAY_MS),
        }
      }),
    )
    .execute()
  await grantRole(database, MANAGER.id, 'manager')
}
const card = (i: number) => `gc_${String(i).padStart(2, '0')}`
const customer = (i: number) => `cus_${String(i).padStart(2, '0')}`

const exportDir = mkdtempSync(join(tmpdir(), 'giftcards-campaigns-'))
afterAll(() => rmSync(exportDir, { recursive: true, force: true }))

function configFor(env: Record<string, string>): Config {
  return loadConfig({
    DATABASE_URL: 'sqlite::memory:',
    CAMPAIGN_EXPORT_DIR: exportDir,
    CAMPAIGN_HOLDOUT_SHARE: '0.25',
    CAMPAIGN_HOLDOUT_SEED: 'test-seed',
    ...env,
  })
}

/** Drafts a campaign over the whole chain, files its launch and has a manager approve it. */
async function launch(database: Database, config: Config, name: string) {
  const kit = createToolkit(database, config)
  const call = async (tool: string, args: unknown, actor: Actor) => {
    const outcome = await kit.executor.call(tool, args, { actor, via: 'cli' })
    if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`)
    return outcome.data as Record<string, unknown>
  }
  const draft = await call(
    'draft_campaign',
    { name, audience: { minDaysInactive: 90, minBalanceCents: 500 }, offer: 'A treat <for you>' },
    ANALYST,
  )
  const pending = (await call(
    'launch_campaign',
    { campaignId: draft.campaignId },
    ANALYST,
  )) as unknown as PendingApproval
  const decided = await kit.approvals.decide(pending.approvalId, {
    actor: MANAGER,
    via: 'cli',
    decision: 'approve',
  })
  return { kit, call, draft, pending, approval: decided.approval }
}

/** The split the launch must make: consent and customer ids, then the keyed hash per customer. */
function expectedSplit(campaignId: number, needsCustomerId: boolean) {
  const contacted: string[] = []
  const holdout: string[] = []
  for (let i = 1; i <= 24; i++) {
    if (i === 1 || i === 2) continue
    const owner = i <= 20 ? customer(i) : i === 22 ? customer(5) : null
    if (needsCustomerId && owner === null) continue
    // cus_05's cards follow its lowest card id, gc_05.
    const key = i === 22 ? card(5) : card(i)
    ;(holdoutDraw('test-seed', campaignId, key) < 0.25 ? holdout : contacted).push(card(i))
  }
  return { contacted, holdout }
}

for (const dialect of DIALECTS) {
  describe(`campaign hand-off on ${dialect.name}`, () => {
    let database: Database
    let klaviyo: FakeKlaviyo
    let braze: FakeBraze
    useDatabase(dialect, async (d) => {
      database = d
      await buildChain(d)
    })
    beforeAll(async () => {
      klaviyo = await startFakeKlaviyo(KLAVIYO_KEY)
      braze = await startFakeBraze(BRAZE_KEY, BRAZE_CAMPAIGN)
    })
    afterAll(async () => {
      await klaviyo.close()
      await braze.close()
    })

    it('launches to Klaviyo through its client: a list, the profiles by CRM id, a campaign on the list, a send job', async () => {
      const config = configFor({
        MARKETING_PROVIDER: 'klaviyo',
        KLAVIYO_API_KEY: KLAVIYO_KEY,
        KLAVIYO_BASE_URL: klaviyo.url,
        KLAVIYO_FROM_EMAIL: 'hello@shop.example',
      })
      klaviyo.requests.length = 0
      const { call, draft, pending, approval } = await launch(database, config, 'Klaviyo run')
      const campaignId = draft.campaignId as number
      const expected = expectedSplit(campaignId, true)
      expect(expected.holdout.length).toBeGreaterThan(0)
      // The manager saw counts, never who.
      expect(pending.details).toMatchObject({
        provider: 'klaviyo',
        contacted: expected.contacted.length,
        holdout: expected.holdout.length,
        leftOut: { unsubscribed: 1, suppressed: 1, no_customer_id: 3 },
      })
      expect(approval.status).toBe('executed')
      expect(approval.outcome).toMatchObject({
        campaignId,
        audience: expected.contacted.length,
        holdout: expected.holdout.length,
        excluded: { unsubscribed: 1, suppressed: 1, no_customer_id: 3 },
        provider: 'klaviyo',
        handedOffTo: new URL(klaviyo.url).host,
      })
      expect(JSON.stringify([pending, approval.outcome])).not.toMatch(/cus_\d|@example/)

      const calls = klaviyo.requests.map((r) => `${r.method} ${r.path}`)
      expect(calls).toEqual([
        'GET /api/lists',
        'POST /api/lists',
        'POST /api/profile-bulk-import-jobs',
        'GET /api/profile-bulk-import-jobs/J0002',
        'POST /api/templates',
        'GET /api/campaigns',
        'POST /api/campaigns',
        'POST /api/campaign-message-assign-template',
        'POST /api/campaign-send-jobs',
      ])
      for (const r of klaviyo.requests) {
        expect(r.authorization).toBe(`Klaviyo-API-Key ${KLAVIYO_KEY}`)
        expect(r.revision).toBe('2026-07-15')
        expect(r.accept).toBe('application/vnd.api+json')
      }
      const name = `giftcards campaign #${campaignId} (approval #${pending.approvalId})`
      const [
        getLists,
        createList,
        importJob,
        ,
        template,
        getCampaigns,
        createCampaign,
        assign,
        sendJob,
      ] = klaviyo.requests as typeof klaviyo.requests
      expect(getLists?.query.filter).toBe(`equals(name,"${name}")`)
      expect(createList?.body).toEqual({ data: { type: 'list', attributes: { name } } })
      // The contacted customers by their CRM id, each once (cus_05 holds two cards).
      const contactedCustomers = [
        ...new Set(
          expected.contacted.map((c) => (c === card(22) ? customer(5) : `cus_${c.slice(3)}`)),
        ),
      ]
      expect(importJob?.body).toEqual({
        data: {
          type: 'profile-bulk-import-job',
          attributes: {
            profiles: {
              data: contactedCustomers.map((id) => ({
                type: 'profile',
                attributes: { external_id: id },
              })),
            },
          },
          relationships: { lists: { data: [{ type: 'list', id: 'L0001' }] } },
        },
      })
      const templateBody = template?.body as { data: { attributes: Record<string, string> } }
      expect(templateBody.data.attributes).toMatchObject({ name, editor_type: 'CODE' })
      expect(templateBody.data.attributes.html).toContain('A treat &#60;for you&#62;')
      expect(getCampaigns?.query.filter).toBe(
        `and(equals(messages.channel,'email'),equals(name,"${name}"))`,
      )
      expect(createCampaign?.body).toEqual({
        data: {
          type: 'campaign',
          attributes: {
            name,
            audiences: { included: ['L0001'], excluded: [] },
            send_strategy: { method: 'immediate' },
            'campaign-messages': {
              data: [
                {
                  type: 'campaign-message',
                  attributes: {
                    definition: {
                      channel: 'email',
                      label: 'Klaviyo run',
                      content: {
                        subject: 'A treat <for you>',
                        preview_text:
                          'You still have a balance on your gift card. Come and treat yourself!',
                        from_email: 'hello@shop.example',
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      })
      expect(assign?.body).toEqual({
        data: {
          type: 'campaign-message',
          id: 'M0005',
          relationships: { template: { data: { type: 'template', id: 'T0003' } } },
        },
      })
      expect(sendJob?.body).toEqual({ data: { type: 'campaign-send-job', id: 'C0004' } })

      // Who was in which arm is stored for the lift; the left-out are not.
      const members = await database.db
        .selectFrom('campaign_members')
        .select(['card_id', 'arm'])
        .where('campaign_id', '=', campaignId)
        .orderBy('card_id')
        .execute()
      expect(members.filter((m) => m.arm === 'contacted').map((m) => m.card_id)).toEqual(
        expected.contacted.sort(),
      )
      expect(members.filter((m) => m.arm === 'holdout').map((m) => m.card_id)).toEqual(
        expected.holdout.sort(),
      )
      // The CSV has the contacted cards only.
      const csv = readFileSync(String(approval.outcome?.file), 'utf8').trim().split('\n')
      expect(csv.slice(1).map((l) => l.split(',')[1])).toEqual(expected.contacted)

      const listed = (await call('list_campaigns', { status: 'launched' }, ANALYST)) as {
        items: {
          campaignId: number
          launch: unknown
          lift: { days: number; complete: boolean }[]
        }[]
      }
      const row = listed.items.find((c) => c.campaignId === campaignId)
      expect(row?.launch).toEqual({
        provider: 'klaviyo',
        holdoutShare: 0.25,
        counts: {
          contacted: expected.contacted.length,
          holdout: expected.holdout.length,
          unsubscribed: 1,
          suppressed: 1,
          no_customer_id: 3,
        },
      })
      expect(row?.lift.map((w) => [w.days, w.complete])).toEqual([
        [30, false],
        [60, false],
        [90, false],
      ])

      // A recovered hand-off (same approval) finds the list and the campaign and sends nothing.
      const prepared = await prepareLaunch(database, config, campaignId).catch((e: Error) => e)
      expect(String(prepared)).toMatch(/already launched/)
      klaviyo.requests.length = 0
      const again = await handOffToKlaviyo(
        { apiKey: KLAVIYO_KEY, baseUrl: klaviyo.url },
        {
          campaign: { campaignId, name: 'Klaviyo run', offer: 'x', message: 'y' } as never,
          recipients: [
            {
              cardId: card(3),
              customer: null,
              customerId: customer(3),
              consent: null,
              balanceCents: 2000,
              reactivation: 0,
            },
          ],
          approvalId: pending.approvalId,
        },
      )
      expect(again.reference).toMatchObject({
        listId: 'L0001',
        campaignId: 'C0004',
        sendJobId: 'already sent',
      })
      expect(klaviyo.requests.map((r) => `${r.method} ${r.path}`)).not.toContain(
        'POST /api/campaign-send-jobs',
      )
      // Nobody to contact: an empty list, no campaign, nothing sent.
      klaviyo.requests.length = 0
      const nobody = await handOffToKlaviyo(
        { apiKey: KLAVIYO_KEY, baseUrl: klaviyo.url },
        {
          campaign: { campaignId, name: 'Klaviyo run', offer: 'x', message: 'y' } as never,
          recipients: [],
          approvalId: 999_999,
        },
      )
      expect(nobody.reference.sendJobId).toBe('nobody to contact')
      expect(klaviyo.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /api/lists',
        'POST /api/lists',
      ])
    })

    it('fails the launch with Klaviyo’s own reason and records nothing when Klaviyo refuses', async () => {
      const config = configFor({
        MARKETING_PROVIDER: 'klaviyo',
        KLAVIYO_API_KEY: KLAVIYO_KEY,
        KLAVIYO_BASE_URL: klaviyo.url,
      })
      klaviyo.failNext = {
        path: '/api/campaign-send-jobs',
        status: 400,
        detail: 'The campaign has no sender address.',
      }
      const { draft, approval } = await launch(database, config, 'Refused run')
      expect(approval.status).toBe('failed')
      expect(String(approval.outcome?.error)).toContain(
        'Klaviyo refused to send the campaign: HTTP 400 (The campaign has no sender address.)',
      )
      const row = await database.db
        .selectFrom('campaigns')
        .select('status')
        .where('id', '=', draft.campaignId as number)
        .executeTakeFirstOrThrow()
      expect(row.status).toBe('draft')
      const members = await database.db
        .selectFrom('campaign_members')
        .select('card_id')
        .where('campaign_id', '=', draft.campaignId as number)
        .execute()
      expect(members).toEqual([])
    })

    it('launches to Braze: the API-triggered campaign sent to the contacted by external_user_id', async () => {
      const config = configFor({
        MARKETING_PROVIDER: 'braze',
        BRAZE_API_KEY: BRAZE_KEY,
        BRAZE_REST_ENDPOINT: braze.url,
        BRAZE_CAMPAIGN_ID: BRAZE_CAMPAIGN,
      })
      braze.requests.length = 0
      const { draft, approval } = await launch(database, config, 'Braze run')
      const campaignId = draft.campaignId as number
      const expected = expectedSplit(campaignId, true)
      expect(approval.status).toBe('executed')
      expect(approval.outcome).toMatchObject({
        provider: 'braze',
        audience: expected.contacted.length,
      })
      expect(braze.requests).toHaveLength(1)
      const [request] = braze.requests
      expect(request?.authorization).toBe(`Bearer ${BRAZE_KEY}`)
      expect(request?.contentType).toBe('application/json')
      expect(request?.body).toEqual({
        campaign_id: BRAZE_CAMPAIGN,
        trigger_properties: {
          offer: 'A treat <for you>',
          message: 'You still have a balance on your gift card. Come and treat yourself!',
          giftcards_campaign_id: campaignId,
        },
        broadcast: false,
        recipients: [
          ...new Set(
            expected.contacted.map((c) => (c === card(22) ? customer(5) : `cus_${c.slice(3)}`)),
          ),
        ].map((external_user_id) => ({ external_user_id })),
      })
      const stored = await database.db
        .selectFrom('campaigns')
        .select(['provider', 'provider_ref'])
        .where('id', '=', campaignId)
        .executeTakeFirstOrThrow()
      expect(stored.provider).toBe('braze')
      expect(JSON.parse(stored.provider_ref ?? '{}')).toEqual({
        campaignId: BRAZE_CAMPAIGN,
        dispatchIds: ['dispatch_1'],
      })
    })

    it('recovers a Braze launch killed between the send and its record without messaging anyone twice', async () => {
      const config = configFor({
        MARKETING_PROVIDER: 'braze',
        BRAZE_API_KEY: BRAZE_KEY,
        BRAZE_REST_ENDPOINT: braze.url,
        BRAZE_CAMPAIGN_ID: BRAZE_CAMPAIGN,
      })
      const kit = createToolkit(database, config)
      const file = async (tool: string, args: unknown) => {
        const outcome = await kit.executor.call(tool, args, { actor: ANALYST, via: 'cli' })
        if (!outcome.ok) throw new Error(outcome.error.message)
        return outcome.data as Record<string, unknown>
      }
      const draft = await file('draft_campaign', {
        name: 'Crash run',
        audience: { minDaysInactive: 90, minBalanceCents: 500 },
        offer: 'Come back',
      })
      const campaignId = draft.campaignId as number
      const { approvalId } = (await file('launch_campaign', {
        campaignId,
      })) as unknown as PendingApproval
      // The first run: approved, the audience handed to Braze (its `external` step, as the
      // approval service runs it), then the process dies before the launch's transaction.
      await database.db
        .updateTable('approval_requests')
        .set({ status: 'approved', decided_by: MANAGER.id, decided_at: toIso(Date.now()) })
        .where('id', '=', approvalId)
        .execute()
      braze.requests.length = 0
      await handOffLaunch(
        database,
        config,
        await prepareLaunch(database, config, campaignId),
        approvalId,
      )
      const contacted = [
        ...new Set(
          expectedSplit(campaignId, true).contacted.map((c) =>
            c === card(22) ? customer(5) : `cus_${c.slice(3)}`,
          ),
        ),
      ]
      expect(braze.requests.map((r) => r.body.recipients)).toEqual([
        contacted.map((external_user_id) => ({ external_user_id })),
      ])
      const unrecorded = await database.db
        .selectFrom('campaigns')
        .select('status')
        .where('id', '=', campaignId)
        .executeTakeFirstOrThrow()
      expect(unrecorded.status).toBe('draft')

      // The recovery (what serve does at start) runs the approval again, exactly once: it
      // prepares and hands off again, and Braze is sent nothing more.
      const [resumed] = await kit.approvals.resumeApproved({
        id: 'system:serve',
        role: null,
        via: 'cli',
      })
      expect(resumed?.approval.status).toBe('executed')
      expect(braze.requests).toHaveLength(1)
      expect(resumed?.approval.outcome).toMatchObject({
        provider: 'braze',
        audience: expect.any(Number),
      })
      const stored = await database.db
        .selectFrom('campaigns')
        .select(['status', 'provider_ref'])
        .where('id', '=', campaignId)
        .executeTakeFirstOrThrow()
      expect(stored.status).toBe('launched')
      expect(JSON.parse(stored.provider_ref ?? '{}')).toMatchObject({
        dispatchIds: [expect.stringMatching(/^dispatch_/)],
        notSentAgain: contacted.length,
        inFlightBefore: 0,
      })
      const members = await database.db
        .selectFrom('campaign_members')
        .select('card_id')
        .where('campaign_id', '=', campaignId)
        .where('arm', '=', 'contacted')
        .execute()
      expect(members).toHaveLength(expectedSplit(campaignId, true).contacted.length)
      // The send log lived only while the launch was in flight.
      const log = await database.db
        .selectFrom('sync_state')
        .select('source')
        .where('source', 'like', `campaign-send:approval-${approvalId}:%`)
        .execute()
      expect(log).toEqual([])
    })

    it('sends Braze at most 50 recipients a request, and after a crash only those no run started', async () => {
      const settings = { apiKey: BRAZE_KEY, restEndpoint: braze.url, campaignId: BRAZE_CAMPAIGN }
      const handOff = {
        campaign: { campaignId: 1, offer: 'o', message: 'm' } as never,
        recipients: Array.from({ length: 120 }, (_, k) => ({
          cardId: `gc_x${k}`,
          customer: null,
          customerId: `c${k + 1}`,
          consent: null,
          balanceCents: 1000,
          reactivation: 0.1,
        })),
        approvalId: 900_001,
      }
      braze.requests.length = 0
      const whole = await handOffToBraze(settings, handOff, sendLog(database, 900_001))
      expect(braze.requests.map((r) => (r.body.recipients as unknown[]).length)).toEqual([
        50, 50, 20,
      ])
      expect(whole.reference.dispatchIds).toHaveLength(3)
      // Run again (a retried execution): nothing is sent.
      braze.requests.length = 0
      const again = await handOffToBraze(settings, handOff, sendLog(database, 900_001))
      expect(braze.requests).toEqual([])
      expect(again.reference).toMatchObject({
        dispatchIds: whole.reference.dispatchIds,
        notSentAgain: 120,
      })

      // A run that stopped with its second batch in flight: the first was sent, the second
      // may have been. The recovery sends the third batch's 20 only, as batch 2.
      const log = sendLog(database, 900_002)
      const ids = handOff.recipients.map((r) => r.customerId)
      await log.sent(0, ids.slice(0, 50), 'dispatch_earlier')
      await log.sending(1, ids.slice(50, 100))
      braze.requests.length = 0
      const recovered = await handOffToBraze(settings, { ...handOff, approvalId: 900_002 }, log)
      expect(braze.requests.map((r) => r.body.recipients)).toEqual([
        ids.slice(100).map((external_user_id) => ({ external_user_id })),
      ])
      expect(recovered.reference).toMatchObject({ notSentAgain: 100, inFlightBefore: 1 })
      expect((await log.started()).nextBatch).toBe(3)
    })

    it('measures lift on a hand-built ledger: redemptions after the launch, contacted against holdout', async () => {
      const launchedMs = Date.parse('2026-01-01T00:00:00.000Z')
      const { db } = database
      const row = await db
        .insertInto('campaigns')
        .values({
          name: 'Lift',
          segment: '{"minBalanceCents":500}',
          offer: 'o',
          message: 'm',
          target_count: 20,
          target_liability_cents: 40_000,
          predicted_uptake: 0.1,
          status: 'launched',
          approval_id: null,
          created_by: ANALYST.id,
          created_at: toIso(launchedMs - DAY_MS),
          launched_at: toIso(launchedMs),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      const id = Number(row.id)
      // Contacted: gc_01–gc_10; holdout: gc_11–gc_20.
      await db
        .insertInto('campaign_members')
        .values(
          Array.from({ length: 20 }, (_, k) => ({
            campaign_id: id,
            card_id: card(k + 1),
            arm: k < 10 ? ('contacted' as const) : ('holdout' as const),
            created_at: toIso(launchedMs),
          })),
        )
        .execute()
      let event = 0
      const tx = (
        cardId: string,
        day: number,
        type: 'redeem' | 'load',
        result: 'ok' | 'declined' = 'ok',
      ) => ({
        source: 'seed' as const,
        event_id: `lift-${event++}`,
        card_id: cardId,
        type,
        result,
        amount_cents: type === 'redeem' ? -500 : 500,
        balance_after_cents: null,
        currency: 'USD',
        occurred_at: toIso(launchedMs + day * DAY_MS),
        location_id: 'loc_1',
        terminal_id: null,
        order_id: null,
        customer_id: null,
        employee_id: null,
      })
      await db
        .insertInto('gift_card_transactions')
        .values([
          // Within 30 days: six contacted cards (gc_01 twice), one held out.
          ...[1, 1, 2, 3, 4, 5, 6].map((i) => tx(card(i), 10, 'redeem')),
          tx(card(11), 20, 'redeem'),
          // Not redemptions of the window: before the launch, a load, a declined one.
          tx(card(7), -3, 'redeem'),
          tx(card(8), 5, 'load'),
          tx(card(9), 6, 'redeem', 'declined'),
          // Days 31–60: one more of each arm.
          tx(card(7), 45, 'redeem'),
          tx(card(12), 50, 'redeem'),
        ])
        .execute()
      const lift = (await campaignLift(database, [id], launchedMs + 70 * DAY_MS)).get(id)
      expect(lift?.map((w) => [w.days, w.complete, w.contacted, w.holdout, w.liftPoints])).toEqual([
        [
          30,
          true,
          { cards: 10, redeemed: 6, rate: 0.6 },
          { cards: 10, redeemed: 1, rate: 0.1 },
          50,
        ],
        [
          60,
          true,
          { cards: 10, redeemed: 7, rate: 0.7 },
          { cards: 10, redeemed: 2, rate: 0.2 },
          50,
        ],
        [
          90,
          false,
          { cards: 10, redeemed: 7, rate: 0.7 },
          { cards: 10, redeemed: 2, rate: 0.2 },
          50,
        ],
      ])
      // Fisher's exact test (expected counts under 5), two-sided: 0.0573 for 6/10 against 1/10
      // and 0.0698 for 7/10 against 2/10 (hypergeometric sums, computed by hand).
      expect(lift?.map((w) => [w.test, w.pValue])).toEqual([
        ['fisher', 0.0573],
        ['fisher', 0.0698],
        ['fisher', 0.0698],
      ])
    })
  })
}

describe('the holdout and consent', () => {
  const member = (i: number, customerId: string | null, consent: string | null = null) => ({
    cardId: card(i),
    customer: null,
    customerId,
    consent: consent as never,
    balanceCents: 1000,
    reactivation: 0.1,
  })

  it('holds out close to the share asked, the same cards every time, by customer', () => {
    const members = Array.from({ length: 2000 }, (_, k) => member(k + 1, `c${k + 1}`))
    const a = splitAudience(members, {
      seed: 's',
      campaignId: 7,
      share: 0.1,
      needsCustomerId: true,
    })
    const b = splitAudience(members, {
      seed: 's',
      campaignId: 7,
      share: 0.1,
      needsCustomerId: true,
    })
    expect(a.holdout.length / members.length).toBeGreaterThan(0.08)
    expect(a.holdout.length / members.length).toBeLessThan(0.12)
    expect(b.holdout.map((m) => m.cardId)).toEqual(a.holdout.map((m) => m.cardId))
    const other = splitAudience(members, {
      seed: 's',
      campaignId: 8,
      share: 0.1,
      needsCustomerId: true,
    })
    expect(other.holdout.map((m) => m.cardId)).not.toEqual(a.holdout.map((m) => m.cardId))
    // Two cards of one customer always land in the same arm.
    const pair = splitAudience([member(1, 'same'), member(2, 'same')], {
      seed: 's',
      campaignId: 1,
      share: 0.5,
      needsCustomerId: true,
    })
    expect([pair.contacted.length, pair.holdout.length].sort()).toEqual([0, 2])
  })

  it('leaves out the unsubscribed, the suppressed and, for Klaviyo or Braze, cards with no customer id', () => {
    const members = [
      member(1, 'c1', 'unsubscribed'),
      member(2, 'c2', 'suppressed'),
      member(3, 'c3', 'subscribed'),
      member(4, null),
    ]
    const split = splitAudience(members, {
      seed: 's',
      campaignId: 1,
      share: 0,
      needsCustomerId: true,
    })
    expect(split.excluded).toEqual({ unsubscribed: 1, suppressed: 1, no_customer_id: 1 })
    expect(split.contacted.map((m) => m.cardId)).toEqual([card(3)])
    const csv = splitAudience(members, {
      seed: 's',
      campaignId: 1,
      share: 0,
      needsCustomerId: false,
    })
    expect(csv.contacted.map((m) => m.cardId)).toEqual([card(3), card(4)])
  })

  it('refuses a provider without what it needs, naming the variable', () => {
    expect(() => configFor({ MARKETING_PROVIDER: 'braze', BRAZE_API_KEY: 'k' })).toThrow(
      /BRAZE_REST_ENDPOINT must be set when MARKETING_PROVIDER is braze/,
    )
    expect(() => configFor({ MARKETING_PROVIDER: 'klaviyo' })).toThrow(/KLAVIYO_API_KEY/)
    expect(configFor({}).campaigns.provider).toBe('csv')
    expect(configFor({ CAMPAIGN_WEBHOOK_URL: 'http://127.0.0.1:9/x' }).campaigns.provider).toBe(
      'webhook',
    )
  })
})

describe('consent in a customers file', () => {
  it('loads marketing_consent as an optional column, reads a CRM yes/no or true/false, and refuses a value it does not know', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'giftcards-consent-'))
    const { openDatabase } = await import('../../db/index.ts')
    const database = await openDatabase({ engine: 'sqlite', path: join(dir, 'c.db') })
    try {
      const file = join(dir, 'customers.csv')
      writeFileSync(
        file,
        'customer_id,marketing_consent\ncus_a,Unsubscribed\ncus_b,\ncus_c,maybe\ncus_d,Yes\ncus_e,false\ncus_f,1\ncus_g,opted out\n',
      )
      const report = await importMasterData(database, file, { format: 'customers' })
      expect(report.rejected).toEqual([
        {
          line: 4,
          field: 'marketing_consent',
          reason:
            'must be subscribed, unsubscribed or suppressed (or yes / no, true / false, 1 / 0, opted in / opted out)',
        },
      ])
      const rows = await database.db
        .selectFrom('customers')
        .select(['id', 'marketing_consent'])
        .orderBy('id')
        .execute()
      expect(rows).toEqual([
        { id: 'cus_a', marketing_consent: 'unsubscribed' },
        { id: 'cus_b', marketing_consent: null },
        { id: 'cus_d', marketing_consent: 'subscribed' },
        { id: 'cus_e', marketing_consent: 'unsubscribed' },
        { id: 'cus_f', marketing_consent: 'subscribed' },
        { id: 'cus_g', marketing_consent: 'unsubscribed' },
      ])
    } finally {
      await database.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
