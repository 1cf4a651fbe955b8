import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/index.ts'
import { type FakeClover, startFakeClover } from '../fakes/clover-api.ts'
import { type FakeLightspeed, startFakeLightspeed } from '../fakes/lightspeed-api.ts'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'giftcards.js')
const dir = mkdtempSync(join(tmpdir(), 'giftcards-pos-cli-'))

/** Runs the real `giftcards` command in a child process (async: the fakes live in this one). */
function giftcards(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, LOG_LEVEL: 'silent', ...env },
      cwd: dir,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('POS sync configuration', () => {
  it('derives the Lightspeed URL from the domain prefix, or takes an override', () => {
    expect(loadConfig({ LIGHTSPEED_DOMAIN_PREFIX: 'MyStore' }).lightspeed).toMatchObject({
      baseUrl: 'https://mystore.retail.lightspeed.app',
      currency: 'USD',
    })
    expect(
      loadConfig({ LIGHTSPEED_DOMAIN_PREFIX: 'x', LIGHTSPEED_BASE_URL: 'http://127.0.0.1:9/' })
        .lightspeed.baseUrl,
    ).toBe('http://127.0.0.1:9')
    expect(
      loadConfig({ LIGHTSPEED_R_ACCOUNT_ID: '123456', LIGHTSPEED_R_ACCESS_TOKEN: 't' }).lightspeed
        .rSeries,
    ).toEqual({ baseUrl: 'https://api.lightspeedapp.com', accountId: '123456', accessToken: 't' })
    expect(() => loadConfig({ LIGHTSPEED_R_ACCOUNT_ID: 'acct' })).toThrow(
      /LIGHTSPEED_R_ACCOUNT_ID must be the numeric R-Series account id/,
    )
    expect(() => loadConfig({ LIGHTSPEED_DOMAIN_PREFIX: 'a.b/c' })).toThrow(
      /LIGHTSPEED_DOMAIN_PREFIX must be the store's domain prefix/,
    )
  })

  it('reads Clover merchants and refuses webhooks it could not fetch for', () => {
    expect(loadConfig({ CLOVER_MERCHANTS: 'MID1=tok1,MID2=tok2' }).clover).toMatchObject({
      merchants: { MID1: 'tok1', MID2: 'tok2' },
      baseUrl: 'https://api.clover.com',
      giftCardBaseUrl: 'https://scl.clover.com',
      currency: 'USD',
    })
    expect(() => loadConfig({ CLOVER_WEBHOOK_AUTH_CODE: 'code' })).toThrow(
      /CLOVER_MERCHANTS must be set with CLOVER_WEBHOOK_AUTH_CODE/,
    )
    expect(() => loadConfig({ CLOVER_MERCHANTS: 'MID1:tok1' })).toThrow(
      /CLOVER_MERCHANTS must look like MERCHANTID=ACCESSTOKEN/,
    )
    expect(() => loadConfig({ CLOVER_CURRENCY: 'dollars' })).toThrow(
      /CLOVER_CURRENCY must be an ISO 4217/,
    )
  })
})

describe('giftcards sync lightspeed | clover', () => {
  let lightspeed: FakeLightspeed
  let clover: FakeClover
  beforeAll(async () => {
    lightspeed = await startFakeLightspeed('ls-token')
    lightspeed.giftCards.push(
      JSON.parse(
        readFileSync(join(import.meta.dirname, '../fixtures/lightspeed/gift-card.json'), 'utf8'),
      ).data,
    )
    clover = await startFakeClover({ MID1: 'clover-token' })
    clover.balances.set('clv_one', 1234)
    writeFileSync(join(dir, 'cards.csv'), 'card_id,last4,token\ncl-1,4321,clv_one\n')
  })
  afterAll(async () => {
    await lightspeed.close()
    await clover.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('says which variables are missing, on one line, exit code 2', async () => {
    const ls = await giftcards(['sync', 'lightspeed'], { DATABASE_URL: 'sqlite::memory:' })
    expect(ls.code).toBe(2)
    expect(ls.stderr.trim()).toBe(
      'giftcards: CONFIG_INVALID: LIGHTSPEED_DOMAIN_PREFIX (or LIGHTSPEED_BASE_URL) and LIGHTSPEED_ACCESS_TOKEN must be set to sync with Lightspeed',
    )
  })

  it('syncs Lightspeed into the ledger and reports it as JSON', async () => {
    const run = await giftcards(['sync', 'lightspeed', '--json'], {
      DATABASE_URL: `sqlite:${join(dir, 'ls.db')}`,
      LIGHTSPEED_BASE_URL: lightspeed.url,
      LIGHTSPEED_ACCESS_TOKEN: 'ls-token',
    })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ cards: 1, applied: 2, duplicates: 0 })
  })

  it('reads Clover balances and prints the adjustment it made', async () => {
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'cl.db')}`,
      CLOVER_MERCHANTS: 'MID1=clover-token',
      CLOVER_GIFT_CARD_BASE_URL: clover.url,
      CLOVER_GIFT_CARDS_FILE: join(dir, 'cards.csv'),
    }
    const run = await giftcards(['sync', 'clover'], env)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('1 adjusted')
    expect(run.stdout).toMatch(
      /cl-1: ledger has no such card, Clover 12\.34 → balance-drift:cl-1:0@new->1234/,
    )
  })
})
