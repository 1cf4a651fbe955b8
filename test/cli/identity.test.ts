import { describe, expect, it } from 'vitest'
import { loginActorId } from '../../cli/identity.ts'
import type { Database } from '../../db/index.ts'
import { authenticateToken, listActors, resolveActor } from '../../governance/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { databaseUrl, runCli } from './run-cli.ts'

/** The audit rows after `afterId`, oldest first, with their input parsed. */
async function auditSince(database: Database, afterId: number) {
  const rows = await database.db
    .selectFrom('audit_log')
    .select(['id', 'actor', 'role', 'via', 'action', 'tool', 'input', 'result_summary'])
    .where('id', '>', afterId)
    .orderBy('id')
    .execute()
  return rows.map((r) => ({ ...r, id: Number(r.id), input: JSON.parse(r.input ?? 'null') }))
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

for (const dialect of DIALECTS) {
  describe(`the CLI's identity on ${dialect.name}`, () => {
    const login = loginActorId()
    let database: Database
    let env: Record<string, string>
    useDatabase(dialect, (d) => {
      database = d
      env = { DATABASE_URL: databaseUrl(d) }
    })
    const giftcards = (args: string[], extra: Record<string, string> = {}) =>
      runCli(args, { ...env, ...extra })

    it('refuses --as and GIFTCARDS_ACTOR from a login that is no admin, with one clear line and exit 1', async () => {
      const refused = `the CLI acts as your login, ${login} (analyst). Only an admin may act as another actor; GIFTCARDS_ALLOW_AS=1 allows it for demos and tests (docs/identity.md)`
      const call = await giftcards(['tools', 'call', 'get_liability', '{}', '--as', 'cli:mgr'])
      expect(call).toEqual({
        code: 1,
        stdout: '',
        stderr: expect.stringContaining(`giftcards: FORBIDDEN: --as cli:mgr refused: ${refused}\n`),
      })
      const approve = await giftcards(['approvals', 'approve', '1', '--as', 'cli:mgr'])
      expect(approve.code).toBe(1)
      expect(approve.stderr).toContain(`giftcards: FORBIDDEN: --as cli:mgr refused: ${refused}`)
      const claimed = await giftcards(['liability'], { GIFTCARDS_ACTOR: 'cli:mgr' })
      expect(claimed.code).toBe(1)
      expect(claimed.stderr).toContain(`giftcards: FORBIDDEN: GIFTCARDS_ACTOR cli:mgr refused`)
      expect(claimed.stdout).toBe('')
      // A bad identity variable stops the command like any bad configuration.
      expect(await giftcards(['liability'], { GIFTCARDS_ALLOW_AS: 'yes' })).toMatchObject({
        code: 2,
        stderr:
          'giftcards: CONFIG_INVALID: GIFTCARDS_ALLOW_AS must be 1 (or 0, or unset) (got "yes")\n',
      })
      expect((await giftcards(['liability'], { GIFTCARDS_ACTOR: 'bob' })).stderr).toContain(
        'giftcards: CONFIG_INVALID: GIFTCARDS_ACTOR must look like slack:U123, mcp:alice or cli:ops',
      )
      // The login itself is no claim.
      const self = await giftcards(['tools', 'call', 'get_liability', '{}', '--as', login])
      expect(self.code, self.stderr).toBe(0)
    })

    it('honours --as with GIFTCARDS_ALLOW_AS=1, and audits the login beside the claimed actor', async () => {
      const before = await lastAuditId(database)
      const call = await giftcards(['tools', 'call', 'get_liability', '{}', '--as', 'cli:mgr'], {
        GIFTCARDS_ALLOW_AS: '1',
      })
      expect(call.code, call.stderr).toBe(0)
      expect(JSON.parse(call.stdout)).toMatchObject({ ok: true, tool: 'get_liability' })
      expect(await auditSince(database, before)).toMatchObject([
        {
          actor: 'cli:mgr',
          via: 'cli',
          action: 'actor_claimed',
          input: { login, allowedBy: 'GIFTCARDS_ALLOW_AS' },
          result_summary: `${login} acts as cli:mgr (analyst), allowed by GIFTCARDS_ALLOW_AS`,
        },
        { actor: 'cli:mgr', via: 'cli', action: 'tool_call', tool: 'get_liability' },
      ])
    })

    it('refuses roles grant, roles revoke and tokens create to a login that is no admin', async () => {
      const needs = (what: string) =>
        `giftcards: FORBIDDEN: ${what} needs an admin, and ${login} is analyst. An admin grants roles (giftcards roles grant ACTOR admin); the first is named at set-up with GIFTCARDS_ADMIN=cli:<login> (docs/identity.md)`
      const grant = await giftcards(['roles', 'grant', login, 'manager'])
      expect(grant.code).toBe(1)
      expect(grant.stderr).toContain(needs('roles grant'))
      expect((await giftcards(['roles', 'revoke', 'cli:x'])).stderr).toContain(
        needs('roles revoke'),
      )
      const token = await giftcards([
        'tokens',
        'create',
        '--actor',
        'mcp:boss',
        '--role',
        'manager',
      ])
      expect(token.code).toBe(1)
      expect(token.stderr).toContain(needs('tokens create'))
      expect(await listActors(database)).toEqual([])
    })

    it('names the first admin with GIFTCARDS_ADMIN once; the admin grants roles and may use --as', async () => {
      const first = await giftcards(['migrate'], { GIFTCARDS_ADMIN: login })
      expect(first.code, first.stderr).toBe(0)
      expect(first.stderr).toContain(`giftcards: ${login} is the first admin (GIFTCARDS_ADMIN)`)
      expect((await resolveActor(database, login)).role).toBe('admin')
      // Once there is an admin, the variable names nobody else.
      const later = await giftcards(['migrate'], { GIFTCARDS_ADMIN: 'cli:intruder' })
      expect(later.stderr).not.toContain('first admin')
      expect((await resolveActor(database, 'cli:intruder')).role).toBe('analyst')

      const before = await lastAuditId(database)
      expect((await giftcards(['roles', 'grant', 'cli:mgr', 'manager'])).stdout).toBe(
        'cli:mgr is now manager\n',
      )
      const asManager = await giftcards(['tools', 'call', 'get_liability', '{}', '--as', 'cli:mgr'])
      expect(asManager.code, asManager.stderr).toBe(0)
      expect(await auditSince(database, before)).toMatchObject([
        {
          actor: login,
          role: 'admin',
          action: 'role_granted',
          input: { actor: 'cli:mgr', role: 'manager', login, allowedBy: 'admin' },
        },
        { actor: 'cli:mgr', role: 'manager', action: 'actor_claimed', input: { login } },
        { actor: 'cli:mgr', role: 'manager', action: 'tool_call' },
      ])
    })

    it('revokes the role of an actor with tokens: the tokens stay and act as an analyst', async () => {
      const made = await giftcards([
        'tokens',
        'create',
        '--actor',
        'mcp:alice',
        '--role',
        'manager',
      ])
      expect(made.code, made.stderr).toBe(0)
      const token = made.stdout.trim().split('\n')[1] ?? ''
      expect((await authenticateToken(database, token))?.role).toBe('manager')
      // A second token, revoked: the actor "had" one too.
      const other = await giftcards(['tokens', 'create', '--actor', 'mcp:alice'])
      const otherId = /token #(\d+)/.exec(other.stdout)?.[1] ?? ''
      expect((await giftcards(['tokens', 'revoke', otherId])).code).toBe(0)

      const revoke = await giftcards(['roles', 'revoke', 'mcp:alice'])
      expect(revoke).toEqual({
        code: 0,
        stdout:
          "mcp:alice is now an analyst\n1 active token of mcp:alice stays valid with an analyst's powers only; end it with giftcards tokens revoke ID (giftcards tokens list)\n",
        stderr: '',
      })
      expect(await authenticateToken(database, token)).toEqual({ id: 'mcp:alice', role: 'analyst' })
      expect((await giftcards(['roles', 'revoke', 'mcp:alice'])).stdout).toContain(
        'mcp:alice had no role; analysts need none',
      )

      // Only a revoked token: the role goes, nothing is said of tokens.
      const bob = await giftcards([
        'tokens',
        'create',
        '--actor',
        'mcp:bob',
        '--role',
        'loss_prevention',
      ])
      await giftcards(['tokens', 'revoke', /token #(\d+)/.exec(bob.stdout)?.[1] ?? ''])
      expect(await giftcards(['roles', 'revoke', 'mcp:bob'])).toMatchObject({
        code: 0,
        stdout: 'mcp:bob is now an analyst\n',
      })
      // No token at all: the actor leaves the table.
      expect((await giftcards(['roles', 'revoke', 'cli:mgr'])).code).toBe(0)
      expect((await listActors(database)).map((a) => [a.id, a.role])).toEqual([
        [login, 'admin'],
        ['mcp:alice', 'analyst'],
        ['mcp:bob', 'analyst'],
      ])
    })
  })
}
