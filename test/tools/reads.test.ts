import { describe, expect, it } from 'vitest'
import {
  chainDayOf,
  chainDayStart,
  DAY_MS,
  loadConfig,
  parseDate,
  toIso,
} from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { createToolkit, type Toolkit } from '../../tools/index.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { writeLedgerFixture } from '../helpers/ledger-fixture.ts'

/**
 * The changed read tools on the hand-written ledger, whose every figure is known: gc_a (CA,
 * $20.00 left, last used 2025-03-15 18:00Z), gc_b (NY, spent), gc_c (NY, $25.00, untouched
 * since 2025-03-05). Its stores keep UTC, so the chain calendar is UTC unless configured.
 */
for (const dialect of DIALECTS) {
  describe(`the read tools on ${dialect.name}`, () => {
    let database: Database
    let kit: Toolkit
    let tokyo: Toolkit
    useDatabase(dialect, async (d) => {
      database = d
      await writeLedgerFixture(d.db)
      await d.db
        .insertInto('fraud_alerts')
        .values(
          (
            [
              ['gc_a', 'card_testing', 0.9, '2025-03-16T01:00:00.000Z'],
              ['gc_b', 'refund_abuse', 0.8, '2025-04-02T10:00:00.000Z'],
              ['gc_c', 'card_testing', 0.7, '2025-04-03T10:00:00.000Z'],
            ] as const
          ).map(([card, rule, score, at]) => ({
            card_id: card,
            rule,
            score,
            status: 'open' as const,
            evidence: JSON.stringify({ reason: 'test' }),
            detected_at: at,
            updated_at: at,
            updated_by: null,
            note: null,
          })),
        )
        .execute()
      const config = loadConfig({ PII_TOKEN_KEY: 'test-pii-key' })
      kit = createToolkit(d, config)
      tokyo = createToolkit(d, loadConfig({ PII_TOKEN_KEY: 'k', CHAIN_TIMEZONE: 'Asia/Tokyo' }))
    })

    const call = async (tool: string, args: unknown, toolkit = kit) => {
      const outcome = await toolkit.executor.call(tool, args, {
        actor: ACTORS.manager,
        via: 'cli',
      })
      if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`)
      // biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON a model reads
      return outcome.data as any
    }

    it('scans the last N days, today the last of them, from the start of a chain calendar day', async () => {
      const firstDay = (zone: string) =>
        toIso(parseDate(chainDayOf(Date.now(), zone)) - 2 * DAY_MS).slice(0, 10)
      const utc = await call('scan_for_fraud', { days: 3 })
      expect(utc.since).toBe(toIso(chainDayStart(firstDay('UTC'), 'UTC')))
      expect(utc.since).toMatch(/T00:00:00\.000Z$/)
      const inTokyo = await call('scan_for_fraud', { days: 3 }, tokyo)
      expect(inTokyo.since).toBe(toIso(chainDayStart(firstDay('Asia/Tokyo'), 'Asia/Tokyo')))
      expect(inTokyo.since).toMatch(/T15:00:00\.000Z$/)
      const today = await call('scan_for_fraud', { days: 1 }, tokyo)
      expect(today.since).toBe(
        toIso(chainDayStart(chainDayOf(Date.now(), 'Asia/Tokyo'), 'Asia/Tokyo')),
      )
    })

    it('compares jurisdictions, keeps the top rows and says what it is as of', async () => {
      const all = await call('get_liability', { jurisdictions: ['US-NY', 'US-CA', 'US-TX'] })
      expect(all.groupBy).toBe('jurisdiction')
      expect(all.ledgerUpTo).toBe('2025-04-01T12:00:00.000Z')
      expect(all.asOf).toBe('now')
      expect(all.asOfDay).toMatch(/^\d{4}-\d{2}-\d{2}$/)
      expect(
        all.rows.map((r: { key: string; liability: { cents: number } }) => [
          r.key,
          r.liability.cents,
        ]),
      ).toEqual([
        ['US-NY', 2500],
        ['US-CA', 2000],
        ['US-TX', 0],
      ])
      expect(all.total.cents).toBe(4500)
      const top = await call('get_liability', { jurisdictions: ['US-NY', 'US-CA'], top: 1 })
      expect(top.rows.map((r: { key: string }) => r.key)).toEqual(['US-NY'])
      expect(top.otherRows).toMatchObject({ rows: 1, cards: 1, liability: { cents: 2000 } })
      expect(top.total.cents).toBe(4500)
      const byStore = await call('get_liability', { groupBy: 'location', location: 'new yrok' })
      expect(byStore.rows).toEqual([
        {
          key: 'loc_ny',
          store: { id: 'loc_ny', name: 'New York', city: 'New York', jurisdiction: 'US-NY' },
          cards: 1,
          liability: { cents: 2500, formatted: '$25.00' },
        },
      ])
    })

    it("ends a past day on the chain's calendar, not UTC's", async () => {
      // gc_a's $10.00 redemption at 2025-03-15 18:00Z is on the 15th in UTC, the 16th in Tokyo.
      const utc = await call('get_liability', { asOf: '2025-03-15', jurisdiction: 'US-CA' })
      expect(utc.total.cents).toBe(2000)
      const inTokyo = await call(
        'get_liability',
        { asOf: '2025-03-15', jurisdiction: 'US-CA' },
        tokyo,
      )
      expect(inTokyo.total.cents).toBe(3000)
      expect(inTokyo.timezone).toBe('Asia/Tokyo')
    })

    it('refuses a grouping a filter cannot give, clearly', async () => {
      const outcome = await kit.executor.call(
        'get_liability',
        { groupBy: 'cohort', jurisdiction: 'US-CA' },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    })

    it('sorts card searches as asked and names each store', async () => {
      const ids = async (sort: string) =>
        (await call('search_gift_cards', { sort })).items.map((c: { cardId: string }) => c.cardId)
      expect(await ids('balance_desc')).toEqual(['gc_c', 'gc_a', 'gc_b'])
      expect(await ids('balance_asc')).toEqual(['gc_b', 'gc_a', 'gc_c'])
      expect(await ids('issued_desc')).toEqual(['gc_c', 'gc_b', 'gc_a'])
      expect(await ids('last_activity_desc')).toEqual(['gc_b', 'gc_a', 'gc_c'])
      const sf = await call('search_gift_cards', { location: 'San Fransisco' })
      expect(sf.items).toHaveLength(1)
      expect(sf.items[0].store).toEqual({
        id: 'loc_ca',
        name: 'San Francisco',
        city: 'San Francisco',
        jurisdiction: 'US-CA',
      })
    })

    it('lists dormant cards by idle day, balance, store and sort', async () => {
      const ids = async (args: Record<string, unknown>) =>
        (await call('find_dormant_cards', args)).items.map((c: { cardId: string }) => c.cardId)
      expect(await ids({ sort: 'balance_desc' })).toEqual(['gc_c', 'gc_a'])
      expect(await ids({ sort: 'idle_desc' })).toEqual(['gc_c', 'gc_a'])
      expect(await ids({ maxBalanceCents: 2000 })).toEqual(['gc_a'])
      expect(await ids({ location: 'San Francisco' })).toEqual(['gc_a'])
      expect(await ids({ jurisdiction: 'US-NY' })).toEqual(['gc_c'])
      // Idle since the 10th: gc_a was used on the 15th.
      const since = await call('find_dormant_cards', { idleSince: '2025-03-10' })
      expect(since.items.map((c: { cardId: string }) => c.cardId)).toEqual(['gc_c'])
      expect(since).toMatchObject({ idleSince: '2025-03-10', dormantCards: 1 })
      expect(since.ledgerUpTo).toBe('2025-04-01T12:00:00.000Z')
      expect(since.items[0].store).toEqual({
        id: 'loc_ny',
        name: 'New York',
        city: 'New York',
        jurisdiction: 'US-NY',
      })
    })

    it('counts fraud alerts by store or rule, since a chain day', async () => {
      const byStore = await call('list_fraud_alerts', { countBy: 'location' })
      expect(byStore.items).toEqual([
        {
          key: 'loc_ny',
          store: { id: 'loc_ny', name: 'New York', city: 'New York', jurisdiction: 'US-NY' },
          alerts: 2,
        },
        {
          key: 'loc_ca',
          store: {
            id: 'loc_ca',
            name: 'San Francisco',
            city: 'San Francisco',
            jurisdiction: 'US-CA',
          },
          alerts: 1,
        },
      ])
      const byRule = await call('list_fraud_alerts', { countBy: 'rule', since: '2025-04-01' })
      expect(byRule.items).toEqual([
        { key: 'card_testing', alerts: 1 },
        { key: 'refund_abuse', alerts: 1 },
      ])
      // 2025-03-16 01:00Z is still the 15th nowhere west of UTC, and the 16th in Tokyo.
      const fromThe16th = await call('list_fraud_alerts', { since: '2025-03-16' }, tokyo)
      expect(fromThe16th.total).toBe(3)
      const fromThe16thUtc = await call('list_fraud_alerts', {
        since: '2025-03-16',
        location: 'loc_ca',
      })
      expect(fromThe16thUtc.items.map((a: { cardId: string }) => a.cardId)).toEqual(['gc_a'])
      expect(fromThe16thUtc.items[0].store.name).toBe('San Francisco')
      const outcome = await kit.executor.call(
        'list_fraud_alerts',
        { location: 'Gotham' },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(outcome).toMatchObject({ ok: false, error: { code: 'LOCATION_NOT_FOUND' } })
    })

    it('lists fraud alerts on cards issued in one state, and none for a state with no store', async () => {
      const ny = await call('list_fraud_alerts', { jurisdiction: 'US-NY' })
      expect(ny.items.map((a: { cardId: string }) => a.cardId).sort()).toEqual(['gc_b', 'gc_c'])
      expect(ny.jurisdiction).toBe('US-NY')
      const tx = await call('list_fraud_alerts', { jurisdiction: 'US-TX' })
      expect(tx.total).toBe(0)
    })

    it('keeps a triage note verbatim in the alert and the audit row', async () => {
      const note = '  Called the customer — she says "it was me", fine.  '
      const result = await call('update_fraud_alert', { alertId: 3, status: 'dismissed', note })
      expect(result.note).toBe(note)
      const alert = await database.db
        .selectFrom('fraud_alerts')
        .select(['note', 'status', 'updated_by'])
        .where('id', '=', 3)
        .executeTakeFirstOrThrow()
      expect(alert).toEqual({ note, status: 'dismissed', updated_by: ACTORS.manager.id })
      const audit = await database.db
        .selectFrom('audit_log')
        .select('input')
        .where('tool', '=', 'update_fraud_alert')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow()
      expect(JSON.parse(String(audit.input)).note).toBe(note)
      // A second note on an alert already dismissed is kept too.
      await call('update_fraud_alert', { alertId: 3, status: 'dismissed', note: 'second look: ok' })
      const again = await database.db
        .selectFrom('fraud_alerts')
        .select('note')
        .where('id', '=', 3)
        .executeTakeFirstOrThrow()
      expect(again.note).toBe('second look: ok')
    })

    it('forecasts by group and totals a sub-window, writing nothing', async () => {
      const f = await call('forecast_breakage', {
        asOf: '2025-05',
        horizonMonths: 2,
        groupBy: 'jurisdiction',
        periodFrom: '2025-06',
        periodTo: '2025-08',
      })
      expect(f.forecastId).toBeNull()
      expect(f.horizonMonths).toBe(4)
      expect(f.monthly.map((m: { month: string }) => m.month)).toEqual([
        '2025-05',
        '2025-06',
        '2025-07',
        '2025-08',
      ])
      const inPeriod = f.monthly
        .slice(1)
        .reduce((s: number, m: { expected: { cents: number } }) => s + m.expected.cents, 0)
      expect(f.period).toMatchObject({ from: '2025-06', to: '2025-08', months: 3 })
      expect(f.period.expectedRedemptions.cents).toBe(inPeriod)
      expect(f.groups.map((g: { key: string }) => g.key).sort()).toEqual(['US-CA', 'US-NY'])
      const outstanding = f.groups.reduce(
        (s: number, g: { outstanding: { cents: number } }) => s + g.outstanding.cents,
        0,
      )
      expect(outstanding).toBe(f.outstanding.cents)
      const stored = await database.db
        .selectFrom('forecasts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      expect(Number(stored.n)).toBe(0)
      const bad = await kit.executor.call(
        'forecast_breakage',
        { asOf: '2025-05', periodFrom: '2025-03' },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    })

    it('lists approvals filed since a chain day', async () => {
      const today = new Date().toISOString().slice(0, 10)
      await call('place_card_hold', { card: 'gc_c' })
      expect((await call('list_approvals', { since: '2020-01-01' })).approvals).toHaveLength(1)
      const later = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10)
      expect((await call('list_approvals', { since: later })).approvals).toHaveLength(0)
      expect((await call('list_approvals', { since: today })).since).toBe(today)
    })
  })
}
