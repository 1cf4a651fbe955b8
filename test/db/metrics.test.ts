import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, parseDate } from '../../core/index.ts'
import {
  type Database,
  type DB,
  dayStartMs,
  endOfChainDay,
  type LiabilityGroup,
  type LiabilityRow,
  ledgerMetric,
  liabilityAsOf,
  type MetricQuery,
  monthOf,
  rollupTimezone,
  sumCents,
} from '../../db/index.ts'
import { applyBatch } from '../../ingest/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { createToolkit, type Toolkit } from '../../tools/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'

/** The chain's time zone (the seeded stores'), read once the chain is seeded. */
let TZ = 'UTC'

/** The ledger scan liabilityAsOf used before the rollup: the reference it must still equal. */
async function scannedLiability(
  db: Kysely<DB>,
  asOf: string,
  groupBy: LiabilityGroup,
): Promise<LiabilityRow[]> {
  const balances = db
    .selectFrom('gift_card_transactions')
    .select((eb) => ['card_id', sumCents(eb.ref('amount_cents')).as('balance')])
    .where('occurred_at', '<', asOf)
    .where('card_id', 'is not', null)
    .groupBy('card_id')
    .$castTo<{ card_id: string; balance: number }>()
    .as('b')
  const key =
    groupBy === 'total'
      ? sql<string>`'total'`
      : groupBy === 'location'
        ? sql<string>`coalesce(c.issuing_location_id, 'unknown')`
        : groupBy === 'jurisdiction'
          ? sql<string>`coalesce(l.jurisdiction, 'unknown')`
          : groupBy === 'cohort'
            ? monthOf(sql.ref('c.issued_at'))
            : groupBy === 'occasion'
              ? sql<string>`coalesce(c.occasion, 'unknown')`
              : sql<string>`coalesce(c.channel, 'unknown')`
  const rows = await db
    .selectFrom(balances)
    .innerJoin('gift_cards as c', 'c.id', 'b.card_id')
    .leftJoin('locations as l', 'l.id', 'c.issuing_location_id')
    .select((eb) => [
      key.as('key'),
      sql<number>`count(*)`.as('cards'),
      sumCents(eb.ref('b.balance')).as('liabilityCents'),
    ])
    .where('b.balance', '>', 0)
    .groupBy('key')
    .orderBy('liabilityCents', 'desc')
    .orderBy('key')
    .execute()
  if (groupBy === 'total' && rows.length === 0)
    return [{ key: 'total', cards: 0, liabilityCents: 0 }]
  return rows.map((r) => ({
    key: r.key,
    cards: Number(r.cards),
    liabilityCents: Number(r.liabilityCents),
  }))
}

const asNumbers = (rows: LiabilityRow[]) =>
  rows.map((r) => ({
    key: r.key,
    cards: Number(r.cards),
    liabilityCents: Number(r.liabilityCents),
  }))

/** The instants a range of New York days spans. */
const span = (from: string, to: string) => ({
  start: new Date(dayStartMs(from, TZ)).toISOString(),
  end: new Date(
    dayStartMs(new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10), TZ),
  ).toISOString(),
})

/** Months of 2025 with their first and last day. */
const MONTHS = Array.from({ length: 12 }, (_, i) => {
  const first = `2025-${String(i + 1).padStart(2, '0')}-01`
  const last = new Date(Date.UTC(2025, i + 1, 0)).toISOString().slice(0, 10)
  return { key: first.slice(0, 7), first, last }
})

/** Rows as `key → [count, cents]` for comparing. */
function byKey(
  rows: { keys: Record<string, string | undefined>; count: number; amountCents: number }[],
) {
  return Object.fromEntries(
    rows.map((r) => [Object.values(r.keys).join('|'), [r.count, r.amountCents]]),
  )
}

