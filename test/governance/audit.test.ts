import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import type { Database } from '../../db/index.ts'
import {
  appendAudit,
  GENESIS_HASH,
  grantRole,
  listActors,
  resolveActor,
  revokeRole,
  verifyAudit,
} from '../../governance/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

for (const dialect of DIALECTS) {
  describe(`the audit chain on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, (d) => {
      database = d
    })

    const write = (n: number, tag: string) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          appendAudit(database, {
            actor: `cli:${tag}${i % 3}`,
            role: 'analyst',
            via: 'cli',
            action: 'tool_call',
            tool: 'get_gift_card',
            input: { card: `gc_${tag}${i}` },
            resultSummary: 'ok',
          }),
        ),
      )

    it('chains rows written concurrently without forking', async () => {
      await write(30, 'a')
      const rows = await database.db.selectFrom('audit_log').selectAll().orderBy('id').execute()
      expect(rows).toHaveLength(30)
      expect(rows[0]?.prev_hash).toBe(GENESIS_HASH)
      for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash)
      expect(await verifyAudit(database.db)).toEqual({ ok: true, rows: 30, problems: [] })
    })

    let originalActor = ''
    it('finds an edited row', async () => {
      originalActor = (
        await database.db
          .selectFrom('audit_log')
          .select('actor')
          .where('id', '=', 5)
          .executeTakeFirstOrThrow()
      ).actor
      await database.db
        .updateTable('audit_log')
        .set({ actor: 'cli:someone_else' })
        .where('id', '=', 5)
        .execute()
      const result = await verifyAudit(database.db)
      expect(result.ok).toBe(false)
      expect(result.problems).toEqual([{ id: 5, problem: expect.stringContaining('edited') }])
    })

    it('finds a deleted row and an inserted one', async () => {
      // Put row 5 back as it was, so only the new damage shows.
      await database.db
        .updateTable('audit_log')
        .set({ actor: originalActor })
        .where('id', '=', 5)
        .execute()
      expect((await verifyAudit(database.db)).ok).toBe(true)

      await database.db.deleteFrom('audit_log').where('id', '=', 10).execute()
      const deleted = await verifyAudit(database.db)
      expect(deleted.problems.map((p) => p.id)).toEqual([11, 11])
      expect(deleted.problems[0]?.problem).toContain('rows 10–10 are missing')

      const copy = await database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('id', '=', 9)
        .executeTakeFirstOrThrow()
      await database.db
        .insertInto('audit_log')
        .values({ ...copy, id: 10, actor: 'cli:forger' })
        .execute()
      const inserted = await verifyAudit(database.db)
      expect(inserted.ok).toBe(false)
      expect(inserted.problems.some((p) => p.id === 10)).toBe(true)
      await sql`delete from audit_log`.execute(database.db)
    })
  })

  describe(`roles on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, (d) => {
      database = d
    })

    it('makes unknown actors analysts, and grants and revokes', async () => {
      expect(await resolveActor(database, 'slack:U999')).toEqual({
        id: 'slack:U999',
        role: 'analyst',
      })
      await grantRole(database, 'slack:U1', 'loss_prevention')
      await grantRole(database, 'slack:U1', 'manager')
      expect(await resolveActor(database, 'slack:U1')).toEqual({ id: 'slack:U1', role: 'manager' })
      expect((await listActors(database)).map((a) => a.id)).toEqual(['slack:U1'])
      expect(await revokeRole(database, 'slack:U1')).toBe(true)
      expect(await revokeRole(database, 'slack:U1')).toBe(false)
      expect((await resolveActor(database, 'slack:U1')).role).toBe('analyst')
      await expect(grantRole(database, 'not an actor', 'admin')).rejects.toThrow(
        /must look like slack:U123/,
      )
    })
  })
}
