import { createHash, randomBytes } from 'node:crypto'
import { GiftCardError, toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import {
  type Actor,
  actorIdSchema,
  ensureActor,
  grantRole,
  type Role,
  resolveActor,
} from './roles.ts'

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

/**
 * Creates a bearer token for an actor (and gives the actor `role` when one is named). The token
 * is returned once; only its SHA-256 is stored.
 */
export async function createToken(
  database: Database,
  input: { actorId: string; role?: Role; label?: string },
): Promise<{ id: number; token: string; actor: Actor }> {
  const parsed = actorIdSchema.safeParse(input.actorId)
  if (!parsed.success)
    throw new GiftCardError(
      'INVALID_INPUT',
      `--actor ${JSON.stringify(input.actorId)} ${parsed.error.issues[0]?.message}`,
    )
  // The token's actor must be in the roles table (a foreign key); unnamed means analyst.
  if (input.role) await grantRole(database, input.actorId, input.role)
  else await ensureActor(database, input.actorId)
  const token = `gct_${randomBytes(24).toString('base64url')}`
  const row = await database.db
    .insertInto('api_tokens')
    .values({
      actor_id: input.actorId,
      token_hash: hash(token),
      label: input.label ?? null,
      created_at: toIso(Date.now()),
      last_used_at: null,
      revoked_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { id: Number(row.id), token, actor: await resolveActor(database, input.actorId) }
}

export async function listTokens(database: Database) {
  const rows = await database.db
    .selectFrom('api_tokens as t')
    .leftJoin('actors as a', 'a.id', 't.actor_id')
    .select([
      't.id',
      't.actor_id',
      'a.role',
      't.label',
      't.created_at',
      't.last_used_at',
      't.revoked_at',
    ])
    .orderBy('t.id')
    .execute()
  return rows.map((r) => ({
    id: Number(r.id),
    actor: r.actor_id,
    role: r.role ?? 'analyst',
    label: r.label,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }))
}

/** How many active (unrevoked) tokens stand for `actorId`. */
export async function countActiveTokens(database: Database, actorId: string): Promise<number> {
  const row = await database.db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('actor_id', '=', actorId)
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Revokes a token; true when it was active. */
export async function revokeToken(database: Database, id: number): Promise<boolean> {
  const result = await database.db
    .updateTable('api_tokens')
    .set({ revoked_at: toIso(Date.now()) })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** The id of an active token (a dashboard session records which token opened it). */
export async function tokenIdOf(database: Database, token: string): Promise<number | undefined> {
  const row = await database.db
    .selectFrom('api_tokens')
    .select('id')
    .where('token_hash', '=', hash(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row ? Number(row.id) : undefined
}

/** The actor a bearer token stands for, or undefined for an unknown or revoked token. */
export async function authenticateToken(
  database: Database,
  token: string,
): Promise<Actor | undefined> {
  const row = await database.db
    .selectFrom('api_tokens')
    .select(['id', 'actor_id'])
    .where('token_hash', '=', hash(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row) return undefined
  await database.db
    .updateTable('api_tokens')
    .set({ last_used_at: toIso(Date.now()) })
    .where('id', '=', row.id)
    .execute()
  return resolveActor(database, row.actor_id)
}
