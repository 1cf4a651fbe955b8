import { z } from 'zod'
import { appendAudit, createToken, listTokens, ROLES, revokeToken } from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { Flags } from '../flags.ts'
import { requireAdmin } from '../identity.ts'
import { intOption, parseOptions } from '../options.ts'

const createOptions = z.object({
  actor: z.string().min(1, { error: 'is required, e.g. mcp:alice' }).max(140),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional(),
  label: z.string().max(200).optional(),
})

export async function runTokensCreate(ctx: () => CliContext, raw: Flags): Promise<void> {
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
}

export async function runTokensList(ctx: () => CliContext, raw: { json?: boolean }): Promise<void> {
  const rows = await withDatabase(ctx(), (database) => listTokens(database))
  if (raw.json) console.log(JSON.stringify(rows, null, 2))
  else if (rows.length === 0) console.log('No tokens.')
  else
    for (const t of rows)
      console.log(
        `#${t.id}  ${t.actor} (${t.role})${t.label ? `  "${t.label}"` : ''}  created ${t.createdAt}${t.lastUsedAt ? `, last used ${t.lastUsedAt}` : ''}${t.revokedAt ? `  REVOKED ${t.revokedAt}` : ''}`,
      )
}

export async function runTokensRevoke(ctx: () => CliContext, id: string): Promise<void> {
  const { id: tokenId } = parseOptions(z.object({ id: intOption(1, Number.MAX_SAFE_INTEGER) }), {
    id,
  })
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
}
