import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { loginActorId } from '../../cli/identity.ts'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'giftcards.js')
const dir = mkdtempSync(join(tmpdir(), 'giftcards-demo-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs `giftcards ARGS` as a person would: a child process, stdin typed in, no GIFTCARDS_ALLOW_AS. */
function giftcards(args: string[], input: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env },
    cwd: dir,
    input,
    timeout: 120_000,
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('who is who in the terminal chat', () => {
  const login = loginActorId()
  const env = { GIFTCARDS_HOME: dir, DEMO_CARDS: '300', LOG_LEVEL: 'warn' }

  it('npm start: the README walkthrough works without GIFTCARDS_ALLOW_AS, and only the demo manager is claimable', () => {
    const run = giftcards(
      ['start'],
      [
        'fraud alerts',
        'hold the card from the top alert, card testing on one terminal',
        '/as cli:manager',
        '/approve 1',
        '/as cli:boss',
        '/as',
        '/whoami',
        '/quit',
        '',
      ].join('\n'),
      env,
    )
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(`Demo roles: ${login} is loss_prevention, cli:manager is manager`)
    expect(run.stdout).toContain(`Signed in as ${login} (loss_prevention)`)
    expect(run.stdout).toContain('approval #1 pending')
    expect(run.stdout).toContain('Now acting as cli:manager (manager).')
    expect(run.stdout).toMatch(/Approval #1 was approved by cli:manager: card gc_\w+ is on hold/)
    expect(run.stdout).toContain(
      `! FORBIDDEN: /as cli:boss refused: the CLI acts as your login, ${login} (loss_prevention).`,
    )
    expect(run.stdout).toContain(`Now acting as ${login} (loss_prevention).`)

    const db = new Sqlite(join(dir, 'data', 'giftcards.db'), { readonly: true })
    try {
      const claims = db
        .prepare("select actor, input from audit_log where action = 'actor_claimed'")
        .all() as { actor: string; input: string }[]
      expect(claims.map((c) => [c.actor, JSON.parse(c.input)])).toEqual([
        ['cli:manager', { login, loginRole: 'loss_prevention', allowedBy: 'demo' }],
      ])
      const decided = db
        .prepare("select actor from audit_log where action = 'approval_decided'")
        .all() as { actor: string }[]
      expect(decided.map((d) => d.actor)).toEqual(['cli:manager'])
    } finally {
      db.close()
    }
  }, 180_000)

  it('giftcards chat: /as is refused to a login that is no admin, and the chat goes on as the login', () => {
    const db = new Sqlite(join(dir, 'data', 'giftcards.db'), { readonly: true })
    const card = db
      .prepare("select id from gift_cards where status = 'active' and balance_cents > 1000 limit 1")
      .pluck()
      .get() as string
    db.close()
    const run = giftcards(
      ['chat'],
      `hold ${card} because of card testing\n/as cli:manager\n/whoami\n/quit\n`,
      env,
    )
    expect(run.code, run.stderr).toBe(0)
    // The chat does not suggest an /as it would refuse: the manager decides at their own login.
    expect(run.stdout).toContain(
      "approval #2 pending — a manager other than you decides it: in Slack, or with giftcards approvals approve 2 at a manager's own login (cli:manager)",
    )
    expect(run.stdout).toContain(
      `! FORBIDDEN: /as cli:manager refused: the CLI acts as your login, ${login} (loss_prevention). Only an admin may act as another actor; GIFTCARDS_ALLOW_AS=1 allows it for demos and tests (docs/identity.md)`,
    )
    expect(run.stdout).toContain(`\n${login} (loss_prevention)\n`)
    expect(giftcards(['chat', '--as', 'cli:manager'], '/quit\n', env)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('giftcards: FORBIDDEN: --as cli:manager refused'),
    })
  }, 120_000)
})
