import { afterEach, describe, expect, it } from 'vitest'
import { type Database, migrateToLatest } from '../../db/index.ts'
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
      expect(again.current).toBe('0017-journal-postings')
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
