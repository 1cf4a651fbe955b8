import { describe, expect, it } from 'vitest'
import { GiftCardError, loadConfig, parseDatabaseUrl } from '../../core/index.ts'

describe('configuration', () => {
  it('defaults to the SQLite file ./data/giftcards.db', () => {
    expect(parseDatabaseUrl(undefined)).toEqual({ engine: 'sqlite', path: './data/giftcards.db' })
    expect(parseDatabaseUrl('  ')).toEqual({ engine: 'sqlite', path: './data/giftcards.db' })
  })

  it('takes sqlite:PATH and postgres:// URLs', () => {
    expect(parseDatabaseUrl('sqlite:/tmp/ledger.db')).toEqual({
      engine: 'sqlite',
      path: '/tmp/ledger.db',
    })
    expect(parseDatabaseUrl('sqlite://data/x.db')).toEqual({ engine: 'sqlite', path: 'data/x.db' })
    expect(parseDatabaseUrl('postgres://u:p@127.0.0.1:5432/test')).toEqual({
      engine: 'postgres',
      url: 'postgres://u:p@127.0.0.1:5432/test',
    })
    expect(parseDatabaseUrl('postgresql://127.0.0.1/db').engine).toBe('postgres')
  })

  it('rejects another engine with one clear line naming the variable', () => {
    let err: unknown
    try {
      parseDatabaseUrl('mysql://x')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(GiftCardError)
    expect((err as GiftCardError).code).toBe('CONFIG_INVALID')
    expect((err as GiftCardError).message).toBe(
      'DATABASE_URL must be sqlite:PATH or postgres://… (unset means ./data/giftcards.db) (got "mysql://x")',
    )
  })

  it('never prints a password', () => {
    expect(() => parseDatabaseUrl('postgres://u:secret@[bad')).toThrow(/postgres:\/\/u:\*\*\*@/)
  })

  it('validates the other variables with zod', () => {
    expect(loadConfig({}).logLevel).toBe('info')
    expect(loadConfig({ DEMO_CARDS: '1200' }).demoCards).toBe(1200)
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/^LOG_LEVEL .*\(got "loud"\)$/)
    expect(() => loadConfig({ DEMO_CARDS: 'lots' })).toThrow(/^DEMO_CARDS /)
  })
})
