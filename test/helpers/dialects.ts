import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { type Database, openDatabase } from '../../db/index.ts'

/** One engine the db-facing suites run against. */
export type Dialect = {
  name: 'sqlite' | 'postgres'
  /** A fresh, empty, migrated database; `cleanup` removes it. */
  open(): Promise<{ database: Database; cleanup: () => Promise<void> }>
}

const sqlite: Dialect = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'giftcards-test-'))
    const database = await openDatabase({ engine: 'sqlite', path: join(dir, 'test.db') })
    return {
      database,
      cleanup: async () => {
        await database.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
}

function postgres(url: string): Dialect {
  return {
    name: 'postgres',
    async open() {
      // Each test gets its own schema, so test files can run in parallel on one database.
      const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
      const createSchema = async () => {
        const admin = new pg.Client({ connectionString: url })
        await admin.connect()
        await admin.query(`create schema if not exists ${schema}`)
        await admin.end()
      }
      await createSchema()
      let database: Database
      try {
        database = await openDatabase(
          { engine: 'postgres', url },
          { searchPath: schema, poolSize: 4 },
        )
      } catch (err) {
        // Seen a few times under heavy load, cause not found: the migration's first query says
        // the schema just created does not exist (3F000). Said on stderr, created again, and
        // tried once more; any other error, or a second failure, fails the suite.
        if (!String((err as Error & { cause?: unknown }).cause ?? err).includes('does not exist'))
          throw err
        process.stderr.write(
          `test/helpers/dialects: schema ${schema} missing at migration; retrying once\n`,
        )
        await createSchema()
        database = await openDatabase(
          { engine: 'postgres', url },
          { searchPath: schema, poolSize: 4 },
        )
      }
      return {
        database,
        cleanup: async () => {
          await database.close()
          const c = new pg.Client({ connectionString: url })
          await c.connect()
          await c.query(`drop schema ${schema} cascade`)
          await c.end()
        },
      }
    },
  }
}

/**
 * SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). No mocks: every
 * suite runs against the real engines.
 */
export const DIALECTS: Dialect[] = process.env.TEST_DATABASE_URL
  ? [sqlite, postgres(process.env.TEST_DATABASE_URL)]
  : [sqlite]

/**
 * For the enclosing `describe`: a fresh database before its tests, handed to `ready` (which
 * keeps it and sets it up), and removed after them.
 */
export function useDatabase(
  dialect: Dialect,
  ready: (database: Database) => Promise<void> | void,
  timeoutMs = 120_000,
): void {
  let cleanup: (() => Promise<void>) | undefined
  beforeAll(async () => {
    const opened = await dialect.open()
    cleanup = opened.cleanup
    await ready(opened.database)
  }, timeoutMs)
  afterAll(async () => {
    await cleanup?.()
  })
}
