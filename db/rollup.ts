import { type Kysely, sql } from 'kysely'
import { insertMany } from './batch-sql.ts'
import type { EngineAdapter } from './engines/engine.ts'
import type { DB } from './schema.ts'

/**
 * The daily rollup (`ledger_daily`, docs/rollups.md): per chain-local day and event type, how
 * many ledger rows and their signed amount, by store and, chain-wide, by the card's occasion
 * and channel. Rows of the type `balance` carry instead each day's change in outstanding
 * balances (by issuing store, and chain-wide by occasion and channel), with how many cards came
 * to hold a balance (`cards_opened`) and how many came back to zero (`cards_closed`):
 * liability and the cards holding it as of any day are sums over days. Every writer adds to it
 * in the transaction that writes the ledger rows.
 */

/** The `type` of rollup rows that carry balances (issuing store, not the store of the event). */
export const BALANCE_ROW = 'balance'

/**
 * `location_id`, `occasion` or `channel` of a row that sums over all of them. Each event is
 * rolled up twice: by store (`occasion` and `channel` are `*`) and chain-wide by the card's
 * occasion and channel (`location_id` is `*`), so the rollup grows with days × stores, not with
 * days × stores × occasions × channels.
 */
export const ALL = '*'

const SEP = '\u0001'

/** Column order of rollup rows (`DailyRollup.rows`). */
export const ROLLUP_COLUMNS = [
  'type',
  'day',
  'location_id',
  'occasion',
  'channel',
  'count',
  'amount_cents',
  'cards_opened',
  'cards_closed',
] as const

const ROLLUP_KEY = ['type', 'day', 'location_id', 'occasion', 'channel'] as const
const ROLLUP_SUMS = ['count', 'amount_cents', 'cards_opened', 'cards_closed'] as const

/** What the rollup keeps of a card: the dimensions its rows are grouped by ('' when unknown). */
export type RollupCard = {
  issuingLocationId: string | null
  occasion: string | null
  channel: string | null
}

/** One card's events of one type, day and store: the finest grain a batch adds up. */
type Cell = {
  type: string
  day: string
  location: string
  card: RolledCard
  /** Events, net of voids (a void counts −1 against the type it reverses). */
  count: number
  /** Ledger rows (a void is one): what balance rows count. */
  rows: number
  amount: number
  opened: number
  closed: number
}

/** A card's rollup dimensions, joined once per card (`rollupCard`): its cells' keys end with `id`. */
export type RolledCard = {
  readonly id: string
  readonly issuing: string
  readonly occasion: string
  readonly channel: string
}

/** The rollup's handle on a card's dimensions; make it once per card, not per event. */
export function rollupCard(card: RollupCard): RolledCard {
  const issuing = card.issuingLocationId ?? ''
  const occasion = card.occasion ?? ''
  const channel = card.channel ?? ''
  return { id: issuing + SEP + occasion + SEP + channel, issuing, occasion, channel }
}

/**
 * Rollup rows being added up in memory before they are written (one batch, one seed). Feed
 * each card's ledger rows in time order with the card's ledger balance before each. Each
 * event is added once, to a cell of its type, day, store and card dimensions; event rows and
 * balance rows are both summed from those cells when the rows are asked for.
 */
export class DailyRollup {
  private readonly cells = new Map<string, Cell>()
  private readonly corrections = new Map<
    string,
    { card: RolledCard; day: string; opened: number; closed: number }
  >()
  private readonly days: LocalDays

  constructor(readonly timezone: string) {
    this.days = new LocalDays(timezone)
  }

  /** The chain-local day of an ISO instant. */
  dayOf(iso: string): string {
    return this.days.of(iso)
  }

  /**
   * One ledger row (`result = ok`) of a card: its type, time, store and amount, which took the
   * card's ledger balance from `before` to `before + amount`. A void is added under the type
   * of the event it reverses with `count` −1 (`rollupTypeOf`): flows are net of voids.
   */
  add(
    key: RolledCard,
    type: string,
    occurredAt: string,
    locationId: string | null | undefined,
    amount: number,
    before: number,
    /** False where the caller works out the cards holding a balance itself (`holders`). */
    crossings = true,
    count = 1,
  ): void {
    const day = this.days.of(occurredAt)
    const location = locationId ?? ''
    const id = type + SEP + day + SEP + location + SEP + key.id
    let cell = this.cells.get(id)
    if (!cell) {
      cell = { type, day, location, card: key, count: 0, rows: 0, amount: 0, opened: 0, closed: 0 }
      this.cells.set(id, cell)
    }
    cell.count += count
    cell.rows++
    cell.amount += amount
    if (!crossings) return
    const after = before + amount
    if (before <= 0 && after > 0) cell.opened++
    else if (before > 0 && after <= 0) cell.closed++
  }

