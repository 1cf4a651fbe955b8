import { expect, it } from 'vitest'
import type { Database } from '../../db/index.ts'
import { TOOLS } from '../../tools/index.ts'
import { ACTORS, type AgentFixture, PII } from '../helpers/agent-fixture.ts'
import type { AdapterOutcome, ToolAdapter } from './adapters.ts'

/** One sample call per tool, and a field its result must have. */
export function sampleCalls(
  fixture: AgentFixture,
): { tool: string; args: Record<string, unknown>; has: string }[] {
  return [
    { tool: 'get_gift_card', args: { card: fixture.piiCard }, has: 'balance' },
    {
      tool: 'search_gift_cards',
      args: { minBalanceCents: 1000, sort: 'issued_desc', limit: 5 },
      has: 'items',
    },
    {
      tool: 'get_liability',
      args: { groupBy: 'jurisdiction', jurisdictions: ['US-NY', 'US-CA'], top: 2 },
      has: 'ledgerUpTo',
    },
    {
      tool: 'forecast_breakage',
      args: { horizonMonths: 3, topCards: 3, groupBy: 'jurisdiction' },
      has: 'groups',
    },
    { tool: 'list_fraud_alerts', args: { limit: 5, countBy: 'rule' }, has: 'byRule' },
    { tool: 'scan_for_fraud', args: { days: 120, top: 3 }, has: 'byRule' },
    { tool: 'explain_fraud_alert', args: { card: fixture.piiCard }, has: 'triggeringEvents' },
    { tool: 'get_fraud_case', args: { alertId: 1 }, has: 'timeline' },
    {
      tool: 'update_fraud_alert',
      args: { alertId: 1, status: 'dismissed', note: 'contract test' },
      has: 'status',
    },
    { tool: 'segment_purchasers', args: {}, has: 'byOccasion' },
    {
      tool: 'find_dormant_cards',
      args: { minDays: 60, sort: 'balance_desc', limit: 5 },
      has: 'dormantCards',
    },
    { tool: 'escheatment_report', args: { horizonMonths: 120 }, has: 'jurisdictions' },
    { tool: 'product_affinity', args: { level: 'sku', limit: 50 }, has: 'items' },
    {
      tool: 'recommend_upsell',
      args: {
        totalCents: 12500,
        items: [{ sku: 'H-1', category: 'home', amountCents: 12500 }],
        priorVisits: 2,
      },
      has: 'recommended',
    },
    {
      tool: 'draft_campaign',
      args: { audience: { minDaysInactive: 60, minBalanceCents: 100 } },
      has: 'campaignId',
    },
    { tool: 'list_campaigns', args: { limit: 5 }, has: 'counts' },
    { tool: 'get_audit_log', args: { limit: 5, verify: true }, has: 'chain' },
    { tool: 'list_approvals', args: { since: '2020-01-01' }, has: 'approvals' },
    { tool: 'list_card_holds', args: { status: 'active' }, has: 'activeHolds' },
    {
      tool: 'place_card_hold',
      args: { card: fixture.piiCard, reason: 'contract test' },
      has: 'approvalId',
    },
    {
      tool: 'release_card_hold',
      args: { card: fixture.activeCard, reason: 'contract test' },
      has: 'code',
    },
    { tool: 'launch_campaign', args: { campaignId: 1 }, has: 'approvalId' },
    { tool: 'ledger_metrics', args: { metric: 'redemptions', by: ['month'] }, has: 'ledgerUpTo' },
    { tool: 'reconcile_ledger', args: { limit: 5 }, has: 'freshness' },
    // A month before the chain began: the close's whole path, with nothing to recognise.
    { tool: 'prepare_journal_entries', args: { month: '2020-01' }, has: 'entries' },
    // Refused on every face alike: QuickBooks is not configured on the fixture.
    { tool: 'post_journal_entries', args: { month: '2020-01' }, has: 'code' },
  ]
}

/**
 * The contract every face keeps (CONVENTIONS §2): the same outcomes for the same calls, because
 * every face is a thin loop over the one executor. Each adapter's test file calls this.
 */
