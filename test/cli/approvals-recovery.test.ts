import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toIso } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { ApprovalService, ledgerOnlyRouter } from '../../governance/index.ts'
import { createToolkit, type PendingApproval, type Toolkit } from '../../tools/index.ts'
import { startFakeSlack } from '../fakes/slack-api.ts'
import { type FakeSquare, startFakeSquare } from '../fakes/square-api.ts'
import { ACTORS, type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { eventually } from '../helpers/eventually.ts'
import { heldExecutors } from '../helpers/held-executors.ts'
import { runCli } from './run-cli.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'giftcards.js')
const PAUSE = join(import.meta.dirname, 'pause-after-decision.ts')
const SQUARE_TOKEN = 'sq-recovery-token'
const dir = mkdtempSync(join(tmpdir(), 'giftcards-recovery-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The URL a child process needs to reach the same database (and, on PostgreSQL, schema). */
function databaseUrl(database: Database): string {
  if (database.target.engine === 'sqlite') return `sqlite:${database.target.path}`
  const url = new URL(database.target.url)
  url.searchParams.set('options', `-c search_path=${database.searchPath}`)
  return url.toString()
}

/**
 * A loopback proxy in front of the fake Square: while `hang` is set it passes a request on (Square
 * records the activity) and never answers, so the caller is caught after the POS effect and
 * before its transaction commits.
 */
async function startHangingProxy(target: string) {
  const state = { hang: true, passedOn: 0 }
  const server: Server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method ?? 'GET',
      headers: {
        authorization: req.headers.authorization ?? '',
        'content-type': 'application/json',
        'square-version': String(req.headers['square-version'] ?? ''),
      },
      ...(body ? { body } : {}),
    })
    state.passedOn++
    const text = await answer.text()
    // The hold's move (a POST) is passed on and never answered: the caller waits on it until it
    // is killed. The balance read before it is answered.
    if (state.hang && req.method === 'POST') return
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Waits for `check` while the child lives; a child that ends first fails the test. */
async function whileAlive(child: ChildProcess, check: () => Promise<boolean> | boolean) {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the child ended (exit ${child.exitCode}) early`)
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error('the child never reached its window')
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

for (const dialect of DIALECTS) {
  describe(`an approval whose process is killed after the decision, on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let kit: Toolkit
    let square: FakeSquare
    let proxy: Awaited<ReturnType<typeof startHangingProxy>>
    let env: Record<string, string>
    beforeAll(async () => {
      square = await startFakeSquare(SQUARE_TOKEN)
      proxy = await startHangingProxy(square.url)
    })
    afterAll(async () => {
      await proxy?.close()
      await square?.close()
    })
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 150)
      kit = createToolkit(d, fixture.config)
      env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        DATABASE_URL: databaseUrl(d),
        SQUARE_ACCESS_TOKEN: SQUARE_TOKEN,
        SQUARE_BASE_URL: proxy.url,
        GIFTCARDS_ALLOW_AS: '1',
        LOG_LEVEL: 'info',
      }
    })

    /**
     * The real `giftcards` command run to its end in this process (runCli): what follows a crash
     * needs no process of its own. The crashes themselves, and `serve` resuming at its start, are
     * child processes.
     */
    const giftcards = (args: string[]) => runCli(args, { ...env, LOG_LEVEL: 'silent' })
    const requestHold = async (card: string) => {
      const outcome = await kit.executor.call(
        'place_card_hold',
        { card, reason: 'kill -9 test' },
        { actor: ACTORS.lp, via: 'cli' },
      )
      if (!outcome.ok) throw new Error(outcome.error.message)
      return (outcome.data as PendingApproval).approvalId
    }
    const freshCard = async (offset: number) => {
      const row = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('status', '=', 'active')
        .where('balance_cents', '>', 0)
        .where('issuing_location_id', 'is not', null)
        .where('id', '!=', fixture.piiCard)
        .orderBy('id')
        .offset(offset)
        .limit(1)
        .executeTakeFirstOrThrow()
      return row.id
    }
    const statusOf = async (id: number) =>
      (
        await database.db
          .selectFrom('approval_requests')
          .select('status')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).status
    const holdsOf = (card: string) =>
      database.db.selectFrom('card_holds').selectAll().where('card_id', '=', card).execute()
    const auditOf = async (id: number) =>
      (
        await database.db
          .selectFrom('audit_log')
          .select('action')
          .where('approval_id', '=', id)
          .orderBy('id')
          .execute()
      ).map((r) => r.action)

    it('killed in the preparation: stays approved, and `giftcards approvals resume` executes it once', async () => {
      const card = await freshCard(0)
      const approvalId = await requestHold(card)
      const paused = join(dir, `paused-${dialect.name}-${approvalId}`)
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', PAUSE, String(approvalId), ACTORS.manager.id, paused],
        { env, cwd: ROOT, stdio: 'ignore' },
      )
      await whileAlive(child, () => existsSync(paused))
      await killHard(child)

      // What the crash leaves: approved, nothing done; expiry does not move it.
      expect(await statusOf(approvalId)).toBe('approved')
      expect(await holdsOf(card)).toHaveLength(0)
      await kit.approvals.list()
      expect(await statusOf(approvalId)).toBe('approved')

      const resume = await giftcards(['approvals', 'resume'])
      expect(resume.code, resume.stderr).toBe(0)
      expect(resume.stdout).toContain(`#${approvalId}  executed`)
      expect(await statusOf(approvalId)).toBe('executed')
      expect(await holdsOf(card)).toHaveLength(1)
      const audit = await auditOf(approvalId)
      expect(audit.filter((a) => a === 'approval_executed')).toHaveLength(1)
      expect(audit.filter((a) => a === 'approval_resumed')).toHaveLength(1)
      const resumedBy = await database.db
        .selectFrom('audit_log')
        .select(['actor', 'via'])
        .where('approval_id', '=', approvalId)
        .where('action', '=', 'approval_resumed')
        .executeTakeFirstOrThrow()
      expect(resumedBy).toEqual({ actor: expect.stringMatching(/^cli:/), via: 'cli' })
    }, 120_000)

    it('killed after Square placed the hold, before the commit: `giftcards serve` resumes it at start, with one Square activity', async () => {
      const card = await freshCard(1)
      await database.db
        .updateTable('gift_cards')
        .set({ source: 'square' })
        .where('id', '=', card)
        .execute()
      square.balances[card] = Number(
        (
          await database.db
            .selectFrom('gift_cards')
            .select('balance_cents')
            .where('id', '=', card)
            .executeTakeFirstOrThrow()
        ).balance_cents,
      )
      const approvalId = await requestHold(card)
      const key = `hold-approval-${approvalId}`
      proxy.state.hang = true
      const child = spawn(
        process.execPath,
        [BIN, 'approvals', 'approve', String(approvalId), '--as', ACTORS.manager.id],
        { env, cwd: dir, stdio: 'ignore' },
      )
      await whileAlive(child, () => square.created.some((c) => c.idempotencyKey === key))
      await killHard(child)
      // The transaction died with the process: the ledger has no hold, Square has one.
      expect(await statusOf(approvalId)).toBe('approved')
      expect(await holdsOf(card)).toHaveLength(0)

      proxy.state.hang = false
      const server = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
        env,
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      try {
        let stdout = ''
        let stderr = ''
        server.stdout?.on('data', (chunk) => {
          stdout += chunk
        })
        server.stderr?.on('data', (chunk) => {
          stderr += chunk
        })
        await whileAlive(server, () => stdout.includes('listening on'))
        await eventually(() => expect(stderr).toContain('resumed an approved request'), 30_000)
        expect(await statusOf(approvalId)).toBe('executed')
      } finally {
        const exited = new Promise((resolve) => server.once('exit', resolve))
        server.kill('SIGTERM')
        await exited
      }
      const holds = await holdsOf(card)
      expect(holds).toHaveLength(1)
      // Square was asked twice with the same key and made one activity.
      expect(square.created.filter((c) => c.idempotencyKey === key)).toHaveLength(1)
      expect(holds[0]?.pos_reference).toBe(
        square.created.find((c) => c.idempotencyKey === key)?.activity.id,
      )
      const audit = await auditOf(approvalId)
      expect(audit.filter((a) => a === 'approval_executed')).toHaveLength(1)
      const resumedBy = await database.db
        .selectFrom('audit_log')
        .select(['actor', 'via'])
        .where('approval_id', '=', approvalId)
        .where('action', '=', 'approval_resumed')
        .execute()
      expect(resumedBy).toEqual([{ actor: 'system:serve', via: 'http' }])
    }, 120_000)

    it('an expired request: approve and reject exit 1 with the reason, and nothing runs', async () => {
      const card = await freshCard(2)
      const approvalId = await requestHold(card)
      await database.db
        .updateTable('approval_requests')
        .set({ expires_at: toIso(Date.now() - 60_000) })
        .where('id', '=', approvalId)
        .execute()
      const run = await giftcards(['approvals', 'approve', String(approvalId), '--as', 'cli:mgr'])
      expect(run.code).toBe(1)
      expect(run.stdout).toBe('')
      expect(run.stderr.trim()).toMatch(
        new RegExp(`^giftcards: CONFLICT: approval #${approvalId} expired at .+; it will not run$`),
      )
      const json = await giftcards([
        'approvals',
        'reject',
        String(approvalId),
        '--as',
        'cli:mgr',
        '--json',
      ])
      expect(json.code).toBe(1)
      expect(JSON.parse(json.stdout)).toMatchObject({
        changed: false,
        approval: { status: 'expired' },
        message: expect.stringContaining('expired at'),
      })
      expect(await statusOf(approvalId)).toBe('expired')
      expect(await holdsOf(card)).toHaveLength(0)
    }, 120_000)
  })
}

