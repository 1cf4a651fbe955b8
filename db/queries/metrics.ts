import { type Kysely, sql } from 'kysely'
import { GiftCardError } from '../../core/index.ts'
import { ALL, BALANCE_ROW, dayStartMs, localDay, rollupTimezone } from '../rollup.ts'
import type { DB } from '../schema.ts'

/**
 * The governed semantic layer behind `ledger_metrics`: a fixed list of metrics and dimensions,
 * each answered from the daily rollup where it is a ledger metric and from its own table where
 * it is not (fraud alerts, holds, approvals). No SQL comes from outside.
 */

/** Metrics kept in the daily rollup, with the event types they add up. */
const ROLLUP_METRICS = {
  cards_sold: { types: ['activate'], sign: 1 },
  value_loaded: { types: ['activate', 'load'], sign: 1 },
  loads: { types: ['load'], sign: 1 },
  redemptions: { types: ['redeem'], sign: -1 },
  refunds: { types: ['refund'], sign: 1 },
  breakage_recognised: { types: ['expire'], sign: -1 },
} as const

/** Metrics read from the daily rollup: the flows above, and liability. */
const ROLLED_UP = new Set<string>([...Object.keys(ROLLUP_METRICS), 'liability'])

export const METRICS = [
  ...(Object.keys(ROLLUP_METRICS) as (keyof typeof ROLLUP_METRICS)[]),
  'liability',
  'fraud_alerts',
  'fraud_loss',
  'holds_active',
  'approvals',
] as const
export type Metric = (typeof METRICS)[number]

export const TIME_DIMENSIONS = ['day', 'week', 'month', 'quarter'] as const
export const METRIC_DIMENSIONS = [
  ...TIME_DIMENSIONS,
  'location',
  'jurisdiction',
  'occasion',
  'channel',
  'segment',
  'rule',
] as const
export type MetricDimension = (typeof METRIC_DIMENSIONS)[number]
type TimeDimension = (typeof TIME_DIMENSIONS)[number]

const CARD_DIMENSIONS = ['location', 'jurisdiction', 'occasion', 'channel'] as const

/** Which dimensions each metric can be broken down by. */
export const DIMENSIONS_OF: Record<Metric, readonly MetricDimension[]> = {
  cards_sold: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS],
  value_loaded: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS],
  loads: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS],
  redemptions: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS],
  refunds: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS],
  breakage_recognised: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS],
  liability: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS],
  fraud_alerts: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS, 'rule'],
  fraud_loss: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS, 'rule'],
  holds_active: [...TIME_DIMENSIONS, ...CARD_DIMENSIONS],
  approvals: [...TIME_DIMENSIONS],
}

/** The statuses a metric can be filtered by (none where the metric has no status). */
export const STATUSES_OF: Partial<Record<Metric, readonly string[]>> = {
  fraud_alerts: ['open', 'confirmed', 'dismissed'],
  fraud_loss: ['open', 'confirmed'],
  approvals: ['pending', 'approved', 'rejected', 'expired', 'executed', 'failed'],
}

/** Days a `day` breakdown may span (longer: ask by week or month). */
export const MAX_DAYS_BY_DAY = 400
/** Years any range may span. */
const MAX_YEARS = 10

export type MetricQuery = {
  metric: Metric
  by: readonly MetricDimension[]
  /** First and last chain-local day (`YYYY-MM-DD`, inclusive); defaults: the year to the ledger's last day. */
  from?: string
  to?: string
  /** Location ids (a name is resolved by the caller). */
  locations?: readonly string[]
  jurisdiction?: string
  occasion?: string
  channel?: string
  status?: string
}

export type MetricRow = {
  /** The row's value of each dimension asked for ('unknown' where the ledger does not say). */
  keys: Partial<Record<MetricDimension, string>>
  count: number
  amountCents: number
}

