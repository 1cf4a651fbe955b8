import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/** governance's ROLES, named here so `--help` need not load governance/. */
const ROLES = ['analyst', 'loss_prevention', 'manager', 'admin']

/**
 * `giftcards tokens create|list|revoke`: bearer tokens for /mcp, stored hashed. A token is its
 * actor, so making or revoking one needs an admin, like a role (docs/identity.md).
 */
export function registerTokens(program: Command, ctx: () => CliContext): void {
  const tokens = program.command('tokens').description('bearer tokens for the MCP endpoint /mcp')
  tokens
    .command('create')
    .description('make a token for an actor (shown once; only its hash is kept; admins only)')
    .requiredOption('--actor <actor>', 'who the token stands for, e.g. mcp:alice')
    .option('--role <role>', `also give the actor a role: ${ROLES.join(' | ')}`)
    .option('--label <text>', 'a note, e.g. "alice laptop"')
    .action(async (raw) => (await import('../actions/tokens.ts')).runTokensCreate(ctx, raw))
  tokens
    .command('list')
    .description('tokens, with their actors and when they were last used')
    .option('--json', 'print as JSON')
    .action(async (raw: { json?: boolean }) =>
      (await import('../actions/tokens.ts')).runTokensList(ctx, raw),
    )
  tokens
    .command('revoke <id>')
    .description('revoke a token at once (admins only)')
    .action(async (id: string) => (await import('../actions/tokens.ts')).runTokensRevoke(ctx, id))
}