  /** A correction to the cards holding a balance at the end of `day` (a late event's). */
  holders(key: RolledCard, day: string, change: number): void {
    if (change === 0) return
    const id = day + SEP + key.id
    let cell = this.corrections.get(id)
    if (!cell) {
      cell = { card: key, day, opened: 0, closed: 0 }
      this.corrections.set(id, cell)
    }
    if (change > 0) cell.opened += change
    else cell.closed -= change
  }

  get size(): number {
    return this.cells.size + this.corrections.size
  }

  /** The rows in `ROLLUP_COLUMNS` order, sorted by key (concurrent writers lock them in one order). */
  rows(): unknown[][] {
    const rows = this.collect(new Map())
    return [...rows.keys()].sort().map((id) => rows.get(id) as unknown[])
  }

  /** Adds the rows to `rows` (by key), for a caller that sums many rollups before writing. */
  collect(rows: Map<string, unknown[]>): Map<string, unknown[]> {
    const add = (
      key: [string, string, string, string, string],
      count: number,
      amount: number,
      opened: number,
      closed: number,
    ) => {
      const id = key.join(SEP)
      const row = rows.get(id)
      if (!row) rows.set(id, [...key, count, amount, opened, closed])
      else {
        row[5] = (row[5] as number) + count
        row[6] = (row[6] as number) + amount
        row[7] = (row[7] as number) + opened
        row[8] = (row[8] as number) + closed
      }
    }
    // Two grains of each: by store (all occasions and channels), and chain-wide by occasion
    // and channel.
    for (const c of this.cells.values()) {
      const { issuing, occasion, channel } = c.card
      add([c.type, c.day, c.location, ALL, ALL], c.count, c.amount, 0, 0)
      add([c.type, c.day, ALL, occasion, channel], c.count, c.amount, 0, 0)
      add([BALANCE_ROW, c.day, issuing, ALL, ALL], c.rows, c.amount, c.opened, c.closed)
      add([BALANCE_ROW, c.day, ALL, occasion, channel], c.rows, c.amount, c.opened, c.closed)
    }
    for (const c of this.corrections.values()) {
      const { issuing, occasion, channel } = c.card
      add([BALANCE_ROW, c.day, issuing, ALL, ALL], 0, 0, c.opened, c.closed)
      add([BALANCE_ROW, c.day, ALL, occasion, channel], 0, 0, c.opened, c.closed)
    }
    return rows
  }

  /** Adds the rows to the rollup table, inside the caller's transaction. */
  async write(db: Kysely<DB>, adapter: EngineAdapter): Promise<void> {
    if (this.size === 0) return
    await insertMany(db, adapter, 'ledger_daily', ROLLUP_COLUMNS, this.rows(), {
      key: ROLLUP_KEY,
      action: 'add',
      set: ROLLUP_SUMS,
    })
  }
}

/**
 * Cards holding a balance at the end of each day, from a card's ledger rows, as changes per
 * day (`+1` the day it came to hold one, `-1` the day it went back to zero). A late event
 * (one dated before days already rolled up) is applied by the difference of this before and
 * after it.
 */
export function holderChanges(
  rows: readonly { day: string; amount: number }[],
): Map<string, number> {
  const nets = new Map<string, number>()
  for (const r of rows) nets.set(r.day, (nets.get(r.day) ?? 0) + r.amount)
  const out = new Map<string, number>()
  let balance = 0
  for (const day of [...nets.keys()].sort()) {
    const after = balance + (nets.get(day) as number)
    const change = (after > 0 ? 1 : 0) - (balance > 0 ? 1 : 0)
    if (change !== 0) out.set(day, change)
    balance = after
  }
  return out
}

// ── the chain's calendar ─────────────────────────────────────────────────────────────────

const HOUR_MS = 3_600_000

/** UTC offsets of a time zone, looked up once per hour of time (zones change on the hour). */
const offsets = new Map<string, Map<number, number>>()
const formatters = new Map<string, Intl.DateTimeFormat>()

