import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GiftCardError, isGiftCardError } from '../../core/index.ts'
import {
  type Database,
  isTransientDbError,
  isUniqueViolation,
  openDatabase,
  transientKind,
  withDbRetry,
} from '../../db/index.ts'

/** An error shaped as the drivers throw them: pg's `DatabaseError`, better-sqlite3's `SqliteError`. */
function driverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code })
}

const deadlock = () => driverError('40P01', 'deadlock detected')

/** Options that record the back-offs instead of sleeping. */
function recorded(extra: Parameters<typeof withDbRetry>[1] = {}) {
  const waits: number[] = []
  return {
    waits,
    options: {
      random: () => 0.5,
      sleep: async (ms: number) => {
        waits.push(ms)
      },
      ...extra,
    },
  }
}

describe('withDbRetry', () => {
  it('runs the work again after a deadlock and returns what it returns', async () => {
    const { waits, options } = recorded()
    let calls = 0
    const result = await withDbRetry(async (attempt) => {
      calls++
      if (attempt < 3) throw deadlock()
      return 'applied'
    }, options)
    expect(result).toBe('applied')
    expect(calls).toBe(3)
    // Half (the pinned jitter) of 10 ms, then of 20 ms: the ceiling doubles each retry.
    expect(waits).toEqual([5, 10])
  })

  it('gives up after N attempts with a clean DB_ERROR, the driver error kept as its cause', async () => {
    const { waits, options } = recorded({ attempts: 4, maxDelayMs: 15 })
    let calls = 0
    const failure = await withDbRetry(async () => {
      calls++
      throw deadlock()
    }, options).catch((err: unknown) => err)
    expect(calls).toBe(4)
    expect(waits).toEqual([5, 8, 8]) // capped at maxDelayMs (15 × 0.5, rounded)
    expect(isGiftCardError(failure, 'DB_ERROR')).toBe(true)
    const error = failure as GiftCardError
    expect(error.message).toBe(
      'the database was too busy to complete the write (deadlock, 4 attempts); try again',
    )
    expect(error.details).toEqual({ transient: true, kind: 'deadlock', attempts: 4 })
    expect((error.cause as Error).message).toBe('deadlock detected')
  })

  it('retries serialisation failures and SQLite busy, and reports each retry', async () => {
    const seen: string[] = []
    const { options } = recorded({ onRetry: ({ kind }) => void seen.push(kind) })
    const errors = [
      driverError('40001', 'could not serialize access due to concurrent update'),
      driverError('SQLITE_BUSY', 'database is locked'),
      driverError('SQLITE_BUSY_SNAPSHOT', 'database is locked'),
    ]
    const result = await withDbRetry(async (attempt) => {
      const err = errors[attempt - 1]
      if (err) throw err
      return attempt
    }, options)
    expect(result).toBe(4)
    expect(seen).toEqual(['serialization', 'busy', 'busy'])
  })

  it('throws any other error at once, untouched', async () => {
    const { waits, options } = recorded()
    const conflict = new GiftCardError('CONFLICT', 'would take the card below zero')
    let calls = 0
    await expect(
      withDbRetry(async () => {
        calls++
        throw conflict
      }, options),
    ).rejects.toBe(conflict)
    expect(calls).toBe(1)
    expect(waits).toEqual([])
  })

  it('retries a unique violation only for a writer that opts in', async () => {
    const unique = () => driverError('23505', 'duplicate key value violates unique constraint')
    const plain = recorded()
    await expect(
      withDbRetry(async () => {
        throw unique()
      }, plain.options),
    ).rejects.toThrow('duplicate key')
    expect(plain.waits).toEqual([])

    const idempotent = recorded({ retryUniqueViolations: true })
    const result = await withDbRetry(async (attempt) => {
      if (attempt === 1) throw unique()
      return 'skipped the row'
    }, idempotent.options)
    expect(result).toBe('skipped the row')
    expect(idempotent.waits).toHaveLength(1)
  })

  it('finds the code of a driver error wrapped as a cause', () => {
    const wrapped = new GiftCardError('DB_ERROR', 'write failed', { cause: deadlock() })
    expect(transientKind(wrapped)).toBe('deadlock')
    expect(isTransientDbError(new Error('deadlock detected'))).toBe(false) // words are not codes
    expect(isUniqueViolation(driverError('SQLITE_CONSTRAINT_PRIMARYKEY', 'x'))).toBe(true)
    expect(isUniqueViolation(driverError('SQLITE_CONSTRAINT_FOREIGNKEY', 'x'))).toBe(false)
  })
})

describe('SQLite write transactions', () => {
  let dir: string
  let database: Database
  let path: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'giftcards-immediate-'))
    path = join(dir, 'ledger.db')
    database = await openDatabase({ engine: 'sqlite', path })
  })
  afterAll(async () => {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Whether another connection (another process) can take the write lock right now. */
  const otherCanWrite = () => {
    const other = new SqliteDatabase(path, { timeout: 0 })
    try {
      other.exec('begin immediate')
      other.exec('rollback')
      return true
    } catch (err) {
      expect((err as { code?: string }).code).toBe('SQLITE_BUSY')
      return false
    } finally {
      other.close()
    }
  }

  it('take the write lock when they begin, before their first read', async () => {
    expect(otherCanWrite()).toBe(true)
    const inside = await database.db.transaction().execute(async (trx) => {
      await trx.selectFrom('gift_cards').select('id').execute()
      return otherCanWrite()
    })
    // Deferred, the read would hold only a snapshot: another process's writer would commit
    // in between and this transaction's first write would fail at once ("database is locked").
    expect(inside).toBe(false)
    expect(otherCanWrite()).toBe(true)
  })

  it('stay deferred when declared read only', async () => {
    const inside = await database.db
      .transaction()
      .setAccessMode('read only')
      .execute(async (trx) => {
        await trx.selectFrom('gift_cards').select('id').execute()
        return otherCanWrite()
      })
    expect(inside).toBe(true)
  })
})