// The faces that run their own process resume at start too. The recovery itself is raced and
// killed on both engines above; these check the hooks of `giftcards mcp` and `giftcards slack`.
const [firstDialect] = DIALECTS
if (!firstDialect) throw new Error('no dialect')

describe('the MCP and Slack processes resume approvals left unexecuted as they start', () => {
  let database: Database
  let fixture: AgentFixture
  let kit: Toolkit
  useDatabase(firstDialect, async (d) => {
    database = d
    fixture = await setUpAgentFixture(d, 150)
    kit = createToolkit(d, fixture.config)
  })

  /** A hold approved in this process, whose execution never gets past its preparation. */
  const leftApproved = async (offset: number) => {
    const card = await database.db
      .selectFrom('gift_cards')
      .select('id')
      .where('status', '=', 'active')
      .where('balance_cents', '>', 0)
      .where('id', '!=', fixture.piiCard)
      .orderBy('id')
      .offset(offset)
      .limit(1)
      .executeTakeFirstOrThrow()
    const filed = await kit.executor.call(
      'place_card_hold',
      { card: card.id, reason: 'left approved' },
      { actor: ACTORS.lp, via: 'cli' },
    )
    if (!filed.ok) throw new Error(filed.error.message)
    const approvalId = (filed.data as PendingApproval).approvalId
    const stalled = new ApprovalService(database, {
      executors: heldExecutors(fixture.config, ledgerOnlyRouter, () => new Promise(() => {})),
      ttlHours: 24,
    })
    void stalled.decide(approvalId, { actor: ACTORS.manager, via: 'cli', decision: 'approve' })
    await eventually(async () =>
      expect((await kit.approvals.get(approvalId)).status).toBe('approved'),
    )
    return approvalId
  }
  const run = async (args: string[], env: Record<string, string>, approvalId: number) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        DATABASE_URL: databaseUrl(database),
        GIFTCARDS_ALLOW_AS: '1',
        ...env,
      },
      cwd: dir,
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    try {
      await whileAlive(
        child,
        async () => (await kit.approvals.get(approvalId)).status === 'executed',
      )
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.stdin?.end()
      child.kill('SIGTERM')
      await exited
    }
    const resumed = await database.db
      .selectFrom('audit_log')
      .select('actor')
      .where('approval_id', '=', approvalId)
      .where('action', '=', 'approval_resumed')
      .execute()
    return resumed.map((r) => r.actor)
  }

  it('`giftcards mcp` on stdio', async () => {
    const approvalId = await leftApproved(0)
    expect(await run(['mcp', '--as', ACTORS.analyst.id], {}, approvalId)).toEqual(['system:mcp'])
  }, 120_000)

  it('`giftcards slack` in Socket Mode', async () => {
    const slack = await startFakeSlack('xoxb-resume', 'xapp-resume')
    try {
      const approvalId = await leftApproved(1)
      const env = {
        SLACK_BOT_TOKEN: 'xoxb-resume',
        SLACK_APP_TOKEN: 'xapp-resume',
        SLACK_API_URL: slack.url,
      }
      expect(await run(['slack'], env, approvalId)).toEqual(['system:slack'])
    } finally {
      await slack.close()
    }
  }, 120_000)
})