/** Milliseconds to add to a UTC instant to get the wall-clock time in `timezone`. */
export function utcOffsetMs(ms: number, timezone: string): number {
  let zone = offsets.get(timezone)
  if (!zone) {
    zone = new Map()
    offsets.set(timezone, zone)
  }
  const hour = Math.floor(ms / HOUR_MS)
  let offset = zone.get(hour)
  if (offset === undefined) {
    let format = formatters.get(timezone)
    if (!format) {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      })
      formatters.set(timezone, format)
    }
    const at = hour * HOUR_MS
    const part: Record<string, number> = {}
    for (const p of format.formatToParts(at))
      if (p.type !== 'literal') part[p.type] = Number(p.value)
    const wall = Date.UTC(
      part.year as number,
      (part.month as number) - 1,
      part.day as number,
      part.hour as number,
      part.minute as number,
    )
    offset = wall - at
    if (zone.size > 200_000) zone.clear()
    zone.set(hour, offset)
  }
  return offset
}

/** The calendar day (`YYYY-MM-DD`) of an instant in `timezone`. */
export function localDay(ms: number, timezone: string): string {
  return new Date(ms + utcOffsetMs(ms, timezone)).toISOString().slice(0, 10)
}

/** The UTC instant (ms) at which `day` (`YYYY-MM-DD`) begins in `timezone`. */
export function dayStartMs(day: string, timezone: string): number {
  const wall = Date.parse(`${day}T00:00:00.000Z`)
  let at = wall - utcOffsetMs(wall, timezone)
  at = wall - utcOffsetMs(at, timezone)
  return at
}

/** Whether `timezone` is a zone this runtime knows. */
export function isTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
    return true
  } catch {
    return false
  }
}

/** Local days of ISO instants, remembered per UTC hour (`2025-01-31T23`). */
class LocalDays {
  private readonly byHour = new Map<string, string>()
  /** The last hour asked for: instants come mostly in time order. */
  private lastHour = '\u0000'
  private lastDay = ''
  constructor(private readonly timezone: string) {}

  of(iso: string): string {
    if (iso.startsWith(this.lastHour)) return this.lastDay
    const hour = iso.slice(0, 13)
    this.lastHour = hour
    let day = this.byHour.get(hour)
    if (day === undefined) {
      day = localDay(Date.parse(`${hour}:00:00.000Z`), this.timezone)
      if (this.byHour.size > 100_000) this.byHour.clear()
      this.byHour.set(hour, day)
    }
    this.lastDay = day
    return day
  }
}

// ── the rollup's time zone ───────────────────────────────────────────────────────────────

/** The time zone the rollup's days are in, once fixed (the first rollup write fixes it). */
export async function rollupTimezone(db: Kysely<DB>): Promise<string | undefined> {
  const row = await db
    .selectFrom('ledger_rollup')
    .select('timezone')
    .where('name', '=', 'daily')
    .executeTakeFirst()
  return row?.timezone
}

/**
 * The chain's time zone as its stores tell it: the most common `timezone` among them (stub
 * stores made from unknown POS ids say UTC and are left out), UTC when there are none.
 */
export async function storesTimezone(db: Kysely<DB>): Promise<string> {
  const row = await db
    .selectFrom('locations')
    .select(['timezone', sql<number>`count(*)`.as('n')])
    .where('timezone', '<>', 'UTC')
    .groupBy('timezone')
    .orderBy('n', 'desc')
    .orderBy('timezone')
    .executeTakeFirst()
  return row && isTimezone(row.timezone) ? row.timezone : 'UTC'
}

/** The most common time zone of these stores (the seed's, before they are in the ledger). */
export function commonTimezone(timezones: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const tz of timezones) if (tz !== 'UTC') counts.set(tz, (counts.get(tz) ?? 0) + 1)
  const best = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]
  return best && isTimezone(best[0]) ? best[0] : 'UTC'
}

/**
 * Time zones rollups are fixed in, per open database (its root `Kysely`), as read committed:
 * writers read it once, not once per transaction. `forgetTimezone` after a rebuild.
 */
const settled = new WeakMap<Kysely<DB>, string>()

/** The committed time zone of this database's rollup, if one was read before. */
export function knownTimezone(db: Kysely<DB>): string | undefined {
  return settled.get(db)
}

/** Forgets the remembered time zone of a database whose rollup was rebuilt or emptied. */
export function forgetTimezone(db: Kysely<DB>): void {
  settled.delete(db)
}

/**
 * Fixes the rollup's time zone if it is not yet, outside any transaction (committed at once),
 * and remembers it: for writers to call before they open theirs.
 */
export async function fixTimezone(db: Kysely<DB>, adapter: EngineAdapter): Promise<string> {
  const known = settled.get(db)
  if (known) return known
  const timezone = await settleTimezone(db, adapter)
  const fixed = (await rollupTimezone(db)) ?? timezone
  settled.set(db, fixed)
  return fixed
}

