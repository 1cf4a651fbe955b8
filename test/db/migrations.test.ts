import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { type Database, migrateToLatest } from '../../db/index.ts'
import { slackMessagesMigration } from '../../db/migrations/0019-slack-messages.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const TABLES = [
  'locations',
  'terminals',
  'employees',
  'customers',
  'gift_cards',
  'gift_card_transactions',
  'order_items',
  'webhook_inbox',
  'fraud_alerts',
  'card_holds',
  'pos_hold_calls',
  'approval_requests',
  'campaigns',
  'forecasts',
  'gift_card_prompts',
  'actors',
  'api_tokens',
  'audit_log',
  'ledger_daily',
  'ledger_rollup',
  'slack_messages',
  'service_instances',
  'stream_cursors',
]

for (const dialect of DIALECTS) {
  describe(`migrations on ${dialect.name}`, () => {
    let cleanup: (() => Promise<void>) | undefined
    afterEach(async () => {
      await cleanup?.()
      cleanup = undefined
    })

    async function fresh(): Promise<Database> {
      const opened = await dialect.open()
      cleanup = opened.cleanup
      return opened.database
    }

    it('creates every table of the data model', async () => {
      const database = await fresh()
      const tables = await database.db.introspection.getTables()
      const names = tables.map((t) => t.name)
      for (const table of TABLES) expect(names).toContain(table)
    })

    it('is idempotent: a second run applies nothing', async () => {
      const database = await fresh()
      const again = await migrateToLatest(database.db, database.adapter, database.searchPath)
      expect(again.applied).toEqual([])
      expect(again.current).toBe('0021-campaign-handoff')
    })

    it('keeps who released a hold, why, and under which approval (0007)', async () => {
      const database = await fresh()
      // Read through the connection's own schema (introspection on PostgreSQL sees every schema).
      await expect(
        database.db
          .selectFrom('card_holds')
          .select(['released_by', 'release_reason', 'release_approval_id'])
          .execute(),
      ).resolves.toEqual([])
    })

    it('moves where Slack posted cards and alerts out of their rows into slack_messages, and back (0019)', async () => {
      const database = await fresh()
      const { db } = database
      const migration = slackMessagesMigration(database.adapter)
      // The schema as it was before 0019, with a card posted in Slack and one never posted.
      await migration.down(db)
      const now = new Date().toISOString()
      await db
        .insertInto('gift_cards')
        .values({
          id: 'gc_s',
          source: 'seed',
          gan_last4: '1234',
          initial_value_cents: 1000,
          balance_cents: 1000,
          currency: 'USD',
          status: 'active',
          issued_at: now,
          updated_at: now,
        })
        .execute()
      for (const [id, channel, ts, shown, thread] of [
        [1, 'CLP', '1.1', 'pending', 'slack:T1:CLP:1.0'],
        [2, null, null, null, null],
      ] as const)
        await sql`insert into approval_requests (id, action, args, summary, requested_by, requested_via, status, expires_at, created_at, slack_channel, slack_ts, slack_status, agent_thread)
          values (${id}, 'place_card_hold', '{}', 's', 'slack:U1', 'slack', 'pending', ${now}, ${now}, ${channel}, ${ts}, ${shown}, ${thread})`.execute(
          db,
        )
      await sql`insert into fraud_alerts (id, card_id, rule, score, status, evidence, detected_at, updated_at, slack_channel, slack_ts)
        values (7, 'gc_s', 'card_testing', 0.9, 'open', '{}', ${now}, ${now}, 'CALERTS', '2.2')`.execute(
        db,
      )
      await migration.up(db)
      const moved = await db
        .selectFrom('slack_messages')
        .select(['kind', 'ref_id', 'channel', 'ts', 'shown_status', 'agent_thread'])
        .orderBy('kind')
        .orderBy('ref_id')
        .execute()
      expect(moved.map((m) => ({ ...m, ref_id: Number(m.ref_id) }))).toEqual([
        {
          kind: 'alert',
          ref_id: 7,
          channel: 'CALERTS',
          ts: '2.2',
          shown_status: null,
          agent_thread: null,
        },
        {
          kind: 'approval',
          ref_id: 1,
          channel: 'CLP',
          ts: '1.1',
          shown_status: 'pending',
          agent_thread: 'slack:T1:CLP:1.0',
        },
      ])
      // The columns are gone from the approval and alert rows.
      await expect(sql`select slack_ts from approval_requests`.execute(db)).rejects.toThrow()
      await expect(sql`select slack_ts from fraud_alerts`.execute(db)).rejects.toThrow()
      // And down puts them back where they were.
      await migration.down(db)
      const back = await sql<{ id: number; slack_ts: string | null; agent_thread: string | null }>`
        select id, slack_ts, agent_thread from approval_requests order by id`.execute(db)
      expect(back.rows.map((r) => [Number(r.id), r.slack_ts, r.agent_thread])).toEqual([
        [1, '1.1', 'slack:T1:CLP:1.0'],
        [2, null, null],
      ])
      await migration.up(db)
    })

    it('enforces the idempotency key of transactions and the non-negative balance', async () => {
      const database = await fresh()
      const { db } = database
      const now = new Date().toISOString()
      const card = {
        id: 'gc_1',
        source: 'seed' as const,
        gan_last4: '1234',
        initial_value_cents: 1000,
        balance_cents: 1000,
        currency: 'USD',
        status: 'active' as const,
        issued_at: now,
        updated_at: now,
      }
      await db.insertInto('gift_cards').values(card).execute()
      await expect(
        db
          .insertInto('gift_cards')
          .values({ ...card, id: 'gc_2', balance_cents: -1 })
          .execute(),
      ).rejects.toThrow()
      const tx = {
        source: 'square' as const,
        event_id: 'evt-1',
        card_id: 'gc_1',
        type: 'activate' as const,
        amount_cents: 1000,
        currency: 'USD',
        occurred_at: now,
      }
      await db.insertInto('gift_card_transactions').values(tx).execute()
      await expect(db.insertInto('gift_card_transactions').values(tx).execute()).rejects.toThrow()
      // The same event id from another source is a different event.
      await db
        .insertInto('gift_card_transactions')
        .values({ ...tx, source: 'shopify' })
        .execute()
      // A transaction on a card that does not exist breaks the foreign key.
      await expect(
        db
          .insertInto('gift_card_transactions')
          .values({ ...tx, event_id: 'evt-2', card_id: 'gc_nope' })
          .execute(),
      ).rejects.toThrow()
    })
  })
}
