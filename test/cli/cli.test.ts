import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.ts'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'giftcards.js')
const dir = mkdtempSync(join(tmpdir(), 'giftcards-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * Runs the real `giftcards` command in a child process (in `dir`, unless told another): for what
 * only a process shows (its exit status and stderr, its working directory, a closed stdin). The
 * rest runs in this process through runCli (docs/architecture.md §1.13): no start-up to pay.
 */
function giftcards(args: string[], env: Record<string, string> = {}, cwd = dir) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env },
    cwd,
    timeout: 60_000,
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('the giftcards command', () => {
  it('fails on a bad DATABASE_URL with one clear line and no stack trace', () => {
    const run = giftcards(['migrate'], { DATABASE_URL: 'mysql://x' })
    expect(run.code).toBe(2)
    expect(run.stderr.trim().split('\n')).toEqual([
      'giftcards: CONFIG_INVALID: DATABASE_URL must be sqlite:PATH or postgres://… (unset means data/giftcards.db in the project or GIFTCARDS_HOME) (got "mysql://x")',
    ])
    expect(run.stdout).toBe('')
  })

  it('rejects a bad flag the same way', async () => {
    const run = await runCli(['seed', '--cards', 'many'], {
      DATABASE_URL: `sqlite:${join(dir, 'flags.db')}`,
    })
    expect(run.code).toBe(2)
    expect(run.stderr.trim()).toBe('giftcards: INVALID_INPUT: --cards must be a number')
  })

  it('migrates once, then reports the schema up to date', async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'migrate.db')}` }
    const first = await runCli(['migrate'], env)
    expect(first.stdout.trim()).toBe(
      'applied 0001-initial, 0002-ingest, 0003-faces, 0004-slack-sync, 0005-ledger-cover, 0006-daily-rollup, 0007-hold-releases, 0009-checkout-prompts, 0010-ledger-voids, 0011-master-data, 0012-source-freshness, 0013-pos-holds, 0015-case-deliveries, 0016-dashboard-sessions, 0017-journal-postings, 0018-job-runs, 0019-slack-messages, 0020-instances, 0021-campaign-handoff; schema is at 0021-campaign-handoff',
    )
    const second = await runCli(['migrate'], env)
    expect(second.stdout.trim()).toBe('schema is up to date (0021-campaign-handoff)')
  })

  it('seeds a chain with labels and reports it as JSON', async () => {
    const labels = join(dir, 'labels.jsonl')
    const run = await runCli(
      [
        'seed',
        '--cards',
        '600',
        '--seed',
        '3',
        '--start',
        '2024-01-01',
        '--months',
        '12',
        '--labels',
        labels,
        '--json',
      ],
      {
        DATABASE_URL: `sqlite:${join(dir, 'seed.db')}`,
      },
    )
    expect(run.code, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout)
    expect(report.cards).toBe(600)
    expect(report.dataStart).toBe('2024-01-01T00:00:00.000Z')
    expect(report.dataEnd).toBe('2025-01-01T00:00:00.000Z')
    expect(report.transactions).toBeGreaterThan(3000)
    expect(existsSync(labels)).toBe(true)
  })

  it('`start` makes a demo chain on first run, then only summarises', () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'start.db')}`, DEMO_CARDS: '500' }
    const first = giftcards(['start'], env)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('making a demo chain of 500 cards')
    expect(first.stdout).toMatch(/Outstanding liability: \$[\d,]+\.\d\d on [\d,]+ cards/)
    for (const state of ['US-CA', 'US-NY', 'US-TX']) expect(first.stdout).toContain(state)
    expect(first.stdout).toMatch(/redeem\s+[\d,]+\s+-\$/)
    const second = giftcards(['start'], env)
    expect(second.stdout).not.toContain('making a demo chain')
    expect(second.stdout).toContain('500 cards')
  })

  it('uses data/giftcards.db under GIFTCARDS_HOME when DATABASE_URL is unset, from any working directory', () => {
    const home = join(dir, 'home')
    const elsewhere = join(dir, 'elsewhere')
    mkdirSync(elsewhere)
    const env = { GIFTCARDS_HOME: home, DEMO_CARDS: '200' }
    expect(giftcards(['start', '--no-chat'], env).code).toBe(0)
    expect(existsSync(join(home, 'data', 'giftcards.db'))).toBe(true)
    // Started from another directory (as Claude Desktop starts `giftcards mcp`): the same ledger.
    const again = giftcards(['liability', '--json'], env, elsewhere)
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout).rows.length).toBeGreaterThan(0)
    expect(again.stderr).toBe('')
    expect(existsSync(join(elsewhere, 'data'))).toBe(false)
  }, 60_000)

  it('warns on stderr, never stdout, when the ledger is empty: liability and the MCP server', async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'empty.db')}` }
    const liability = await runCli(['liability'], env)
    expect(liability.code).toBe(0)
    expect(liability.stdout).toContain('Outstanding liability now: $0.00')
    expect(liability.stderr).toContain(
      `giftcards: warning: the ledger sqlite:${join(dir, 'empty.db')} has no gift cards`,
    )
    // stdin closed at once: the server starts, warns, and ends with nothing on stdout.
    const mcp = giftcards(['mcp'], env)
    expect(mcp.code, mcp.stderr).toBe(0)
    expect(mcp.stdout).toBe('')
    expect(mcp.stderr).toContain('has no gift cards')
  })

  it('scores the fraud detectors on generated variants, no ledger needed', async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'variants.db')}` }
    // On the variant generator's worlds instead of the ledger: held-out seeds by default.
    const variants = await runCli(['fraud', 'eval', '--variants', '3', '--json'], env)
    expect(variants.code, variants.stderr).toBe(0)
    expect(JSON.parse(variants.stdout)).toMatchObject({
      worlds: 3,
      seeds: { first: 1001, last: 1003 },
    })
    expect((await runCli(['fraud', 'eval', '--variants', '2', '--seed', '5'], env)).stdout).toMatch(
      /^Fraud detection on 2 generated worlds, seeds 5–6 [\s\S]*benign look-alikes flagged/,
    )
    // (The ledger is empty, so stderr also carries the warning that says so.)
    expect((await runCli(['fraud', 'eval'], env)).stderr).toContain(
      'giftcards: INVALID_INPUT: give either --labels FILE or --variants N\n',
    )
    expect((await runCli(['fraud', 'eval', '--variants', '0'], env)).stderr).toContain(
      'giftcards: INVALID_INPUT: --variants must be at least 1\n',
    )
  }, 60_000)

  it('runs the analytics commands on a seeded chain: liability, forecast, backtest, fraud, escheatment', async () => {
    // The forecasts here are checked for their wiring, not their accuracy
    // (test/analytics/breakage.test.ts): 20 bootstrap refits, not 200.
    const env = { DATABASE_URL: `sqlite:${join(dir, 'analytics.db')}`, FORECAST_BOOTSTRAP: '20' }
    const labels = join(dir, 'analytics-labels.jsonl')
    expect(
      (
        await runCli(
          [
            'seed',
            '--cards',
            '2000',
            '--start',
            '2023-01-01',
            '--months',
            '30',
            '--labels',
            labels,
          ],
          env,
        )
      ).code,
    ).toBe(0)
    // A fraud scan stores alerts: loss prevention's (the login is an analyst until granted).
    expect((await runCli(['fraud', 'scan'], env)).stderr).toMatch(
      /^giftcards: FORBIDDEN: giftcards fraud scan needs the role loss_prevention or manager \(or admin\), and cli:\S+ is analyst\./,
    )
    const login = `cli:${userInfo().username}`
    expect(
      (
        await runCli(['roles', 'grant', login, 'loss_prevention'], {
          ...env,
          GIFTCARDS_ADMIN: login,
        })
      ).code,
    ).toBe(0)
    const liability = await runCli(['liability', '--by', 'occasion', '--as-of', '2024-12-31'], env)
    expect(liability.stdout).toMatch(
      /Outstanding liability at the end of 2024-12-31: \$[\d,]+\.\d\d/,
    )
    expect(liability.stdout).toContain('holiday')
    const forecast = await runCli(
      ['forecast', '--as-of', '2025-01-10', '--horizon', '3', '--json'],
      env,
    )
    expect(forecast.code, forecast.stderr).toBe(0)
    expect(JSON.parse(forecast.stdout)).toMatchObject({
      asOf: '2025-01-01T00:00:00.000Z',
      horizonMonths: 3,
    })
    // A read stores nothing; --save keeps it.
    expect(JSON.parse(forecast.stdout).id).toBeUndefined()
    const saved = await runCli(['forecast', '--horizon', '2', '--save'], env)
    expect(saved.stdout).toMatch(/^Breakage forecast #1, stored,/)
    expect((await runCli(['forecast', '--horizon', '2'], env)).stdout).toMatch(
      /^Breakage forecast \(not stored; --save keeps it\)/,
    )
    const backtest = await runCli(['forecast', 'backtest', '--as-of', '2024-07-01'], env)
    expect(backtest.code, backtest.stderr).toBe(0)
    expect(backtest.stdout).toMatch(/model: +WAPE [\d.]+%/)
    const evaluation = await runCli(['fraud', 'eval', '--labels', labels, '--json'], env)
    expect(JSON.parse(evaluation.stdout).overall.recall).toBeGreaterThan(0.8)
    expect((await runCli(['fraud', 'scan'], env)).stdout).toMatch(
      /Scanned the ledger in [\d.]+ s: \d+ alerts/,
    )
    expect((await runCli(['fraud', 'alerts', '--limit', '3'], env)).stdout).toMatch(
      /^\d+ open alerts/,
    )
    const csv = join(dir, 'escheat.csv')
    const escheat = await runCli(['escheatment', '--as-of', '2030-01-01', '--csv', csv], env)
    expect(escheat.stdout).toMatch(/US-FL +exempt/)
    expect(escheat.stdout).toMatch(/cards written to /)
  }, 120_000)
})
