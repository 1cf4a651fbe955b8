import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loginActorId } from '../../cli/identity.ts'
import { chainDayStart, DAY_MS, toIso } from '../../core/index.ts'
import { type Database, liabilityAsOf } from '../../db/index.ts'
import { grantRole, revokeRole } from '../../governance/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { databaseUrl, runCli } from './run-cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-reports-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The audit rows written after `afterId`, oldest first. */
async function auditAfter(database: Database, afterId: number) {
  return database.db
    .selectFrom('audit_log')
    .select(['actor', 'role', 'via', 'action', 'tool', 'input', 'result_summary'])
    .where('id', '>', afterId)
    .orderBy('id')
    .execute()
}

async function lastAuditId(database: Database): Promise<number> {
  const row = await database.db
    .selectFrom('audit_log')
    .select('id')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? Number(row.id) : 0
}

const aYearAgo = toIso(Date.now() - 365 * DAY_MS).slice(0, 10)

for (const dialect of DIALECTS) {
  describe(`the analytics commands through the executor on ${dialect.name}`, () => {
    const login = loginActorId()
    const labels = join(dir, `${dialect.name}-labels.jsonl`)
    let database: Database
    let env: Record<string, string>
    useDatabase(dialect, async (d) => {
      database = d
      env = { DATABASE_URL: databaseUrl(d), PII_TOKEN_KEY: 'test-pii-key' }
      await seedChain(d, {
        cards: 400,
        seed: 9,
        startMs: Date.now() - 730 * DAY_MS,
        months: 24,
        labelsPath: labels,
      })
    })

    it('writes one audit row per command: the CLI report, via cli, as the login, with its flags', async () => {
      const csv = join(dir, `${dialect.name}-escheat.csv`)
      const commands: [string[], string][] = [
        [['liability', '--by', 'occasion'], 'cli_liability'],
        [['forecast', '--horizon', '2', '--json'], 'cli_forecast'],
        [['forecast', 'backtest', '--as-of', aYearAgo, '--horizon', '3'], 'cli_forecast_backtest'],
        [['fraud', 'alerts', '--status', 'all', '--limit', '3'], 'cli_fraud_alerts'],
        [['fraud', 'eval', '--labels', labels, '--json'], 'cli_fraud_eval'],
        [['segments', '--json'], 'cli_segments'],
        [['dormant', '--limit', '3'], 'cli_dormant'],
        [['dormant', '--backtest', aYearAgo], 'cli_dormant_backtest'],
        [['escheatment', '--as-of', '2035-01-01', '--csv', csv], 'cli_escheatment'],
        [['affinity', '--limit', '3', '--json'], 'cli_affinity'],
        [['upsell', 'outcomes'], 'cli_upsell_outcomes'],
      ]
      for (const [args, tool] of commands) {
        const before = await lastAuditId(database)
        const run = await runCli(args, env)
        expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0)
        expect(run.stdout.length).toBeGreaterThan(0)
        const rows = await auditAfter(database, before)
        expect(rows, args.join(' ')).toHaveLength(1)
        expect(rows[0]).toMatchObject({
          actor: login,
          role: 'analyst',
          via: 'cli',
          action: 'tool_call',
          tool,
          result_summary: expect.stringMatching(/^ok: /),
        })
      }
      const dormant = (await auditAfter(database, 0)).find((r) => r.tool === 'cli_dormant')
      expect(JSON.parse(dormant?.input ?? '{}')).toEqual({ days: 90, limit: 3 })
      expect(readFileSync(csv, 'utf8')).toMatch(/^card_id,jurisdiction,basis,balance/)
    })

    it('reports the checkout prompts’ acceptance: overall and per store', async () => {
      const [a, b] = (
        await database.db.selectFrom('locations').select('id').orderBy('id').limit(2).execute()
      ).map((l) => l.id) as [string, string]
      const prompt = (
        order: string,
        location: string,
        recommended: number,
        outcome: string | null,
      ) => ({
        order_id: order,
        recommended,
        amount_cents: 5000,
        message: 'm',
        outcome,
        created_at: toIso(Date.now()),
        source: 'checkout',
        location_id: location,
        score: 0.7,
        checkout_key: order,
      })
      await database.db
        .insertInto('gift_card_prompts')
        .values([
          prompt('u1', a, 1, 'accepted'),
          prompt('u2', a, 1, 'declined'),
          prompt('u3', a, 1, 'accepted'),
          prompt('u4', b, 1, 'not_shown'),
          prompt('u5', b, 1, null),
          prompt('u6', b, 0, null),
        ])
        .execute()
      const run = await runCli(['upsell', 'outcomes'], env)
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toBe(
        [
          'Upsell prompts: 6 prompts, 5 recommended: 2 accepted, 1 declined, 1 not shown, 1 awaiting; 66.7% accepted',
          `  ${a.padEnd(14)} 3 prompts, 3 recommended: 2 accepted, 1 declined, 0 not shown, 0 awaiting; 66.7% accepted`,
          `  ${b.padEnd(14)} 3 prompts, 2 recommended: 0 accepted, 0 declined, 1 not shown, 1 awaiting; no outcome yet`,
          '',
        ].join('\n'),
      )
      const json = JSON.parse(
        (await runCli(['upsell', 'outcomes', '--location', b, '--json'], env)).stdout,
      )
      expect(json).toMatchObject({ prompts: 3, recommended: 2, acceptanceRate: null })
      await database.db.deleteFrom('gift_card_prompts').execute()
    })

    it('keeps the output formats: liability --json is the ledger’s own rows', async () => {
      const run = await runCli(['liability', '--json', '--by', 'channel'], env)
      expect(JSON.parse(run.stdout)).toEqual({
        asOf: 'now',
        by: 'channel',
        rows: await liabilityAsOf(database.db, { groupBy: 'channel' }),
      })
      const table = await runCli(['liability'], env)
      expect(table.stdout).toMatch(/^Outstanding liability now: \$[\d,]+\.\d\d\n {2}US-/)
    })

    it('pseudonymises what it prints: an email or phone in an alert’s reason comes out as a token', async () => {
      const card = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .limit(1)
        .executeTakeFirstOrThrow()
      const now = toIso(Date.now())
      await database.db
        .insertInto('fraud_alerts')
        .values({
          card_id: card.id,
          rule: 'refund_abuse',
          score: 1,
          status: 'open',
          evidence: JSON.stringify({
            reason: 'refunds asked by mateo.chen@example.com, call 716-555-0179',
          }),
          detected_at: now,
          updated_at: now,
          updated_by: null,
          note: null,
        })
        .execute()
      for (const args of [
        ['fraud', 'alerts', '--limit', '1'],
        ['fraud', 'alerts', '--limit', '1', '--json'],
      ]) {
        const run = await runCli(args, env)
        expect(run.code, run.stderr).toBe(0)
        expect(run.stdout).toContain(card.id)
        expect(run.stdout).not.toContain('mateo.chen@example.com')
        expect(run.stdout).not.toContain('555-0179')
        expect(run.stdout).toMatch(/refunds asked by email_[0-9a-f]{10}, call phone_[0-9a-f]{10}/)
      }
    })

    it('refuses giftcards journal to loss prevention in the command’s words, naming who may run it', async () => {
      await grantRole(database, login, 'loss_prevention')
      try {
        const before = await lastAuditId(database)
        const refused = await runCli(['journal', '--month', '2025-01'], env)
        expect(refused.code).toBe(1)
        expect(refused.stderr).toBe(
          `giftcards: FORBIDDEN: giftcards journal needs the role analyst or manager (or admin), and ${login} is loss_prevention. An admin can grant one (giftcards roles grant ${login} analyst), or run it from the login of someone who has one; GIFTCARDS_ACTOR=ACTOR acts as another actor only for an admin's login or with GIFTCARDS_ALLOW_AS=1 (docs/identity.md)\n`,
        )
        expect(refused.stderr).not.toContain('cli_journal')
        // Still refused and audited by the executor, under the tool's name.
        expect(await auditAfter(database, before)).toMatchObject([
          {
            actor: login,
            tool: 'cli_journal',
            result_summary: expect.stringMatching(/^FORBIDDEN/),
          },
        ])
        // Another login that may run it: claimed with GIFTCARDS_ACTOR where claims are allowed.
        await grantRole(database, 'cli:controller', 'manager')
        const claimed = await runCli(['journal', '--month', '2025-01'], {
          ...env,
          GIFTCARDS_ACTOR: 'cli:controller',
          GIFTCARDS_ALLOW_AS: '1',
        })
        expect(claimed.code, claimed.stderr).toBe(0)
      } finally {
        await revokeRole(database, login)
        await revokeRole(database, 'cli:controller')
      }
    })

    it('refuses fraud scan to an analyst, audited; loss prevention scans', async () => {
      const before = await lastAuditId(database)
      const refused = await runCli(['fraud', 'scan'], env)
      expect(refused.code).toBe(1)
      // The refusal names the command typed and who may run it, never the internal tool.
      expect(refused.stderr).toBe(
        `giftcards: FORBIDDEN: giftcards fraud scan needs the role loss_prevention or manager (or admin), and ${login} is analyst. An admin can grant one (giftcards roles grant ${login} loss_prevention), or run it from the login of someone who has one; GIFTCARDS_ACTOR=ACTOR acts as another actor only for an admin's login or with GIFTCARDS_ALLOW_AS=1 (docs/identity.md)\n`,
      )
      expect(await auditAfter(database, before)).toMatchObject([
        {
          actor: login,
          tool: 'cli_fraud_scan',
          result_summary: expect.stringMatching(/^FORBIDDEN/),
        },
      ])
      const caseFile = await runCli(['fraud', 'case', '1'], env)
      expect(caseFile.stderr).toMatch(
        /^giftcards: FORBIDDEN: giftcards fraud case needs the role loss_prevention or manager \(or admin\), and \S+ is analyst\./,
      )
      await grantRole(database, login, 'loss_prevention')
      try {
        const scan = await runCli(['fraud', 'scan', '--since', aYearAgo], env)
        expect(scan.code, scan.stderr).toBe(0)
        expect(scan.stdout).toMatch(/^Scanned the ledger in [\d.]+ s: \d+ alerts \(\d+ new\)/)
        expect((await auditAfter(database, before)).at(-1)).toMatchObject({
          actor: login,
          role: 'loss_prevention',
          tool: 'cli_fraud_scan',
          input: JSON.stringify({ since: aYearAgo }),
        })
        // The day is the chain's calendar day: from midnight in its timezone, not UTC's.
        const json = await runCli(['fraud', 'scan', '--since', aYearAgo, '--json'], {
          ...env,
          CHAIN_TIMEZONE: 'America/Los_Angeles',
        })
        expect(json.code, json.stderr).toBe(0)
        expect(JSON.parse(json.stdout).since).toBe(
          toIso(chainDayStart(aYearAgo, 'America/Los_Angeles')),
        )
      } finally {
        await revokeRole(database, login)
      }
    })
  })
}