for (const dialect of DIALECTS) {
  describe(`ledger metrics on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let kit: Toolkit
    let alertCards: string[]

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      await seedChain(database, {
        cards: 1500,
        seed: 5,
        startMs: parseDate('2024-06-01'),
        months: 19,
      })
      // Events through the applier too (a late one among them), so both writers are in.
      await applyBatch(database, {
        events: [
          {
            source: 'generic',
            eventId: 'm1',
            cardRef: 'gc-extra',
            type: 'activate',
            amountCents: 4000,
            currency: 'USD',
            occurredAt: '2025-03-09T06:30:00.000Z',
            locationId: 'loc_001',
          },
          {
            source: 'generic',
            eventId: 'm2',
            cardRef: 'gc-extra',
            type: 'redeem',
            amountCents: -4000,
            currency: 'USD',
            occurredAt: '2025-11-02T05:30:00.000Z',
            locationId: 'loc_002',
          },
        ],
        cards: [],
      })
      const cards = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .orderBy('id')
        .limit(6)
        .execute()
      alertCards = cards.map((c) => c.id)
      const now = '2025-06-15T12:00:00.000Z'
      await database.db
        .insertInto('fraud_alerts')
        .values(
          alertCards.map((card_id, i) => ({
            card_id,
            rule: i % 2 === 0 ? 'card_testing' : 'bulk_purchase',
            score: 0.9,
            status: (['open', 'confirmed', 'dismissed'] as const)[i % 3] as 'open',
            evidence: '{}',
            detected_at: `2025-0${(i % 6) + 3}-10T12:00:00.000Z`,
            updated_at: now,
          })),
        )
        .execute()
      await database.db
        .insertInto('card_holds')
        .values([
          {
            card_id: alertCards[0] as string,
            reason: 'test',
            status: 'active',
            amount_cents: 1500,
            placed_at: '2025-04-01T12:00:00.000Z',
          },
          {
            card_id: alertCards[1] as string,
            reason: 'test',
            status: 'released',
            amount_cents: 2500,
            placed_at: '2025-05-01T12:00:00.000Z',
            released_at: '2025-07-01T12:00:00.000Z',
          },
        ])
        .execute()
      kit = createToolkit(database, loadConfig({}))
      TZ = (await rollupTimezone(database.db)) ?? 'UTC'
    }, 120_000)
    afterAll(async () => cleanup())

    const metric = (query: MetricQuery) => ledgerMetric(database.db, query)

    it('answers as-of liability from the rollup equal to the ledger scan, every grouping and day', async () => {
      const days = [
        '2024-06-01',
        '2024-12-31',
        '2025-03-08',
        '2025-03-09',
        '2025-11-01',
        '2025-11-02',
        '2025-12-31',
      ]
      for (const day of days) {
        const asOf = await endOfChainDay(database.db, day)
        for (const groupBy of [
          'total',
          'location',
          'jurisdiction',
          'occasion',
          'channel',
          'cohort',
        ] as const)
          expect(
            asNumbers(await liabilityAsOf(database.db, { asOf, groupBy })),
            `${day} ${groupBy}`,
          ).toEqual(await scannedLiability(database.db, asOf, groupBy))
      }
      // Not the end of a chain day: the ledger is scanned.
      const odd = '2025-06-01T12:34:56.000Z'
      expect(
        asNumbers(await liabilityAsOf(database.db, { asOf: odd, groupBy: 'jurisdiction' })),
      ).toEqual(await scannedLiability(database.db, odd, 'jurisdiction'))
    })

    it('gives liability at each month end by jurisdiction as the ledger scan does', async () => {
      const result = await metric({
        metric: 'liability',
        by: ['month', 'jurisdiction'],
        from: '2025-01-01',
        to: '2025-12-31',
      })
      const expected: Record<string, [number, number]> = {}
      for (const m of MONTHS)
        for (const r of await scannedLiability(
          database.db,
          await endOfChainDay(database.db, m.last),
          'jurisdiction',
        ))
          expected[`${m.key}|${r.key}`] = [r.cards, r.liabilityCents]
      expect(byKey(result.rows)).toEqual(expected)
      // Read by day (from mid-month) the same as by month.
      const weekly = await metric({
        metric: 'liability',
        by: ['week'],
        from: '2025-03-05',
        to: '2025-04-20',
      })
      const last = weekly.rows.at(-1)
      const total = await scannedLiability(
        database.db,
        await endOfChainDay(database.db, '2025-04-20'),
        'total',
      )
      expect([last?.count, last?.amountCents]).toEqual([total[0]?.cards, total[0]?.liabilityCents])
      expect(last?.keys.week).toBe('2025-W16')
    })

    it('counts flows by month and jurisdiction of the store, as SQL over the ledger does', async () => {
      for (const [name, types, sign] of [
        ['cards_sold', ['activate'], 1],
        ['value_loaded', ['activate', 'load'], 1],
        ['redemptions', ['redeem'], -1],
        ['refunds', ['refund'], 1],
        ['loads', ['load'], 1],
        ['breakage_recognised', ['expire'], -1],
      ] as const) {
        const result = await metric({
          metric: name,
          by: ['month', 'jurisdiction'],
          from: '2025-01-01',
          to: '2025-12-31',
        })
        const expected: Record<string, [number, number]> = {}
        for (const m of MONTHS) {
          const { start, end } = span(m.first, m.last)
          const rows = await database.db
            .selectFrom('gift_card_transactions as t')
            .leftJoin('locations as l', 'l.id', 't.location_id')
            .select((eb) => [
              sql<string>`coalesce(l.jurisdiction, 'unknown')`.as('j'),
              sql<number>`count(*)`.as('n'),
              sumCents(eb.ref('t.amount_cents')).as('cents'),
            ])
            .where('t.type', 'in', [...types])
            .where('t.result', '=', 'ok')
            .where('t.occurred_at', '>=', start)
            .where('t.occurred_at', '<', end)
            .groupBy(sql`coalesce(l.jurisdiction, 'unknown')`)
            .execute()
          for (const r of rows) expected[`${m.key}|${r.j}`] = [Number(r.n), sign * Number(r.cents)]
        }
        expect(byKey(result.rows), name).toEqual(expected)
      }
    })

    it('filters by channel and breaks down by quarter and occasion, chain-wide', async () => {
      const result = await metric({
        metric: 'redemptions',
        by: ['quarter', 'occasion'],
        from: '2025-01-01',
        to: '2025-06-30',
        channel: 'in_store',
      })
      const expected: Record<string, [number, number]> = {}
      for (const [q, from, to] of [
        ['2025-Q1', '2025-01-01', '2025-03-31'],
        ['2025-Q2', '2025-04-01', '2025-06-30'],
      ] as const) {
        const { start, end } = span(from, to)
        const rows = await database.db
          .selectFrom('gift_card_transactions as t')
          .innerJoin('gift_cards as c', 'c.id', 't.card_id')
          .select((eb) => [
            'c.occasion',
            sql<number>`count(*)`.as('n'),
            sumCents(eb.ref('t.amount_cents')).as('cents'),
          ])
          .where('t.type', '=', 'redeem')
          .where('t.result', '=', 'ok')
          .where('c.channel', '=', 'in_store')
          .where('t.occurred_at', '>=', start)
          .where('t.occurred_at', '<', end)
          .groupBy('c.occasion')
          .execute()
        for (const r of rows) expected[`${q}|${r.occasion}`] = [Number(r.n), -Number(r.cents)]
      }
      expect(Object.keys(expected).length).toBeGreaterThan(0)
      expect(byKey(result.rows)).toEqual(expected)
    })

    it('counts fraud alerts by rule, fraud loss, active holds and approvals from their tables', async () => {
      const alerts = await metric({
        metric: 'fraud_alerts',
        by: ['rule'],
        from: '2025-01-01',
        to: '2025-12-31',
      })
      expect(Object.fromEntries(alerts.rows.map((r) => [r.keys.rule, r.count]))).toEqual({
        card_testing: 3,
        bulk_purchase: 3,
      })
      const open = await metric({
        metric: 'fraud_alerts',
        by: [],
        status: 'open',
        from: '2025-01-01',
        to: '2025-12-31',
      })
      expect(open.rows[0]?.count).toBe(2)

      const loss = await metric({
        metric: 'fraud_loss',
        by: [],
        from: '2024-06-01',
        to: '2025-12-31',
      })
      const lossCards = alertCards.filter((_, i) => i % 3 !== 2)
      const { start, end } = span('2024-06-01', '2025-12-31')
      const ref = await database.db
        .selectFrom('gift_card_transactions')
        .select((eb) => [
          sql<number>`count(*)`.as('n'),
          sumCents(eb.ref('amount_cents')).as('cents'),
        ])
        .where('card_id', 'in', lossCards)
        .where('type', '=', 'redeem')
        .where('result', '=', 'ok')
        .where('occurred_at', '>=', start)
        .where('occurred_at', '<', end)
        .executeTakeFirstOrThrow()
      expect([loss.rows[0]?.count ?? 0, loss.rows[0]?.amountCents ?? 0]).toEqual([
        Number(ref.n),
        -Number(ref.cents),
      ])

      const holds = await metric({
        metric: 'holds_active',
        by: ['month'],
        from: '2025-03-01',
        to: '2025-08-31',
      })
      expect(byKey(holds.rows)).toEqual({
        '2025-04': [1, 1500],
        '2025-05': [2, 4000],
        '2025-06': [2, 4000],
        '2025-07': [1, 1500],
        '2025-08': [1, 1500],
      })

      const approvals = await metric({ metric: 'approvals', by: ['month'], status: 'pending' })
      expect(approvals.rows).toEqual([])
    })

    it('says the range used and how far the ledger goes; defaults to the year to its last day', async () => {
      const result = await metric({ metric: 'cards_sold', by: [] })
      expect(result.ledgerUpTo).toMatch(/^2025-12-31T/)
      expect(result.to).toBe('2025-12-31')
      expect(result.from).toBe('2025-01-01')
      expect(result.timezone).toBe(TZ)
      expect(TZ).toMatch(/^America\//)
    })

    it('refuses bad combinations with clear errors', async () => {
      const refused = async (query: MetricQuery, message: RegExp) =>
        expect(metric(query)).rejects.toThrow(message)
      await refused(
        { metric: 'redemptions', by: ['rule'] },
        /rule applies only to fraud_alerts and fraud_loss/,
      )
      await refused({ metric: 'cards_sold', by: ['segment'] }, /segment_purchasers/)
      await refused(
        { metric: 'cards_sold', by: ['month', 'week'] },
        /at most one of day, week, month, quarter/,
      )
      await refused({ metric: 'cards_sold', by: ['month', 'location', 'channel'] }, /at most two/)
      await refused(
        { metric: 'cards_sold', by: ['day'], from: '2023-01-01', to: '2025-01-01' },
        /by day spans at most 400 days/,
      )
      await refused(
        { metric: 'cards_sold', by: [], from: '2025-05-01', to: '2025-04-01' },
        /after to/,
      )
      await refused({ metric: 'cards_sold', by: [], from: '2025-02-30' }, /from must be a day/)
      await refused({ metric: 'liability', by: [], status: 'open' }, /status filters only/)
      await refused(
        { metric: 'fraud_loss', by: [], status: 'dismissed' },
        /must be one of open, confirmed/,
      )
      await refused(
        { metric: 'redemptions', by: ['occasion'], locations: ['loc_001'] },
        /chain-wide: it cannot be combined with location or jurisdiction/,
      )
      await refused(
        { metric: 'approvals', by: ['location'] },
        /approvals cannot be broken down by location/,
      )
    })

    it('runs as the ledger_metrics tool: csv, sort, top, a store by name, bad input refused', async () => {
      const actor = { id: 'cli:metrics-test', role: 'analyst' as const }
      const call = (args: Record<string, unknown>) =>
        kit.executor.call('ledger_metrics', args, { actor, via: 'cli' })
      const store = await database.db
        .selectFrom('locations')
        .select(['id', 'name'])
        .where('id', '=', 'loc_001')
        .executeTakeFirstOrThrow()
      const outcome = await call({
        metric: 'cards_sold',
        by: ['location'],
        from: '2025-01-01',
        to: '2025-12-31',
        sort: 'value_desc',
        top: 3,
        format: 'csv',
      })
      expect(outcome.ok).toBe(true)
      const data = (
        outcome as {
          data: {
            rows: {
              location: string
              count: number
              amount: { cents: number; formatted: string }
            }[]
            csv: string
            from: string
            ledgerUpTo: string
          }
        }
      ).data
      expect(data.rows).toHaveLength(3)
      expect(data.rows[0]?.amount.cents).toBeGreaterThanOrEqual(data.rows[1]?.amount.cents ?? 0)
      const lines = data.csv.trimEnd().split('\r\n')
      expect(lines[0]).toBe('location,count,amount_cents,amount')
      const first = data.rows[0]
      expect(lines[1]).toBe(
        `${first?.location},${first?.count},${first?.amount.cents},"${first?.amount.formatted}"`,
      )
      expect(data.from).toBe('2025-01-01')

      const named = await call({
        metric: 'cards_sold',
        location: store.name.toUpperCase(),
        from: '2025-01-01',
        to: '2025-12-31',
      })
      // The one location resolver of every tool: a name that is also a city means its stores.
      expect(named, JSON.stringify(named)).toMatchObject({ ok: true })
      expect((named as { data: { location: { ids: string[] } } }).data.location.ids).toContain(
        'loc_001',
      )
      const unknown = await call({ metric: 'cards_sold', location: 'Atlantis Mall' })
      expect(unknown).toMatchObject({ ok: false, error: { code: 'LOCATION_NOT_FOUND' } })
      expect((unknown as { error: { message: string } }).error.message).toMatch(/closest/)
      const bad = await call({ metric: 'liability', by: ['rule'] })
      expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
      const tooMany = await call({ metric: 'liability', by: ['month', 'location', 'occasion'] })
      expect(tooMany).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
      expect(await call({ metric: 'sales' })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT' },
      })
      expect(await call({ metric: 'cards_sold', top: 100000 })).toMatchObject({ ok: false })
    })
  })
}
