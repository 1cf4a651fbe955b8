import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/** governance's ROLES, named here so `--help` need not load governance/. */
const ROLES = ['analyst', 'loss_prevention', 'manager', 'admin']

/**
 * `giftcards roles grant|revoke|list`: who is loss prevention, a manager or an admin. Anyone the
 * table does not name is an analyst. Granting and revoking need an admin (or GIFTCARDS_ALLOW_AS=1
 * in demos and tests); each change is audited with the login that made it (docs/identity.md).
 */
export function registerRoles(program: Command, ctx: () => CliContext): void {
  const roles = program.command('roles').description('grant, revoke and list actor roles')
  roles
    .command('grant <actor> <role>')
    .description(
      `give an actor (slack:U123, mcp:alice, cli:bob) a role: ${ROLES.join(' | ')} (admins only)`,
    )
    .action(async (actor: string, role: string) =>
      (await import('../actions/roles.ts')).runRolesGrant(ctx, actor, role),
    )
  roles
    .command('revoke <actor>')
    .description(
      'take an actor’s role away: they become an analyst, and their tokens act as an analyst (admins only)',
    )
    .action(async (actor: string) =>
      (await import('../actions/roles.ts')).runRolesRevoke(ctx, actor),
    )
  roles
    .command('list')
    .description('actors with a role')
    .option('--json', 'print as JSON')
    .action(async (raw: { json?: boolean }) =>
      (await import('../actions/roles.ts')).runRolesList(ctx, raw),
    )
}
