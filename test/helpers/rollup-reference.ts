import { type Database, localDay, rollupTimezone } from '../../db/index.ts'

/** A rollup row as the tests compare it: sums, and the net change in cards holding a balance. */
export type RollupCell = { count: number; amount: number; holders: number }

/** The daily rollup as stored, by key (`type|day|location|occasion|channel`). */
export async function storedRollup(database: Database): Promise<Map<string, RollupCell>> {
  const rows = await database.db.selectFrom('ledger_daily').selectAll().execute()
  const out = new Map<string, RollupCell>()
  for (const r of rows) {
    const cell = {
      count: Number(r.count),
      amount: Number(r.amount_cents),
      holders: Number(r.cards_opened) - Number(r.cards_closed),
    }
    if (cell.count === 0 && cell.amount === 0 && cell.holders === 0) continue
    out.set([r.type, r.day, r.location_id, r.occasion, r.channel].join('|'), cell)
  }
  return out
}

/**
 * The daily rollup worked out from the ledger itself (a GROUP BY over its rows, by the chain's
 * day, by store and chain-wide by card occasion and channel): the reference the rollup the
 * writers keep must equal. A void counts as one event less of the type it reverses.
 */
export async function rollupFromLedger(database: Database): Promise<Map<string, RollupCell>> {
  const timezone = (await rollupTimezone(database.db)) ?? 'UTC'
  const reverses = new Map<string, string>()
  for (const v of await database.db.selectFrom('ledger_voids').selectAll().execute())
    reverses.set(`${v.source}|${v.void_event_id}`, v.original_type)
  const rows = await database.db
    .selectFrom('gift_card_transactions as t')
    .innerJoin('gift_cards as c', 'c.id', 't.card_id')
    .select([
      't.source',
      't.event_id',
      't.card_id',
      't.type',
      't.occurred_at',
      't.amount_cents',
      't.location_id',
      'c.issuing_location_id',
      'c.occasion',
      'c.channel',
    ])
    .where('t.result', '=', 'ok')
    .orderBy('t.card_id')
    .orderBy('t.occurred_at')
    .orderBy('t.id')
    .execute()
  const out = new Map<string, RollupCell>()
  const add = (key: string, count: number, amount: number, holders: number) => {
    const cell = out.get(key) ?? { count: 0, amount: 0, holders: 0 }
    cell.count += count
    cell.amount += amount
    cell.holders += holders
    out.set(key, cell)
  }
  let card: string | null = null
  let balance = 0
  // Each card's balance at the end of each of its days decides whether it holds one then.
  let day: string | null = null
  let dayStartBalance = 0
  let dayKeys: string[] = []
  const closeDay = () => {
    if (day === null) return
    const change = (balance > 0 ? 1 : 0) - (dayStartBalance > 0 ? 1 : 0)
    if (change !== 0) for (const key of dayKeys) add(key, 0, 0, change)
  }
  for (const r of rows) {
    const d = localDay(Date.parse(r.occurred_at), timezone)
    if (r.card_id !== card || d !== day) {
      closeDay()
      if (r.card_id !== card) balance = 0
      card = r.card_id
      day = d
      dayStartBalance = balance
    }
    const dims = [r.occasion ?? '', r.channel ?? '']
    const amount = Number(r.amount_cents)
    const reversed = r.type === 'void' ? reverses.get(`${r.source}|${r.event_id}`) : undefined
    const type = reversed ?? r.type
    const count = reversed ? -1 : 1
    add([type, d, r.location_id ?? '', '*', '*'].join('|'), count, amount, 0)
    add([type, d, '*', ...dims].join('|'), count, amount, 0)
    dayKeys = [
      ['balance', d, r.issuing_location_id ?? '', '*', '*'].join('|'),
      ['balance', d, '*', ...dims].join('|'),
    ]
    for (const key of dayKeys) add(key, 1, amount, 0)
    balance += amount
  }
  closeDay()
  for (const [key, cell] of out)
    if (cell.count === 0 && cell.amount === 0 && cell.holders === 0) out.delete(key)
  return out
}
