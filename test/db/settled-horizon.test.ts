import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { readHorizon, SettledHorizon } from '../../db/engines/postgres-leases.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const postgres = DIALECTS.find((d) => d.name === 'postgres')

describe('the settled horizon (db/engines/postgres-leases.ts)', () => {
  it('settles a reading only once a later one has no older transaction running', () => {
    const horizon = new SettledHorizon()
    // A transaction (xid 10) still runs: ids up to 5 are not settled.
    expect(horizon.observe({ maxId: 5, xmin: 10n, xmax: 12n })).toBe(0)
    expect(horizon.observe({ maxId: 7, xmin: 11n, xmax: 13n })).toBe(0)
    // Everything below 12 finished: the first reading's ids are final, not the second's.
    expect(horizon.observe({ maxId: 9, xmin: 12n, xmax: 14n })).toBe(5)
    // Nothing runs: every reading so far settles, this one included.
    expect(horizon.observe({ maxId: 9, xmin: 14n, xmax: 14n })).toBe(9)
  })
})

/**
 * The reason the horizon exists: an id handed out to a transaction that commits after a later
 * id's. A reader that took the highest id it saw would skip it for ever.
 */
describe.skipIf(!postgres)('the settled horizon on PostgreSQL', () => {
  it('holds back an id a running transaction owns until it commits', async () => {
    const { database, cleanup } = await (postgres as NonNullable<typeof postgres>).open()
    const url = process.env.TEST_DATABASE_URL as string
    const connect = async () => {
      const c = new pg.Client({
        connectionString: url,
        options: `-c search_path=${database.searchPath}`,
      })
      await c.connect()
      return c
    }
    const slow = await connect()
    const fast = await connect()
    const reader = await connect()
    const insert = (c: pg.Client, id: string) =>
      c.query(
        `insert into gift_card_transactions (source, event_id, type, amount_cents, currency, occurred_at)
         values ('test', $1, 'load', 100, 'USD', '2026-11-01T10:00:00.000Z') returning id`,
        [id],
      )
    try {
      const horizon = new SettledHorizon()
      const read = async () => horizon.observe(await readHorizon((text) => reader.query(text)))
      await slow.query('begin')
      const low = Number((await insert(slow, 'slow')).rows[0].id)
      const high = Number((await insert(fast, 'fast')).rows[0].id) // autocommit
      expect(high).toBeGreaterThan(low)
      // The higher id is visible, the lower one not yet: nothing past the cursor is settled.
      expect(await read()).toBeLessThan(low)
      expect(await read()).toBeLessThan(low)
      await slow.query('commit')
      await read()
      expect(await read()).toBe(high)
    } finally {
      await Promise.all([slow.end(), fast.end(), reader.end()])
      await cleanup()
    }
  })
})