export function toolContract(
  adapter: () => ToolAdapter,
  setup: () => { database: Database; fixture: AgentFixture; seededPii: string[] },
): void {
  it('covers every tool of the registry', () => {
    expect(
      sampleCalls(setup().fixture)
        .map((c) => c.tool)
        .sort(),
    ).toEqual(TOOLS.map((t) => t.name).sort())
  })

  it('runs every tool for a manager, returning compact JSON with no PII in it', async () => {
    const { fixture, seededPii } = setup()
    const seen: string[] = []
    for (const { tool, args, has } of sampleCalls(fixture)) {
      const outcome = await adapter().call(tool, args, ACTORS.manager)
      const text = JSON.stringify(outcome)
      seen.push(text)
      if (tool === 'release_card_hold') {
        // The card has no hold: a clear refusal, not a crash.
        expect(outcome).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
        continue
      }
      if (tool === 'post_journal_entries') {
        // No QuickBooks on the fixture: refused before anything is filed, naming what to set.
        expect(outcome).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } })
        expect(outcome.error?.message).toContain('QUICKBOOKS_REALM_ID')
        continue
      }
      expect(outcome.ok, `${tool}: ${text.slice(0, 300)}`).toBe(true)
      expect(text).toContain(`"${has}"`)
    }
    const all = seen.join('\n')
    // Stores are named ({ id, name, jurisdiction }), never a bare id.
    expect(all).not.toMatch(/"(?:location|issuingLocation|locationId)":"loc_/)
    expect(all).toMatch(
      /"store":\{"id":"loc_\d+","name":"[^"]+","city":"[^"]+","jurisdiction":"US-[A-Z]{2}"\}/,
    )
    for (const value of [PII.name, PII.email, PII.phone, 'Quartermain', 'zelda'])
      expect(all).not.toContain(value)
    for (const value of seededPii) expect(all).not.toContain(value)
    expect(all).toContain(PII.pseudonym)
  })

  it('answers an unknown card with CARD_NOT_FOUND', async () => {
    const outcome = await adapter().call('get_gift_card', { card: 'gc_nosuchcard' }, ACTORS.analyst)
    expect(outcome).toMatchObject({ ok: false, error: { code: 'CARD_NOT_FOUND' } })
    expect(outcome.error?.message).toContain('gc_nosuchcard')
  })

  it('lets every role read the holds and campaigns', async () => {
    for (const actor of [ACTORS.analyst, ACTORS.lp, ACTORS.manager]) {
      for (const tool of ['list_card_holds', 'list_campaigns']) {
        const outcome = await adapter().call(tool, {}, actor)
        expect(outcome.ok, `${tool} as ${actor.role}`).toBe(true)
      }
    }
  })

  it('names the closest stores when a location is unknown, and takes one with a typo', async () => {
    const { database } = setup()
    const outcome = await adapter().call(
      'search_gift_cards',
      { location: 'Atlantis Galleria' },
      ACTORS.analyst,
    )
    expect(outcome).toMatchObject({ ok: false, error: { code: 'LOCATION_NOT_FOUND' } })
    expect(outcome.error?.message).toMatch(/closest are .*\(loc_\d{3}/)
    const store = await database.db
      .selectFrom('locations')
      .select(['id', 'name', 'city'])
      .where('name', '=', (eb) => eb.ref('city'))
      .orderBy('id')
      .executeTakeFirstOrThrow()
    // One letter dropped from the city: still that city's stores.
    const typo = `${store.city.slice(0, 2)}${store.city.slice(3)}`
    const found = (await adapter().call(
      'find_dormant_cards',
      { location: typo, minDays: 30, limit: 3 },
      ACTORS.analyst,
    )) as AdapterOutcome & {
      data: { location: { stores: { id: string }[] }; items: { store: { id: string } }[] }
    }
    expect(found.ok).toBe(true)
    expect(found.data.location.stores.map((s) => s.id)).toContain(store.id)
    const ids = found.data.location.stores.map((s) => s.id)
    for (const item of found.data.items) expect(ids).toContain(item.store.id)
  })

  it('forecasts without storing anything unless asked to save', async () => {
    const { database } = setup()
    const count = async () =>
      Number(
        (
          await database.db
            .selectFrom('forecasts')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    const before = await count()
    const read = (await adapter().call(
      'forecast_breakage',
      { horizonMonths: 2, topCards: 0 },
      ACTORS.analyst,
    )) as AdapterOutcome & { data: { forecastId: number | null } }
    expect(read.data.forecastId).toBeNull()
    expect(await count()).toBe(before)
    const saved = (await adapter().call(
      'forecast_breakage',
      { horizonMonths: 2, topCards: 0, save: true },
      ACTORS.analyst,
    )) as AdapterOutcome & { data: { forecastId: number | null } }
    expect(saved.data.forecastId).toEqual(expect.any(Number))
    expect(await count()).toBe(before + 1)
  })

  it('previews an upsell without logging a prompt unless asked to save', async () => {
    const { database } = setup()
    const count = async () =>
      Number(
        (
          await database.db
            .selectFrom('gift_card_prompts')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    const before = await count()
    const basket = { totalCents: 12500, items: [], priorVisits: 2 }
    const read = (await adapter().call(
      'recommend_upsell',
      basket,
      ACTORS.analyst,
    )) as AdapterOutcome & {
      data: { promptId?: number }
    }
    expect(read.ok).toBe(true)
    expect(read.data.promptId).toBeUndefined()
    expect(await count()).toBe(before)
    const saved = (await adapter().call(
      'recommend_upsell',
      { ...basket, save: true },
      ACTORS.analyst,
    )) as AdapterOutcome & { data: { promptId?: number } }
    expect(saved.data.promptId).toEqual(expect.any(Number))
    expect(await count()).toBe(before + 1)
  })

  it('names the field of a bad argument', async () => {
    const outcome = await adapter().call('search_gift_cards', { limit: 1000 }, ACTORS.analyst)
    expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    expect(outcome.error?.message).toMatch(/limit: .*100/)
  })

  it('refuses what the role may not do, and names an unknown tool as not found', async () => {
    const hold = await adapter().call(
      'place_card_hold',
      { card: setup().fixture.activeCard, reason: 'analyst tries' },
      ACTORS.analyst,
    )
    expect(hold).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(hold.error?.message).toContain('loss_prevention')
    const unknown = await adapter().call('drop_all_tables', {}, ACTORS.admin)
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(unknown.error?.message).toContain('no tool named "drop_all_tables"')
  })

  it('files a write as a pending approval and changes nothing', async () => {
    const { database, fixture } = setup()
    const outcome = (await adapter().call(
      'place_card_hold',
      { card: fixture.activeCard, reason: 'contract: suspicious' },
      ACTORS.lp,
    )) as AdapterOutcome & {
      data: { status: string; approvalId: number }
    }
    expect(outcome.ok).toBe(true)
    expect(outcome.data.status).toBe('pending_approval')
    const card = await database.db
      .selectFrom('gift_cards')
      .select('status')
      .where('id', '=', fixture.activeCard)
      .executeTakeFirstOrThrow()
    expect(card.status).toBe('active')
    const request = await database.db
      .selectFrom('approval_requests')
      .selectAll()
      .where('id', '=', outcome.data.approvalId)
      .executeTakeFirstOrThrow()
    expect(request).toMatchObject({
      status: 'pending',
      requested_by: ACTORS.lp.id,
      action: 'place_card_hold',
    })
  })

  it('audits every call with the face it came through', async () => {
    const { database } = setup()
    const before = await database.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirstOrThrow()
    await adapter().call('get_liability', {}, ACTORS.analyst)
    await adapter().call('get_gift_card', { card: 'gc_missing' }, ACTORS.analyst)
    // The tool calls' rows (the CLI also records each --as claim in a row of its own).
    const rows = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', Number(before.id ?? 0))
      .where('action', '=', 'tool_call')
      .orderBy('id')
      .execute()
    expect(rows.map((r) => [r.tool, r.via, r.actor])).toEqual([
      ['get_liability', adapter().via, ACTORS.analyst.id],
      ['get_gift_card', adapter().via, ACTORS.analyst.id],
    ])
    expect(rows[1]?.result_summary).toMatch(/^CARD_NOT_FOUND/)
    expect(rows[0]?.data_watermark).toMatch(/^\d{4}-\d{2}-\d{2}T/)
  })
}
