import { describe, expect, it } from 'vitest'
import { LedgerFraudStream } from '../../app/fraud-stream.ts'
import { InstanceCoordinator } from '../../app/instances.ts'
import type { Database } from '../../db/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { eventually } from '../helpers/eventually.ts'

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')
const postgres = DIALECTS.find((d) => d.name === 'postgres')

describe('one instance on SQLite', () => {
  let database: Database
  useDatabase(sqlite as NonNullable<typeof sqlite>, (d) => {
    database = d
  })

  it('leads alone and writes nothing: no election, no heartbeat', async () => {
    const instance = await InstanceCoordinator.start(database, { tickMs: 20 })
    const seen: boolean[] = []
    instance.onLeadership((leading) => seen.push(leading))
    expect(instance.isLeader).toBe(true)
    expect(seen).toEqual([true])
    expect(await instance.status()).toMatchObject({ role: 'single', instances: 1 })
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(await database.db.selectFrom('service_instances').selectAll().execute()).toEqual([])
    await instance.stop()
  })
})

describe.skipIf(!postgres)('instances on one PostgreSQL (app/instances.ts)', () => {
  let database: Database
  useDatabase(postgres as NonNullable<typeof postgres>, (d) => {
    database = d
  })

  it('elects one leader, and another when it stops', async () => {
    const a = await InstanceCoordinator.start(database, { tickMs: 50, id: 'a' })
    const b = await InstanceCoordinator.start(database, { tickMs: 50, id: 'b' })
    try {
      // The first to try holds the lock; the second follows.
      expect([a.isLeader, b.isLeader]).toEqual([true, false])
      expect(await b.status()).toEqual({ id: 'b', role: 'follower', instances: 2 })
      const changes: boolean[] = []
      b.onLeadership((leading) => changes.push(leading))
      await a.stop()
      await eventually(() => expect(b.isLeader).toBe(true), 5_000)
      expect(changes).toEqual([true])
      // A stopped instance leaves: its heartbeat row goes with it.
      const rows = await database.db.selectFrom('service_instances').select('id').execute()
      expect(rows.map((r) => r.id)).toEqual(['b'])
    } finally {
      await a.stop()
      await b.stop()
    }
  })

  it('stops a stream whose cursor another leader took (the term fences it)', async () => {
    const stream = new LedgerFraudStream(database, { instanceId: 'old', pollMs: 10 })
    stream.setLeading(true)
    await eventually(async () => {
      const row = await database.db
        .selectFrom('stream_cursors')
        .select(['leader', 'term'])
        .executeTakeFirstOrThrow()
      expect(row.leader).toBe('old')
    }, 5_000)
    // Another instance takes the cursor (a new term) while this one still believes it leads.
    await database.db
      .updateTable('stream_cursors')
      .set((eb) => ({ term: eb('term', '+', 1), leader: 'new' }))
      .execute()
    // An event to score: moving the cursor past it is refused to the old term, which stops.
    await database.db
      .insertInto('gift_card_transactions')
      .values({
        source: 'generic',
        event_id: 'fenced-1',
        card_id: null,
        type: 'load',
        result: 'ok',
        amount_cents: 100,
        balance_after_cents: null,
        currency: 'USD',
        occurred_at: '2026-11-01T10:00:00.000Z',
        location_id: null,
        terminal_id: null,
        order_id: null,
        customer_id: null,
        employee_id: null,
      })
      .execute()
    // It stops by itself: its cursor update found another term.
    await eventually(() => expect(stream.following).toBe(false), 10_000)
    const row = await database.db
      .selectFrom('stream_cursors')
      .select(['position', 'leader'])
      .executeTakeFirstOrThrow()
    // The cursor stayed where the new leader's term found it.
    expect(row).toEqual({ position: 0, leader: 'new' })
  })
})
