import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.ts'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'giftcards.js')
const dir = mkdtempSync(join(tmpdir(), 'giftcards-agent-cli-'))
// GIFTCARDS_ALLOW_AS: the suite acts as cli:tester, cli:lp and cli:boss (docs/identity.md).
const env: Record<string, string> = {
  DATABASE_URL: `sqlite:${join(dir, 'ledger.db')}`,
  GIFTCARDS_ACTOR: 'cli:tester',
  GIFTCARDS_ALLOW_AS: '1',
}
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * Runs the real `giftcards` command in a child process with a piped stdin: `ask --jsonl` and
 * `chat` read their requests from it. The other commands run in this process.
 */
function giftcards(args: string[], input: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env },
    cwd: dir,
    input,
    timeout: 60_000,
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Runs `giftcards ARGS` in this process (runCli), on the suite's ledger and identity. */
const run = (args: string[]) => runCli(args, env)

describe('the agent on the command line', () => {
  beforeAll(async () => {
    expect((await run(['seed', '--cards', '300', '--seed', '5'])).code).toBe(0)
    expect((await run(['roles', 'grant', 'cli:lp', 'loss_prevention'])).stdout).toContain(
      'cli:lp is now loss_prevention',
    )
    expect((await run(['roles', 'grant', 'cli:boss', 'manager'])).code).toBe(0)
  }, 120_000)

  it('lists roles, and refuses a role that does not exist', async () => {
    expect((await run(['roles', 'list'])).stdout).toMatch(
      /cli:boss\s+manager\ncli:lp\s+loss_prevention/,
    )
    const bad = await run(['roles', 'grant', 'cli:x', 'owner'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim()).toBe(
      'giftcards: INVALID_INPUT: --role must be one of analyst, loss_prevention, manager, admin',
    )
  })

  it('answers one request per stdin line with --jsonl, keeping the thread', () => {
    const jsonl = giftcards(
      ['ask', '--jsonl', '--as', 'cli:lp'],
      'liability by state\nand Texas?\nany fraud alerts?\n',
    )
    expect(jsonl.code).toBe(0)
    const lines = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatchObject({
      input: 'liability by state',
      tool_calls: [{ name: 'get_liability', args: { groupBy: 'jurisdiction' } }],
    })
    expect(lines[0].reply).toMatch(/^Outstanding liability now: \$/)
    expect(lines[1]).toMatchObject({
      tool_calls: [{ name: 'get_liability', args: { jurisdiction: 'US-TX' } }],
    })
    expect(lines[2].tool_calls[0].name).toBe('list_fraud_alerts')
  })

  it('files a hold with ask --json, and a manager approves it with approvals approve', async () => {
    const card = JSON.parse(
      (
        await run([
          'tools',
          'call',
          'search_gift_cards',
          '{"status":"active","minBalanceCents":1000,"limit":1}',
          '--as',
          'cli:lp',
        ])
      ).stdout,
    ).data.items[0].cardId as string
    const ask = await run([
      'ask',
      '--json',
      '--as',
      'cli:lp',
      `hold ${card} because of card testing`,
    ])
    const result = JSON.parse(ask.stdout)
    expect(result.tool_calls).toEqual([
      { name: 'place_card_hold', args: { card, reason: 'card testing' } },
    ])
    const [id] = result.pending_approvals as number[]
    expect((await run(['approvals', 'list', '--status', 'pending'])).stdout).toContain(
      `#${id}  pending`,
    )

    const self = await run(['approvals', 'approve', String(id), '--as', 'cli:lp'])
    expect(self.code).toBe(1)
    expect(self.stderr).toContain('only a manager other than the requester can approve this')
    const ok = await run([
      'approvals',
      'approve',
      String(id),
      '--as',
      'cli:boss',
      '--reason',
      'confirmed on camera',
    ])
    const [decided, held] = ok.stdout.trim().split('\n')
    expect(decided).toBe(`approval #${id} approved by cli:boss and executed`)
    expect(held).toMatch(
      new RegExp(
        `^Approval #${id} was approved by cli:boss: card ${card} is on hold .* Ledger only: the card still works at the till; a redemption will raise an alert \\(a demo card has no POS\\)\\.$`,
      ),
    )
    const twice = await run(['approvals', 'approve', String(id), '--as', 'cli:boss'])
    expect(twice.stdout).toContain('was already executed by cli:boss')
    const status = JSON.parse(
      (
        await run([
          'tools',
          'call',
          'get_gift_card',
          JSON.stringify({ card }),
          '--as',
          'cli:tester',
        ])
      ).stdout,
    )
    expect(status.data.status).toBe('held')
  })

  it('chats in the terminal: a request, a pending approval, /as a manager, /approve in the same thread', async () => {
    const card = JSON.parse(
      (
        await run([
          'tools',
          'call',
          'search_gift_cards',
          '{"status":"active","minBalanceCents":1000,"limit":1}',
        ])
      ).stdout,
    ).data.items[0].cardId as string
    const chat = giftcards(
      ['chat', '--as', 'cli:lp'],
      `balance of ${card}\nhold it, reason: drained after activation\n/as cli:boss\n/approve 2\n/quit\n`,
    )
    expect(chat.code).toBe(0)
    expect(chat.stdout).toContain('Signed in as cli:lp (loss_prevention)')
    expect(chat.stdout).toContain(`Card ${card}`)
    expect(chat.stdout).toContain('approval #2 pending')
    expect(chat.stdout).toContain('Now acting as cli:boss (manager).')
    expect(chat.stdout).toContain(`Approval #2 was approved by cli:boss: card ${card} is on hold`)
  })

  it('verifies the audit chain, and fails when a row was edited', async () => {
    const ok = await run(['audit', 'verify'])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/^audit log intact: \d+ rows, chain verified/)
    const { default: Sqlite } = await import('better-sqlite3')
    const db = new Sqlite(join(dir, 'ledger.db'))
    db.prepare("update audit_log set actor = 'cli:intruder' where id = 3").run()
    db.close()
    const broken = await run(['audit', 'verify'])
    expect(broken.code).toBe(1)
    expect(broken.stdout).toContain(
      'row 3: its contents do not match its hash (the row was edited)',
    )
  })
})
