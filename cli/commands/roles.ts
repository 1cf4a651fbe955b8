import type { Command } from 'commander'
import { z } from 'zod'
import { appendAudit, grantRole, listActors, ROLES, revokeRole } from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { parseOptions } from '../options.ts'
import { defaultActorId } from '../session.ts'

const grantArgs = z.object({
  actor: z.string().min(1),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
})

/**
 * `giftcards roles grant|revoke|list`: who is loss prevention, a manager or an admin. Anyone the
 * table does not name is an analyst. Run locally by whoever holds the database; each change is
 * audited under the login that made it.
 */
export function registerRoles(program: Command, ctx: () => CliContext): void {
  const roles = program.command('roles').description('grant, revoke and list actor roles')
  roles
    .command('grant <actor> <role>')
    .description(`give an actor (slack:U123, mcp:alice, cli:bob) a role: ${ROLES.join(' | ')}`)
    .action(async (actor: string, role: string) => {
      const args = parseOptions(grantArgs, { actor, role })
      await withDatabase(ctx(), async (database) => {
        await grantRole(database, args.actor, args.role)
        await appendAudit(database, {
          actor: defaultActorId(),
          role: null,
          via: 'cli',
          action: 'role_granted',
          input: args,
          resultSummary: `${args.actor} is ${args.role}`,
        })
      })
      console.log(`${args.actor} is now ${args.role}`)
    })
  roles
    .command('revoke <actor>')
    .description('take an actor’s role away (they become an analyst)')
    .action(async (actor: string) => {
      const had = await withDatabase(ctx(), async (database) => {
        const removed = await revokeRole(database, actor)
        if (removed)
          await appendAudit(database, {
            actor: defaultActorId(),
            role: null,
            via: 'cli',
            action: 'role_revoked',
            input: { actor },
            resultSummary: `${actor} is an analyst`,
          })
        return removed
      })
      console.log(had ? `${actor} is now an analyst` : `${actor} had no role; analysts need none`)
    })
  roles
    .command('list')
    .description('actors with a role')
    .option('--json', 'print as JSON')
    .action(async (raw: { json?: boolean }) => {
      const rows = await withDatabase(ctx(), (database) => listActors(database))
      if (raw.json) console.log(JSON.stringify(rows, null, 2))
      else if (rows.length === 0) console.log('No roles granted; everyone is an analyst.')
      else for (const r of rows) console.log(`${r.id.padEnd(28)} ${r.role}`)
    })
}
