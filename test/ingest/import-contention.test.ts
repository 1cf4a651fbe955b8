import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LogEvent } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, getCard, openDatabase } from '../../db/index.ts'
import { importFile } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-import-contention-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Sixteen activations on sixteen cards; the contention hits the card `gc-victim`. */
function csv(prefix: string): string {
  const lines = ['event_id,occurred_at,card_id,type,amount,currency']
  for (let i = 0; i < 16; i++) {
    const card = i === 11 ? 'gc-victim' : `gc-${prefix}${i}`
    const at = `2025-03-01T10:00:${String(i).padStart(2, '0')}Z`
    lines.push(`${prefix}${i},${at},${card},activate,10,USD`)
  }
  return `${lines.join('\n')}\n`
}

/** How each engine names the contention it aborts a statement for. */
const CONTENTION: Record<string, { code: string; message: string }> = {
  postgres: { code: '40P01', message: 'deadlock detected' },
  sqlite: { code: 'SQLITE_BUSY', message: 'database is locked' },
}

/**
 * The same ledger opened again with a hook that makes the statement reading `gc-victim`'s card
 * fail `times` times as the engine fails a statement another writer's transaction is in the
 * way of (it ran, and the transaction must roll back).
 */
function contended(database: Database, times: number): Promise<Database> {
  let left = times
  const { code, message } = CONTENTION[database.engine] as { code: string; message: string }
  const log = (event: LogEvent) => {
    if (event.level !== 'query' || left === 0) return
    const { sql, parameters } = event.query
    if (/from "?gift_cards"?/.test(sql) && parameters.includes('gc-victim')) {
      left--
      throw Object.assign(new Error(message), { code })
    }
  }
  if (database.engine === 'sqlite') return openDatabase(database.target, { migrate: false, log })
  return openDatabase(database.target, {
    migrate: false,
    log,
    searchPath: database.searchPath as string,
    poolSize: 2,
  })
}

for (const dialect of DIALECTS) {
  describe(`an import meeting another writer on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
    })
    afterAll(async () => cleanup?.())

    it('rolls back and tries again instead of rejecting a row for the contention', async () => {
      const path = join(dir, `contended-${dialect.name}.csv`)
      writeFileSync(path, csv('once'))
      // Seven in a row: enough, before the fix, to bisect down to the row and reject it.
      const importer = await contended(database, 7)
      try {
        const report = await importFile(importer, path, { format: 'csv' })
        expect(report.rejected).toEqual([])
        expect(report.applied).toBe(16)
      } finally {
        await importer.close()
      }
      expect((await getCard(database.db, 'gc-victim'))?.balance_cents).toBe(1000)
    })

    it('gives up after a bounded number of tries with a clean error, and resumes when run again', async () => {
      const path = join(dir, `busy-${dialect.name}.csv`)
      writeFileSync(path, csv('busy'))
      const importer = await contended(database, 1_000)
      try {
        const failure = await importFile(importer, path, { format: 'csv' }).catch((e) => e)
        expect(failure).toMatchObject({
          code: 'DB_ERROR',
          message: expect.stringMatching(/^the database was too busy to complete the write/),
        })
      } finally {
        await importer.close()
      }
      const report = await importFile(database, path, { format: 'csv' })
      expect(report.rejected).toEqual([])
      expect(report.applied).toBe(16)
      // Its second activation (the test before gave it the first).
      expect((await getCard(database.db, 'gc-victim'))?.balance_cents).toBe(2000)
    })
  })
}