export type MetricResult = {
  metric: Metric
  by: MetricDimension[]
  from: string
  to: string
  /** The newest `occurred_at` in the ledger (null when it is empty). */
  ledgerUpTo: string | null
  /** The time zone of the days. */
  timezone: string
  /** What `count` (`one` when it is 1) and `amountCents` are for this metric. */
  measures: Measures
  rows: MetricRow[]
}

type Measures = { count: string; one: string; amount: string }

const MEASURES: Record<Metric, Measures> = {
  cards_sold: { count: 'cards activated', one: 'card activated', amount: 'value sold' },
  value_loaded: {
    count: 'activations and loads',
    one: 'activation or load',
    amount: 'value loaded',
  },
  loads: { count: 'loads (reloads)', one: 'load (reload)', amount: 'value loaded' },
  redemptions: { count: 'redemptions', one: 'redemption', amount: 'value redeemed' },
  refunds: { count: 'refunds', one: 'refund', amount: 'value refunded to cards' },
  breakage_recognised: {
    count: 'expiries',
    one: 'expiry',
    amount: 'value expired (breakage recognised)',
  },
  liability: {
    count: 'cards holding a balance at the end of the period',
    one: 'card holding a balance at the end of the period',
    amount: 'outstanding balance at the end of the period',
  },
  fraud_alerts: {
    count: 'alerts raised',
    one: 'alert raised',
    amount: "the alerted cards' balance now",
  },
  fraud_loss: {
    count: 'redemptions on cards with open or confirmed alerts',
    one: 'redemption on cards with open or confirmed alerts',
    amount: 'value redeemed on them',
  },
  holds_active: {
    count: 'holds active at the end of the period',
    one: 'hold active at the end of the period',
    amount: 'balance held',
  },
  approvals: {
    count: 'approval requests filed',
    one: 'approval request filed',
    amount: 'none (always 0)',
  },
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** Checks the metric's dimensions, filters and range; throws INVALID_INPUT saying what fits. */
export function checkMetricQuery(query: MetricQuery): void {
  const allowed = DIMENSIONS_OF[query.metric]
  if (!allowed) throw new GiftCardError('INVALID_INPUT', `unknown metric ${query.metric}`)
  if (query.by.length > 2)
    throw new GiftCardError('INVALID_INPUT', 'by takes at most two dimensions')
  if (new Set(query.by).size !== query.by.length)
    throw new GiftCardError('INVALID_INPUT', 'by names a dimension twice')
  if (query.by.filter(isTime).length > 1)
    throw new GiftCardError('INVALID_INPUT', 'by takes at most one of day, week, month, quarter')
  for (const dim of query.by) {
    if (allowed.includes(dim)) continue
    const why =
      dim === 'segment'
        ? 'purchaser segments are worked out from card behaviour, not kept in the ledger: use segment_purchasers'
        : dim === 'rule'
          ? 'rule applies only to fraud_alerts and fraud_loss'
          : `${query.metric} can be broken down by ${allowed.join(', ')}`
    throw new GiftCardError(
      'INVALID_INPUT',
      `${query.metric} cannot be broken down by ${dim}: ${why}`,
    )
  }
  if (query.status !== undefined) {
    const statuses = STATUSES_OF[query.metric]
    if (!statuses)
      throw new GiftCardError(
        'INVALID_INPUT',
        `status filters only fraud_alerts, fraud_loss and approvals, not ${query.metric}`,
      )
    if (!statuses.includes(query.status))
      throw new GiftCardError(
        'INVALID_INPUT',
        `status of ${query.metric} must be one of ${statuses.join(', ')}`,
      )
  }
  if (ROLLED_UP.has(query.metric)) {
    const byCard =
      query.by.some((d) => d === 'occasion' || d === 'channel') || query.occasion || query.channel
    const byStore =
      query.by.some((d) => d === 'location' || d === 'jurisdiction') ||
      query.locations ||
      query.jurisdiction
    if (byCard && byStore)
      throw new GiftCardError(
        'INVALID_INPUT',
        `${query.metric} by (or filtered by) occasion or channel is chain-wide: it cannot be combined with location or jurisdiction`,
      )
  }
  if (
    query.metric === 'approvals' &&
    (query.locations || query.jurisdiction || query.occasion || query.channel)
  )
    throw new GiftCardError('INVALID_INPUT', 'approvals can only be filtered by status and dates')
  for (const [name, day] of [
    ['from', query.from],
    ['to', query.to],
  ] as const) {
    if (day === undefined) continue
    if (!DAY.test(day) || new Date(`${day}T00:00:00.000Z`).toISOString().slice(0, 10) !== day)
      throw new GiftCardError(
        'INVALID_INPUT',
        `${name} must be a day YYYY-MM-DD, got ${JSON.stringify(day)}`,
      )
  }
  if (query.from && query.to && query.from > query.to)
    throw new GiftCardError('INVALID_INPUT', `from (${query.from}) is after to (${query.to})`)
}

/**
 * One metric over a range of the chain's days, broken down by up to two dimensions. Ledger
 * metrics and liability read the daily rollup; the others their own tables.
 */
export async function ledgerMetric(db: Kysely<DB>, query: MetricQuery): Promise<MetricResult> {
  checkMetricQuery(query)
  const timezone = (await rollupTimezone(db)) ?? 'UTC'
  const upTo = await db
    .selectFrom('gift_card_transactions')
    .select((eb) => eb.fn.max('occurred_at').as('at'))
    .executeTakeFirst()
  const ledgerUpTo = upTo?.at ?? null
  const lastDay = localDay(ledgerUpTo ? Date.parse(ledgerUpTo) : Date.now(), timezone)
  // Ledger metrics end with the ledger; alerts, holds and approvals happen today as well.
  const today = localDay(Date.now(), timezone)
  const to = query.to ?? (ROLLED_UP.has(query.metric) || today < lastDay ? lastDay : today)
  const from = query.from ?? shiftDays(shiftYears(to, -1), 1)
  if (from > to) throw new GiftCardError('INVALID_INPUT', `from (${from}) is after to (${to})`)
  if (shiftYears(from, MAX_YEARS) < to)
    throw new GiftCardError('INVALID_INPUT', `a range may span at most ${MAX_YEARS} years`)
  if (query.by.includes('day') && daysBetween(from, to) >= MAX_DAYS_BY_DAY)
    throw new GiftCardError(
      'INVALID_INPUT',
      `by day spans at most ${MAX_DAYS_BY_DAY} days (${from}..${to} is ${daysBetween(from, to) + 1}): ask by week or month`,
    )
  const stores = await storeJurisdictions(db)
  const locations = storeFilter(query, stores)
  const range = { from, to, timezone, locations }
  const by = [...query.by]
  let rows: MetricRow[]
  switch (query.metric) {
    case 'liability':
      rows = await liabilityRows(db, query, by, range, stores)
      break
    case 'fraud_alerts':
      rows = await alertRows(db, query, by, range, stores)
      break
    case 'fraud_loss':
      rows = await fraudLossRows(db, query, by, range, stores)
      break
    case 'holds_active':
      rows = await holdRows(db, query, by, range, stores)
      break
    case 'approvals':
      rows = await approvalRows(db, query, by, range)
      break
    default:
      rows = await flowRows(db, query, query.metric, by, range, stores)
  }
  return {
    metric: query.metric,
    by,
    from,
    to,
    ledgerUpTo,
    timezone,
    measures: MEASURES[query.metric],
    rows,
  }
}

type Range = { from: string; to: string; timezone: string; locations: Set<string> | undefined }

function isTime(dim: MetricDimension): dim is TimeDimension {
  return (TIME_DIMENSIONS as readonly string[]).includes(dim)
}

/** Store id → jurisdiction ('unknown' for stub stores). */
async function storeJurisdictions(db: Kysely<DB>): Promise<Map<string, string>> {
  const rows = await db.selectFrom('locations').select(['id', 'jurisdiction']).execute()
  return new Map(rows.map((r) => [r.id, r.jurisdiction || 'unknown']))
}

/** The stores a location / jurisdiction filter keeps (undefined: all). */
function storeFilter(query: MetricQuery, stores: Map<string, string>): Set<string> | undefined {
  if (!query.locations && !query.jurisdiction) return undefined
  const out = new Set<string>()
  for (const [id, jurisdiction] of stores) {
    if (query.locations && !query.locations.includes(id)) continue
    if (query.jurisdiction && jurisdiction !== query.jurisdiction) continue
    out.add(id)
  }
  return out
}

/** Groups facts into rows by the dimensions asked for. */
class Grouper {
  private readonly groups = new Map<string, MetricRow>()
  constructor(private readonly by: readonly MetricDimension[]) {}

  add(values: Partial<Record<MetricDimension, string>>, count: number, amount: number): void {
    const keys: Partial<Record<MetricDimension, string>> = {}
    for (const dim of this.by) keys[dim] = values[dim] || 'unknown'
    const id = this.by.map((d) => keys[d]).join('\u0001')
    const row = this.groups.get(id)
    if (row) {
      row.count += count
      row.amountCents += amount
    } else this.groups.set(id, { keys, count, amountCents: amount })
  }

  rows(): MetricRow[] {
    return [...this.groups.values()]
  }
}

/** The values of the card dimensions of a rollup row or a card. */
function cardValues(
  stores: Map<string, string>,
  location: string | null,
  occasion: string | null,
  channel: string | null,
): Partial<Record<MetricDimension, string>> {
  return {
    location: location || 'unknown',
    jurisdiction: (location && stores.get(location)) || 'unknown',
    occasion: occasion || 'unknown',
    channel: channel || 'unknown',
  }
}

/** The period of a day a time dimension puts it in. */
export function periodOf(day: string, dim: TimeDimension): string {
  switch (dim) {
    case 'day':
      return day
    case 'month':
      return day.slice(0, 7)
    case 'quarter':
      return `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`
    case 'week': {
      // ISO 8601: weeks start on Monday; the week's year is that of its Thursday.
      const ms = Date.parse(`${day}T00:00:00.000Z`)
      const weekday = (new Date(ms).getUTCDay() + 6) % 7
      const thursday = new Date(ms + (3 - weekday) * 86_400_000)
      const year = thursday.getUTCFullYear()
      const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1
      return `${year}-W${String(week).padStart(2, '0')}`
    }
  }
}

/** Every period of `dim` from `from` to `to`, each with its last day (clipped to `to`). */
function periods(from: string, to: string, dim: TimeDimension): { key: string; end: string }[] {
  const out: { key: string; end: string }[] = []
  let day = from
  while (day <= to) {
    const key = periodOf(day, dim)
    let end = day
    for (
      let next = shiftDays(day, 1);
      next <= to && periodOf(next, dim) === key;
      next = shiftDays(next, 1)
    )
      end = next
    out.push({ key, end })
    day = shiftDays(end, 1)
  }
  return out
}

function shiftDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

function shiftYears(day: string, years: number): string {
  const d = new Date(`${day}T00:00:00.000Z`)
  d.setUTCFullYear(d.getUTCFullYear() + years)
  return d.toISOString().slice(0, 10)
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

/** Rollup rows of some types in a range, with the columns the dimensions need. */
async function rollupRows(
  db: Kysely<DB>,
  types: readonly string[],
  range: { from?: string; to: string; locations: Set<string> | undefined },
  query: MetricQuery,
  fine: { day: boolean; month: boolean },
) {
  const byCard =
    query.by.some((d) => d === 'occasion' || d === 'channel') ||
    query.occasion !== undefined ||
    query.channel !== undefined
  const period = fine.day
    ? sql<string>`day`
    : fine.month
      ? sql<string>`substr(day, 1, 7)`
      : sql<string>`''`
  let q = db
    .selectFrom('ledger_daily')
    .select((eb) => [
      period.as('period'),
      'location_id',
      'occasion',
      'channel',
      eb.fn.sum<number>('count').as('count'),
      eb.fn.sum<number>('amount_cents').as('amount'),
      eb.fn.sum<number>(eb('cards_opened', '-', eb.ref('cards_closed'))).as('holders'),
    ])
    .where('type', 'in', [...types])
    .where('day', '<=', range.to)
    // By occasion or channel: the chain-wide rows; otherwise the rows by store.
    .where((eb) =>
      byCard
        ? eb('location_id', '=', ALL)
        : eb.and([eb('occasion', '=', ALL), eb('location_id', '<>', ALL)]),
    )
    .groupBy(
      fine.day || fine.month
        ? [period, 'location_id', 'occasion', 'channel']
        : ['location_id', 'occasion', 'channel'],
    )
  if (range.from) q = q.where('day', '>=', range.from)
  if (range.locations) q = q.where('location_id', 'in', ['', ...range.locations])
  if (query.occasion) q = q.where('occasion', '=', query.occasion)
  if (query.channel) q = q.where('channel', '=', query.channel)
  const rows = await q.execute()
  return rows
    .filter((r) => !range.locations || range.locations.has(r.location_id))
    .map((r) => ({
      day: String(r.period),
      location: r.location_id,
      occasion: r.occasion,
      channel: r.channel,
      count: Number(r.count),
      amount: Number(r.amount),
      holders: Number(r.holders),
    }))
}

/** How finely the rollup must be read for the time dimension asked for. */
function fineness(by: readonly MetricDimension[]) {
  const time = by.find(isTime)
  return {
    time,
    day: time === 'day' || time === 'week',
    month: time === 'month' || time === 'quarter',
  }
}

async function flowRows(
  db: Kysely<DB>,
  query: MetricQuery,
  metric: keyof typeof ROLLUP_METRICS,
  by: readonly MetricDimension[],
  range: Range,
  stores: Map<string, string>,
): Promise<MetricRow[]> {
  const { types, sign } = ROLLUP_METRICS[metric]
  const fine = fineness(by)
  const rows = await rollupRows(db, types, range, query, fine)
  const grouper = new Grouper(by)
  for (const r of rows) {
    const values = cardValues(stores, r.location, r.occasion, r.channel)
    if (fine.time)
      values[fine.time] = periodOf(
        fine.month && r.day.length === 7 ? `${r.day}-01` : r.day,
        fine.time,
      )
    grouper.add(values, r.count, sign * r.amount)
  }
  // A group whose events were all voided has nothing left to show.
  return grouper.rows().filter((r) => r.count !== 0 || r.amountCents !== 0)
}

/**
 * Outstanding balances and the cards holding them at the end of `to`, or at the end of each
 * period: sums of the rollup's balance rows over every day up to then.
 */
async function liabilityRows(
  db: Kysely<DB>,
  query: MetricQuery,
  by: readonly MetricDimension[],
  range: Range,
  stores: Map<string, string>,
): Promise<MetricRow[]> {
  const time = by.find(isTime)
  // By month from a month's first day, the rollup is read a month at a time (exact: each
  // month before `from` is all opening balance).
  const monthly = (time === 'month' || time === 'quarter') && range.from.endsWith('-01')
  const fine = { time, day: time !== undefined && !monthly, month: monthly }
  const rows = await rollupRows(
    db,
    [BALANCE_ROW],
    { to: range.to, locations: range.locations },
    query,
    fine,
  )
  const others = by.filter((d) => !isTime(d))
  const grouper = new Grouper(by)
  if (!time) {
    for (const r of rows)
      grouper.add(cardValues(stores, r.location, r.occasion, r.channel), r.holders, r.amount)
    return grouper.rows().filter((r) => r.count !== 0 || r.amountCents !== 0)
  }
  // Per group of the other dimension: the change per period, then running totals.
  const ends = periods(range.from, range.to, time)
  const changes = new Map<
    string,
    {
      values: Partial<Record<MetricDimension, string>>
      opening: [number, number]
      byPeriod: Map<string, [number, number]>
    }
  >()
  for (const r of rows) {
    const values = cardValues(stores, r.location, r.occasion, r.channel)
    const id = others.map((d) => values[d]).join('\u0001')
    let group = changes.get(id)
    if (!group) {
      group = { values, opening: [0, 0], byPeriod: new Map() }
      changes.set(id, group)
    }
    const first = monthly ? `${r.day}-01` : r.day
    if (first < range.from) {
      group.opening[0] += r.holders
      group.opening[1] += r.amount
      continue
    }
    const period = periodOf(first, time)
    const cell = group.byPeriod.get(period) ?? [0, 0]
    cell[0] += r.holders
    cell[1] += r.amount
    group.byPeriod.set(period, cell)
  }
  for (const group of changes.values()) {
    let [cards, cents] = group.opening
    for (const p of ends) {
      const change = group.byPeriod.get(p.key)
      if (change) {
        cards += change[0]
        cents += change[1]
      }
      if (cards === 0 && cents === 0) continue
      grouper.add({ ...group.values, [time]: p.key }, cards, cents)
    }
  }
  return grouper.rows()
}

/** The UTC instants a range of chain days spans: [start of `from`, start of the day after `to`). */
function instants(range: Range): { start: string; end: string } {
  return {
    start: new Date(dayStartMs(range.from, range.timezone)).toISOString(),
    end: new Date(dayStartMs(shiftDays(range.to, 1), range.timezone)).toISOString(),
  }
}

async function alertRows(
  db: Kysely<DB>,
  query: MetricQuery,
  by: readonly MetricDimension[],
  range: Range,
  stores: Map<string, string>,
): Promise<MetricRow[]> {
  const { start, end } = instants(range)
  let q = db
    .selectFrom('fraud_alerts as a')
    .leftJoin('gift_cards as c', 'c.id', 'a.card_id')
    .select([
      'a.rule',
      'a.detected_at',
      'c.issuing_location_id',
      'c.occasion',
      'c.channel',
      'c.balance_cents',
    ])
    .where('a.detected_at', '>=', start)
    .where('a.detected_at', '<', end)
  if (query.status) q = q.where('a.status', '=', query.status as 'open')
  if (query.occasion) q = q.where('c.occasion', '=', query.occasion as 'holiday')
  if (query.channel) q = q.where('c.channel', '=', query.channel as 'online')
  const grouper = new Grouper(by)
  const time = by.find(isTime)
  for (const r of await q.execute()) {
    if (range.locations && !range.locations.has(r.issuing_location_id ?? '')) continue
    const values = cardValues(stores, r.issuing_location_id, r.occasion, r.channel)
    values.rule = r.rule
    if (time) values[time] = periodOf(localDay(Date.parse(r.detected_at), range.timezone), time)
    grouper.add(values, 1, Number(r.balance_cents ?? 0))
  }
  return grouper.rows()
}

async function fraudLossRows(
  db: Kysely<DB>,
  query: MetricQuery,
  by: readonly MetricDimension[],
  range: Range,
  stores: Map<string, string>,
): Promise<MetricRow[]> {
  const { start, end } = instants(range)
  const statuses = query.status ? [query.status as 'open'] : (['open', 'confirmed'] as const)
  const alerts = await db
    .selectFrom('fraud_alerts')
    .select(['card_id', 'rule'])
    .where('status', 'in', [...statuses])
    .execute()
  const rules = new Map<string, Set<string>>()
  for (const a of alerts) {
    const set = rules.get(a.card_id) ?? new Set()
    set.add(a.rule)
    rules.set(a.card_id, set)
  }
  const grouper = new Grouper(by)
  const time = by.find(isTime)
  const ids = [...rules.keys()]
  for (let i = 0; i < ids.length; i += 500) {
    let q = db
      .selectFrom('gift_card_transactions as t')
      .innerJoin('gift_cards as c', 'c.id', 't.card_id')
      .select([
        't.card_id',
        't.occurred_at',
        't.amount_cents',
        't.location_id',
        'c.occasion',
        'c.channel',
      ])
      .where('t.card_id', 'in', ids.slice(i, i + 500))
      .where('t.type', '=', 'redeem')
      .where('t.result', '=', 'ok')
      // A voided redemption lost nothing: its value went back on the card.
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('ledger_voids as v')
              .select('v.source')
              .whereRef('v.source', '=', 't.source')
              .whereRef('v.original_event_id', '=', 't.event_id'),
          ),
        ),
      )
      .where('t.occurred_at', '>=', start)
      .where('t.occurred_at', '<', end)
    if (query.occasion) q = q.where('c.occasion', '=', query.occasion as 'holiday')
    if (query.channel) q = q.where('c.channel', '=', query.channel as 'online')
    for (const r of await q.execute()) {
      if (range.locations && !range.locations.has(r.location_id ?? '')) continue
      const values = cardValues(stores, r.location_id, r.occasion, r.channel)
      if (time) values[time] = periodOf(localDay(Date.parse(r.occurred_at), range.timezone), time)
      // With rule asked for, a card with alerts of two rules counts under each.
      const cardRules = by.includes('rule') ? [...(rules.get(r.card_id as string) ?? [])] : ['']
      for (const rule of cardRules) grouper.add({ ...values, rule }, 1, -Number(r.amount_cents))
    }
  }
  return grouper.rows()
}

