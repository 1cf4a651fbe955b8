import { z } from 'zod'
import {
  appendAudit,
  countActiveTokens,
  grantRole,
  listActors,
  ROLES,
  revokeRole,
} from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { requireAdmin } from '../identity.ts'
import { parseOptions } from '../options.ts'

const grantArgs = z.object({
  actor: z.string().min(1).max(140),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
})
const revokeArgs = z.object({ actor: z.string().min(1).max(140) })

export async function runRolesGrant(
  ctx: () => CliContext,
  actor: string,
  role: string,
): Promise<void> {
  const args = parseOptions(grantArgs, { actor, role })
  const context = ctx()
  await withDatabase(context, async (database) => {
    const by = await requireAdmin(database, context.identity, 'roles grant')
    await grantRole(database, args.actor, args.role)
    await appendAudit(database, {
      actor: by.actor.id,
      role: by.actor.role,
      via: 'cli',
      action: 'role_granted',
      input: { ...args, login: by.login, allowedBy: by.allowedBy },
      resultSummary: `${args.actor} is ${args.role}`,
    })
  })
  console.log(`${args.actor} is now ${args.role}`)
}

export async function runRolesRevoke(ctx: () => CliContext, actor: string): Promise<void> {
  const args = parseOptions(revokeArgs, { actor })
  const context = ctx()
  const { had, tokens } = await withDatabase(context, async (database) => {
    const by = await requireAdmin(database, context.identity, 'roles revoke')
    const removed = await revokeRole(database, args.actor)
    const active = await countActiveTokens(database, args.actor)
    if (removed)
      await appendAudit(database, {
        actor: by.actor.id,
        role: by.actor.role,
        via: 'cli',
        action: 'role_revoked',
        input: { actor: args.actor, login: by.login, allowedBy: by.allowedBy },
        resultSummary: `${args.actor} is an analyst; ${active} active token(s) now act as analyst`,
      })
    return { had: removed, tokens: active }
  })
  console.log(
    had ? `${args.actor} is now an analyst` : `${args.actor} had no role; analysts need none`,
  )
  if (tokens > 0)
    console.log(
      `${tokens} active token${tokens === 1 ? '' : 's'} of ${args.actor} stay${tokens === 1 ? 's' : ''} valid with an analyst's powers only; end ${tokens === 1 ? 'it' : 'them'} with giftcards tokens revoke ID (giftcards tokens list)`,
    )
}

export async function runRolesList(ctx: () => CliContext, raw: { json?: boolean }): Promise<void> {
  const rows = await withDatabase(ctx(), (database) => listActors(database))
  if (raw.json) console.log(JSON.stringify(rows, null, 2))
  else if (rows.length === 0) console.log('No roles granted; everyone is an analyst.')
  else for (const r of rows) console.log(`${r.id.padEnd(28)} ${r.role}`)
}
