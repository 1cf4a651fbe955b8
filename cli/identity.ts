import { userInfo } from 'node:os'
import { z } from 'zod'
import { GiftCardError } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import {
  type Actor,
  actorIdSchema,
  appendAudit,
  nameFirstAdmin,
  resolveActor,
} from '../governance/index.ts'

/**
 * Who runs the CLI, as the environment tells it (docs/identity.md). The CLI's identity is the
 * operating-system login, `cli:<login>`; anything else is a claim, honoured only where allowed.
 */
export type CliIdentity = {
  /** `cli:<login>`: the operating-system account running the command. Never from a variable. */
  login: string
  /** GIFTCARDS_ACTOR: an actor claimed for every command, exactly like `--as`. */
  claimed?: string
  /**
   * GIFTCARDS_ALLOW_AS=1 (demos and tests): any claim is honoured, and role and token changes
   * need no admin. Audited under the login all the same.
   */
  allowAs: boolean
  /** GIFTCARDS_ADMIN: the first admin, named at set-up; ignored once an admin exists. */
  firstAdmin?: string
}

/** Why a claimed actor was honoured, as the audit records it. */
export type ClaimAllowance = 'GIFTCARDS_ALLOW_AS' | 'admin' | 'demo'

const identityEnv = z.object({
  GIFTCARDS_ACTOR: actorIdSchema.optional(),
  GIFTCARDS_ADMIN: actorIdSchema.optional(),
  GIFTCARDS_ALLOW_AS: z.enum(['0', '1'], { error: 'must be 1 (or 0, or unset)' }).optional(),
})

/** `cli:<login>` of the account this process runs as (`cli:local` where the OS names none). */
export function loginActorId(): string {
  let name = 'local'
  try {
    name = userInfo().username || 'local'
  } catch {
    // No user database entry (some containers): stay `cli:local`.
  }
  return `cli:${name.replace(/\s+/g, '_')}`
}

/** Reads the identity variables; a bad one stops the command with one line (CONFIG_INVALID). */
export function readIdentity(env: NodeJS.ProcessEnv): CliIdentity {
  const blankless = Object.fromEntries(
    ['GIFTCARDS_ACTOR', 'GIFTCARDS_ADMIN', 'GIFTCARDS_ALLOW_AS'].map((k) => [
      k,
      env[k]?.trim() ? env[k]?.trim() : undefined,
    ]),
  )
  const parsed = identityEnv.safeParse(blankless)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const name = String(issue?.path[0] ?? 'GIFTCARDS_ACTOR')
    throw new GiftCardError(
      'CONFIG_INVALID',
      `${name} ${issue?.message ?? 'is invalid'} (got ${JSON.stringify(blankless[name])})`,
    )
  }
  const e = parsed.data
  return {
    login: loginActorId(),
    allowAs: e.GIFTCARDS_ALLOW_AS === '1',
    ...(e.GIFTCARDS_ACTOR ? { claimed: e.GIFTCARDS_ACTOR } : {}),
    ...(e.GIFTCARDS_ADMIN ? { firstAdmin: e.GIFTCARDS_ADMIN } : {}),
  }
}

/** Ledgers whose first admin this process has already looked at (one query per ledger). */
const adminChecked = new WeakSet<Database>()

/**
 * Set-up: with GIFTCARDS_ADMIN and no admin in the roles table yet, that actor becomes the first
 * admin (audited under the login, told on stderr). Once an admin exists the variable does nothing.
 */
export async function ensureFirstAdmin(database: Database, identity: CliIdentity): Promise<void> {
  if (!identity.firstAdmin || adminChecked.has(database)) return
  adminChecked.add(database)
  if (!(await nameFirstAdmin(database, identity.firstAdmin))) return
  await appendAudit(database, {
    actor: identity.login,
    role: null,
    via: 'cli',
    action: 'role_granted',
    input: {
      actor: identity.firstAdmin,
      role: 'admin',
      login: identity.login,
      grantedBy: 'GIFTCARDS_ADMIN',
    },
    resultSummary: `${identity.firstAdmin} is the first admin`,
  })
  process.stderr.write(`giftcards: ${identity.firstAdmin} is the first admin (GIFTCARDS_ADMIN)\n`)
}

/**
 * Who the CLI acts as for one command: the login, or the actor claimed with `--as`, chat `/as`
 * or GIFTCARDS_ACTOR. A claim is honoured with GIFTCARDS_ALLOW_AS=1, for a login that is an
 * admin, or (the `npm start` demo) for one of `demoActors`; anything else is refused, naming
 * `flag` (`--as` by default; the chat says `/as`). An honoured claim writes an audit row naming
 * the login beside the claimed actor.
 */
export async function resolveCliActor(
  database: Database,
  identity: CliIdentity,
  claim?: string,
  options: { demoActors?: readonly string[]; flag?: string } = {},
): Promise<Actor> {
  await ensureFirstAdmin(database, identity)
  const wanted = claim ?? identity.claimed
  const flag = claim !== undefined ? (options.flag ?? '--as') : 'GIFTCARDS_ACTOR'
  const me = await resolveActor(database, identity.login)
  if (wanted === undefined || wanted === me.id) return me
  const parsed = actorIdSchema.safeParse(wanted)
  if (!parsed.success)
    throw new GiftCardError(
      'INVALID_INPUT',
      `${flag} ${JSON.stringify(wanted)} ${parsed.error.issues[0]?.message}`,
    )
  const allowedBy: ClaimAllowance | undefined = identity.allowAs
    ? 'GIFTCARDS_ALLOW_AS'
    : me.role === 'admin'
      ? 'admin'
      : options.demoActors?.includes(wanted)
        ? 'demo'
        : undefined
  if (!allowedBy)
    throw new GiftCardError(
      'FORBIDDEN',
      `${flag} ${wanted} refused: the CLI acts as your login, ${me.id} (${me.role}). Only an admin may act as another actor; GIFTCARDS_ALLOW_AS=1 allows it for demos and tests (docs/identity.md)`,
    )
  const actor = await resolveActor(database, wanted)
  await appendAudit(database, {
    actor: actor.id,
    role: actor.role,
    via: 'cli',
    action: 'actor_claimed',
    input: { login: me.id, loginRole: me.role, allowedBy },
    resultSummary: `${me.id} acts as ${actor.id} (${actor.role}), allowed by ${allowedBy}`,
  })
  return actor
}

/** An admin's say-so for a change of roles or tokens, as the audit records it. */
export type AdminAuthority = {
  actor: Actor
  login: string
  allowedBy: 'admin' | 'GIFTCARDS_ALLOW_AS'
}

/**
 * Role and token changes need an admin (the CLI's actor, usually the login, has the admin role)
 * or GIFTCARDS_ALLOW_AS=1; anyone else is refused with how to get there.
 */
export async function requireAdmin(
  database: Database,
  identity: CliIdentity,
  what: string,
): Promise<AdminAuthority> {
  const actor = await resolveCliActor(database, identity)
  if (actor.role === 'admin') return { actor, login: identity.login, allowedBy: 'admin' }
  if (identity.allowAs) return { actor, login: identity.login, allowedBy: 'GIFTCARDS_ALLOW_AS' }
  throw new GiftCardError(
    'FORBIDDEN',
    `${what} needs an admin, and ${actor.id} is ${actor.role}. An admin grants roles (giftcards roles grant ACTOR admin); the first is named at set-up with GIFTCARDS_ADMIN=cli:<login> (docs/identity.md)`,
  )
}