async function holdRows(
  db: Kysely<DB>,
  query: MetricQuery,
  by: readonly MetricDimension[],
  range: Range,
  stores: Map<string, string>,
): Promise<MetricRow[]> {
  let q = db
    .selectFrom('card_holds as h')
    .leftJoin('gift_cards as c', 'c.id', 'h.card_id')
    .select([
      'h.placed_at',
      'h.released_at',
      'h.amount_cents',
      'c.issuing_location_id',
      'c.occasion',
      'c.channel',
    ])
    .where('h.placed_at', '<', instants(range).end)
  if (query.occasion) q = q.where('c.occasion', '=', query.occasion as 'holiday')
  if (query.channel) q = q.where('c.channel', '=', query.channel as 'online')
  const holds = (await q.execute()).filter(
    (h) => !range.locations || range.locations.has(h.issuing_location_id ?? ''),
  )
  const time = by.find(isTime)
  const ends = time ? periods(range.from, range.to, time) : [{ key: '', end: range.to }]
  const grouper = new Grouper(by)
  for (const p of ends) {
    const at = new Date(dayStartMs(shiftDays(p.end, 1), range.timezone)).toISOString()
    for (const h of holds) {
      if (h.placed_at >= at || (h.released_at !== null && h.released_at < at)) continue
      const values = cardValues(stores, h.issuing_location_id, h.occasion, h.channel)
      if (time) values[time] = p.key
      grouper.add(values, 1, Number(h.amount_cents))
    }
  }
  return grouper.rows()
}

async function approvalRows(
  db: Kysely<DB>,
  query: MetricQuery,
  by: readonly MetricDimension[],
  range: Range,
): Promise<MetricRow[]> {
  const { start, end } = instants(range)
  let q = db
    .selectFrom('approval_requests')
    .select(['created_at'])
    .where('created_at', '>=', start)
    .where('created_at', '<', end)
  if (query.status) q = q.where('status', '=', query.status as 'pending')
  const grouper = new Grouper(by)
  const time = by.find(isTime)
  for (const r of await q.execute()) {
    const values: Partial<Record<MetricDimension, string>> = {}
    if (time) values[time] = periodOf(localDay(Date.parse(r.created_at), range.timezone), time)
    grouper.add(values, 1, 0)
  }
  return grouper.rows()
}
