import type { Command } from 'commander'
import { z } from 'zod'
import { appendAudit, createToken, listTokens, ROLES, revokeToken } from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { requireAdmin } from '../identity.ts'
import { intOption, parseOptions } from '../options.ts'

const createOptions = z.object({
  actor: z.string().min(1, { error: 'is required, e.g. mcp:alice' }).max(140),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional(),
  label: z.string().max(200).optional(),
})

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
    .action(async (raw) => {
      const options = parseOptions(createOptions, raw)
      const context = ctx()
      const made = await withDatabase(context, async (database) => {
        const by = await requireAdmin(database, context.identity, 'tokens create')
        const token = await createToken(database, {
          actorId: options.actor,
          ...(options.role ? { role: options.role } : {}),
          ...(options.label ? { label: options.label } : {}),
        })
        await appendAudit(database, {
          actor: by.actor.id,
          role: by.actor.role,
          via: 'cli',
          action: 'token_created',
          input: {
            id: token.id,
            actor: options.actor,
            role: token.actor.role,
            label: options.label ?? null,
            login: by.login,
            allowedBy: by.allowedBy,
          },
          resultSummary: `token #${token.id} for ${options.actor}`,
        })
        return token
      })
      console.log(
        `token #${made.id} for ${made.actor.id} (${made.actor.role}); keep it, it is not shown again:`,
      )
      console.log(made.token)
    })
  tokens
    .command('list')
    .description('tokens, with their actors and when they were last used')
    .option('--json', 'print as JSON')
    .action(async (raw: { json?: boolean }) => {
      const rows = await withDatabase(ctx(), (database) => listTokens(database))
      if (raw.json) console.log(JSON.stringify(rows, null, 2))
      else if (rows.length === 0) console.log('No tokens.')
      else
        for (const t of rows)
          console.log(
            `#${t.id}  ${t.actor} (${t.role})${t.label ? `  "${t.label}"` : ''}  created ${t.createdAt}${t.lastUsedAt ? `, last used ${t.lastUsedAt}` : ''}${t.revokedAt ? `  REVOKED ${t.revokedAt}` : ''}`,
          )
    })
  tokens
    .command('revoke <id>')
    .description('revoke a token at once (admins only)')
    .action(async (id: string) => {
      const { id: tokenId } = parseOptions(
        z.object({ id: intOption(1, Number.MAX_SAFE_INTEGER) }),
        { id },
      )
      const context = ctx()
      const revoked = await withDatabase(context, async (database) => {
        const by = await requireAdmin(database, context.identity, 'tokens revoke')
        const done = await revokeToken(database, tokenId)
        if (done)
          await appendAudit(database, {
            actor: by.actor.id,
            role: by.actor.role,
            via: 'cli',
            action: 'token_revoked',
            input: { id: tokenId, login: by.login, allowedBy: by.allowedBy },
            resultSummary: `token #${tokenId} revoked`,
          })
        return done
      })
      console.log(revoked ? `token #${tokenId} revoked` : `token #${tokenId} was not active`)
      if (!revoked) process.exitCode = 1
    })
}
