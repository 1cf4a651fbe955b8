import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  dropIndex,
  openDatabase,
  restorePendingIndexes,
  withIndexesDropped,
} from '../../db/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const TABLES = ['gift_card_transactions', 'gift_cards']

for (const dialect of DIALECTS) {
  describe(`bulk loads on ${dialect.name}`, () => {
    it('drops secondary indexes for the load and rebuilds them, even when the load fails', async () => {
      const { database, cleanup } = await dialect.open()
      try {
        const before = await database.adapter.listSecondaryIndexes(database.db, TABLES)
        expect(before.map((i) => i.name)).toContain('gift_card_transactions_event_key')
        const during = await withIndexesDropped(database, TABLES, () =>
          database.adapter.listSecondaryIndexes(database.db, TABLES),
        )
        expect(during).toEqual([])
        await expect(
          withIndexesDropped(database, TABLES, async () => {
            throw new Error('load failed')
          }),
        ).rejects.toThrow('load failed')
        const after = await database.adapter.listSecondaryIndexes(database.db, TABLES)
        expect(after.map((i) => i.name)).toEqual(before.map((i) => i.name))
        expect(await database.db.selectFrom('bulk_load_indexes').selectAll().execute()).toEqual([])
      } finally {
        await cleanup()
      }
    })

    it('restores indexes a killed load left dropped', async () => {
      const { database, cleanup } = await dialect.open()
      try {
        // What a load killed half-way leaves behind: definitions written down, indexes gone.
        const indexes = await database.adapter.listSecondaryIndexes(database.db, TABLES)
        await database.db
          .insertInto('bulk_load_indexes')
          .values(indexes.map((i) => ({ name: i.name, table_name: i.table, definition: i.sql })))
          .execute()
        for (const index of indexes) await dropIndex(database.db, index)
        expect(await database.adapter.listSecondaryIndexes(database.db, TABLES)).toEqual([])
        expect(await restorePendingIndexes(database)).toBe(indexes.length)
        const restored = await database.adapter.listSecondaryIndexes(database.db, TABLES)
        expect(restored.map((i) => i.name)).toEqual(indexes.map((i) => i.name))
      } finally {
        await cleanup()
      }
    })
  })
}

describe('reopening a SQLite ledger', () => {
  it('rebuilds pending indexes on open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'giftcards-reopen-'))
    const target = { engine: 'sqlite' as const, path: join(dir, 'ledger.db') }
    try {
      const first = await openDatabase(target)
      const [index] = await first.adapter.listSecondaryIndexes(first.db, ['gift_card_transactions'])
      if (!index) throw new Error('no index to drop')
      await first.db
        .insertInto('bulk_load_indexes')
        .values({ name: index.name, table_name: index.table, definition: index.sql })
        .execute()
      await dropIndex(first.db, index)
      await first.close()
      const second = await openDatabase(target)
      const names = (
        await second.adapter.listSecondaryIndexes(second.db, ['gift_card_transactions'])
      ).map((i) => i.name)
      expect(names).toContain(index.name)
      await second.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
