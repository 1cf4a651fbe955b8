import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SQLITE_PATH,
  GiftCardError,
  loadConfig,
  PACKAGE_ROOT,
  parseDatabaseUrl,
} from '../../core/index.ts'

describe('configuration', () => {
  it('defaults to data/giftcards.db in the package, wherever the command starts', () => {
    // The package root is where bin/giftcards.js is: never the working directory.
    expect(existsSync(join(PACKAGE_ROOT, 'bin', 'giftcards.js'))).toBe(true)
    const path = join(PACKAGE_ROOT, 'data', 'giftcards.db')
    expect(DEFAULT_SQLITE_PATH).toBe(path)
    expect(parseDatabaseUrl(undefined)).toEqual({ engine: 'sqlite', path })
    expect(parseDatabaseUrl('  ')).toEqual({ engine: 'sqlite', path })
    expect(loadConfig({}).database).toEqual({ engine: 'sqlite', path })
  })

  it('takes the default under GIFTCARDS_HOME when it is set', () => {
    expect(loadConfig({ GIFTCARDS_HOME: '/srv/giftcards' }).database).toEqual({
      engine: 'sqlite',
      path: join('/srv/giftcards', 'data', 'giftcards.db'),
    })
    expect(loadConfig({ GIFTCARDS_HOME: 'ledgers' }).database).toEqual({
      engine: 'sqlite',
      path: resolve('ledgers', 'data', 'giftcards.db'),
    })
    // DATABASE_URL, when set, wins.
    expect(
      loadConfig({ GIFTCARDS_HOME: '/srv', DATABASE_URL: 'sqlite:/tmp/x.db' }).database,
    ).toEqual({ engine: 'sqlite', path: '/tmp/x.db' })
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
      'DATABASE_URL must be sqlite:PATH or postgres://… (unset means data/giftcards.db in the project or GIFTCARDS_HOME) (got "mysql://x")',
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

  it('turns the Shopify Admin API (locations, holds) on only with both the shop and the token', () => {
    expect(loadConfig({}).shopify.admin).toBeUndefined()
    expect(
      loadConfig({
        SHOPIFY_SHOP_DOMAIN: 'Acme.myshopify.com',
        SHOPIFY_ADMIN_ACCESS_TOKEN: 'shpat_x',
      }).shopify.admin,
    ).toEqual({
      baseUrl: 'https://acme.myshopify.com',
      accessToken: 'shpat_x',
      apiVersion: '2025-10',
    })
    expect(() => loadConfig({ SHOPIFY_SHOP_DOMAIN: 'acme.myshopify.com' })).toThrow(
      /^SHOPIFY_ADMIN_ACCESS_TOKEN must be set with the other of SHOPIFY_SHOP_DOMAIN/,
    )
    expect(() => loadConfig({ SHOPIFY_ADMIN_ACCESS_TOKEN: 'shpat_x' })).toThrow(
      /^SHOPIFY_SHOP_DOMAIN must be set with the other of/,
    )
    expect(() =>
      loadConfig({
        SHOPIFY_SHOP_DOMAIN: 'acme.myshopify.com',
        SHOPIFY_ADMIN_ACCESS_TOKEN: 'shpat_x',
        SHOPIFY_API_VERSION: '2025',
      }),
    ).toThrow(/^SHOPIFY_API_VERSION /)
  })
})
