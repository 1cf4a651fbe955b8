import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CACHE_KIB } from '../../db/engines/sqlite.ts'
import { type Database, type DeferredWriter, openDatabase } from '../../db/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')
if (!sqlite) throw new Error('the SQLite dialect always runs')

const INSERT =
  'insert into writer_rows (id, card, label) values (?, ?, ?) on conflict (id) do nothing'

describe('deferred write transaction on a worker thread (SQLite)', () => {
  let database: Database
  useDatabase(sqlite, async (opened) => {
    database = opened
    await sql`create table writer_cards (id text primary key)`.execute(database.db)
    await sql`insert into writer_cards values ('c1'), ('c2')`.execute(database.db)
    await sql`create table writer_rows (id integer primary key, card text not null
      references writer_cards (id), label text)`.execute(database.db)
  })

  const rows = async () =>
    (
      await sql<{ id: number; card: string; label: string | null }>`
        select id, card, label from writer_rows order by id`.execute(database.db)
    ).rows

  const withWriter = async (use: (writer: DeferredWriter) => Promise<void>) => {
    const open = database.adapter.openDeferredWriter
    if (!open) throw new Error('SQLite on a file has a deferred writer')
    const writer = open()
    try {
      await use(writer)
    } finally {
      await writer.close()
    }
  }

  it('runs queued rows in order and shows them to other connections only once committed', async () => {
    await withWriter(async (writer) => {
      await writer.begin()
      const queued = writer.runEach(INSERT, [
        [1, 'c1', 'one'],
        [2, 'c2', null],
      ])
      expect(queued).toBe(2)
      writer.execute('update writer_rows set label = ? where id = ?', ['two', 2])
      await writer.drain(0)
      // Written, not committed: this connection still sees the table as it was.
      expect(await rows()).toEqual([])
      expect(await writer.commit()).toEqual({ ok: true })
      expect(await rows()).toEqual([
        { id: 1, card: 'c1', label: 'one' },
        { id: 2, card: 'c2', label: 'two' },
      ])
    })
  })

  it('holds the write lock from begin: another writer waits for the commit', async () => {
    await withWriter(async (writer) => {
      await writer.begin()
      writer.runEach(INSERT, [[3, 'c1', 'three']])
      await writer.drain(0)
      // A second connection with a short busy timeout cannot write while the writer holds it.
      const path = (
        await sql<{
          file: string
        }>`select file from pragma_database_list where name = 'main'`.execute(database.db)
      ).rows[0]?.file
      if (!path) throw new Error('the test database is a file')
      const other = await openDatabase({ engine: 'sqlite', path })
      try {
        await sql`pragma busy_timeout = 50`.execute(other.db)
        await expect(sql`insert into writer_cards values ('c3')`.execute(other.db)).rejects.toThrow(
          /database is locked/,
        )
        expect(await writer.commit()).toEqual({ ok: true })
        await sql`insert into writer_cards values ('c3')`.execute(other.db)
      } finally {
        await other.close()
      }
    })
  })

  it('fails the commit, keeping nothing of the transaction, when an exact row met its key', async () => {
    const before = await rows()
    await withWriter(async (writer) => {
      await writer.begin()
      writer.runEach(INSERT, [[10, 'c1', 'new']], true)
      // Row 1 exists: `do nothing` skips it, which an exact insert does not allow.
      writer.runEach(
        INSERT,
        [
          [11, 'c1', 'new'],
          [1, 'c1', 'again'],
        ],
        true,
      )
      expect(await writer.commit()).toEqual({
        ok: false,
        reason: 'not written',
        message: '1 of 2 rows already existed',
      })
      expect(await rows()).toEqual(before)
      // The same rows, not exact, go in (the skipped one counted out).
      await writer.begin()
      writer.runEach(INSERT, [
        [11, 'c1', 'new'],
        [1, 'c1', 'again'],
      ])
      expect(await writer.commit()).toEqual({ ok: true })
      expect((await rows()).find((r) => r.id === 1)?.label).toBe('one')
      expect((await rows()).some((r) => r.id === 11)).toBe(true)
    })
  })

  it('fails the commit with the engine’s error, skips what was queued after it, and writes again after', async () => {
    const before = await rows()
    await withWriter(async (writer) => {
      await writer.begin()
      writer.runEach(INSERT, [[20, 'c1', 'kept?']])
      writer.runEach(INSERT, [[21, 'no-such-card', 'x']])
      writer.runEach(INSERT, [[22, 'c2', 'after the failure']])
      const outcome = await writer.commit()
      expect(outcome).toMatchObject({ ok: false, reason: 'error' })
      expect(outcome.ok === false && outcome.message).toMatch(/FOREIGN KEY constraint failed/)
      expect(await rows()).toEqual(before)
      await writer.begin()
      writer.runEach(INSERT, [[23, 'c2', 'fine']])
      expect(await writer.commit()).toEqual({ ok: true })
      expect((await rows()).map((r) => r.id)).toEqual([...before.map((r) => r.id), 23])
    })
  })

  it('takes page cache from the opening connection while it works, and gives it back', async () => {
    const cacheSize = async () =>
      (await sql<{ cache_size: number }>`pragma cache_size`.execute(database.db)).rows[0]
        ?.cache_size
    expect(await cacheSize()).toBe(DEFAULT_CACHE_KIB)
    await withWriter(async () => {
      expect(await cacheSize()).toBeGreaterThan(DEFAULT_CACHE_KIB)
    })
    expect(await cacheSize()).toBe(DEFAULT_CACHE_KIB)
  })

  it('rolls back on request', async () => {
    const before = await rows()
    await withWriter(async (writer) => {
      await writer.begin()
      writer.runEach(INSERT, [[30, 'c1', 'gone']])
      await writer.rollback()
      expect(await rows()).toEqual(before)
    })
  })

  it('is not offered where a second connection cannot open the database', async () => {
    const memory = await openDatabase({ engine: 'sqlite', path: ':memory:' })
    try {
      expect(memory.adapter.openDeferredWriter).toBeUndefined()
    } finally {
      await memory.close()
    }
  })
})

const postgres = DIALECTS.find((d) => d.name === 'postgres')
describe.runIf(postgres)('deferred writer on PostgreSQL', () => {
  it('is not offered: imports write on their own connection (the server works beside them)', async () => {
    const opened = await (postgres as NonNullable<typeof postgres>).open()
    try {
      expect(opened.database.adapter.openDeferredWriter).toBeUndefined()
    } finally {
      await opened.cleanup()
    }
  })
})