/**
 * The rollup's time zone, fixed in the caller's transaction if this is the first write: later
 * stores (master data, a move) never shift days already rolled up.
 */
export async function settleTimezone(db: Kysely<DB>, adapter: EngineAdapter): Promise<string> {
  const fixed = await rollupTimezone(db)
  if (fixed) return fixed
  const timezone = await storesTimezone(db)
  await insertMany(
    db,
    adapter,
    'ledger_rollup',
    ['name', 'timezone', 'built_at'],
    [['daily', timezone, new Date().toISOString()]],
    { key: ['name'], action: 'nothing' },
  )
  return timezone
}

/** The type a ledger row of the scan reverses: a void's original type, else null. */
const REVERSED_TYPE =
  "case when type = 'void' then (select original_type from ledger_voids where ledger_voids.source = gift_card_transactions.source and ledger_voids.void_event_id = gift_card_transactions.event_id) end"

const UNKNOWN_CARD = rollupCard({ issuingLocationId: null, occasion: null, channel: null })

/**
 * Builds the rollup again from the ledger (the migration's backfill; after a load that wrote
 * the ledger without it): one pass over the ledger card by card, in time order. `timezone`
 * fixes the chain's day (default: the stores', see `storesTimezone`).
 */
export async function rebuildDailyRollup(
  // biome-ignore lint/suspicious/noExplicitAny: the migration calls it with the schema as it is then
  db: Kysely<any>,
  adapter: EngineAdapter,
  /**
   * `voids: false` before migration 0010 (no `ledger_voids` yet, so no voids): the 0006
   * backfill's ledger has none.
   */
  options: { timezone?: string; voids?: boolean } = {},
): Promise<{ rows: number; timezone: string }> {
  const typed = db as Kysely<DB>
  forgetTimezone(typed)
  const timezone = options.timezone ?? (await storesTimezone(typed))
  await typed.deleteFrom('ledger_daily').execute()
  await typed.deleteFrom('ledger_rollup').execute()
  await typed
    .insertInto('ledger_rollup')
    .values({ name: 'daily', timezone, built_at: new Date().toISOString() })
    .execute()
  const cards = new Map<string, RolledCard>()
  for (const c of await typed
    .selectFrom('gift_cards')
    .select(['id', 'issuing_location_id', 'occasion', 'channel'])
    .execute())
    cards.set(
      c.id,
      rollupCard({
        issuingLocationId: c.issuing_location_id,
        occasion: c.occasion,
        channel: c.channel,
      }),
    )
  // Cells are per card: summed into the rollup's rows every so often (memory stays at the
  // rollup's size), written once at the end.
  const total = new Map<string, unknown[]>()
  let rollup = new DailyRollup(timezone)
  let card: string | null = null
  let balance = 0
  type Row = [string, string, string, number, string | null, string | null]
  await adapter.scan<Row>(
    {
      // One sort of the whole table: walking the card index would look every row up in the
      // table for its type and store. Events of a card at the same instant may come in either
      // order: the cards holding a balance at each day's end come out the same. A void's
      // original type is looked up for void rows only.
      sql: `select card_id, occurred_at, type, amount_cents, location_id, ${options.voids === false ? 'null' : REVERSED_TYPE} from ${adapter.fullScan('gift_card_transactions')} where result = 'ok' and card_id is not null order by card_id, occurred_at`,
      parameters: [],
      arrays: true,
    },
    (batch) => {
      for (const [cardId, occurredAt, type, amount, locationId, reverses] of batch) {
        if (cardId !== card) {
          card = cardId
          balance = 0
        }
        const dims = cards.get(cardId) ?? UNKNOWN_CARD
        const cents = Number(amount)
        if (reverses) rollup.add(dims, reverses, occurredAt, locationId, cents, balance, true, -1)
        else rollup.add(dims, type, occurredAt, locationId, cents, balance)
        balance += cents
      }
      if (rollup.size >= 100_000) {
        rollup.collect(total)
        rollup = new DailyRollup(timezone)
      }
    },
  )
  rollup.collect(total)
  const rows = [...total.keys()].sort().map((id) => total.get(id) as unknown[])
  const write = (into: Kysely<DB>) =>
    insertMany(into, adapter, 'ledger_daily', ROLLUP_COLUMNS, rows, {
      key: ROLLUP_KEY,
      action: 'add',
      set: ROLLUP_SUMS,
    })
  if (typed.isTransaction) await write(typed)
  else await typed.transaction().execute(write)
  return { rows: rows.length, timezone }
}
