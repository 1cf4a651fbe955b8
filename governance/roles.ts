import { z } from 'zod'
import { GiftCardError, toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'

/** Who may do what grows with the role; `admin` also manages roles and tokens. */
export const ROLES = ['analyst', 'loss_prevention', 'manager', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** Where a request came from: the face that carried it. */
export const VIAS = ['cli', 'slack', 'mcp', 'agent', 'http', 'dashboard'] as const
export type Via = (typeof VIAS)[number]

/** A person or system acting through a face, with the role the ledger gives them. */
export type Actor = { id: string; role: Role }

/** `slack:U123`, `mcp:alice`, `cli:ops`: a face prefix and a name without spaces. */
export const actorIdSchema = z
  .string()
  .regex(/^[a-z]+:[^\s]{1,120}$/, 'must look like slack:U123, mcp:alice or cli:ops')

/** The role of an actor; anyone the table does not know is an analyst (deny by default). */
export async function resolveActor(database: Database, id: string): Promise<Actor> {
  const row = await database.db
    .selectFrom('actors')
    .select('role')
    .where('id', '=', id)
    .executeTakeFirst()
  return { id, role: row?.role ?? 'analyst' }
}

/** Gives `id` a role (replacing the one it had). */
export async function grantRole(database: Database, id: string, role: Role): Promise<Actor> {
  const parsed = actorIdSchema.safeParse(id)
  if (!parsed.success)
    throw new GiftCardError(
      'INVALID_INPUT',
      `actor ${JSON.stringify(id)} ${parsed.error.issues[0]?.message}`,
    )
  const now = toIso(Date.now())
  await database.db
    .insertInto('actors')
    .values({ id, role, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ role, updated_at: now }))
    .execute()
  return { id, role }
}

/** Makes `id` a row of the roles table if it is not one yet (as an analyst); a role it has stays. */
export async function ensureActor(database: Database, id: string): Promise<void> {
  const now = toIso(Date.now())
  await database.db
    .insertInto('actors')
    .values({ id, role: 'analyst', created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
}

/**
 * Takes `id`'s role away: it is an analyst again. True when it had one.
 *
 * An actor with bearer tokens (active or revoked) stays a row of the table, as an analyst: its
 * tokens name it (a foreign key), keep working and now carry an analyst's powers only. Revoke
 * them with revokeToken to end them. An actor no token names is deleted.
 */
export async function revokeRole(database: Database, id: string): Promise<boolean> {
  return database.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('actors')
      .select('role')
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row || row.role === 'analyst') return false
    const deleted = await trx
      .deleteFrom('actors')
      .where('id', '=', id)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('api_tokens').select('id').where('actor_id', '=', id))),
      )
      .executeTakeFirst()
    if (Number(deleted.numDeletedRows) === 0)
      await trx
        .updateTable('actors')
        .set({ role: 'analyst', updated_at: toIso(Date.now()) })
        .where('id', '=', id)
        .execute()
    return true
  })
}

/**
 * Names the first admin at set-up (GIFTCARDS_ADMIN): gives `id` the admin role when no actor
 * has it yet. True when it did; once there is an admin, only an admin grants roles.
 */
export async function nameFirstAdmin(database: Database, id: string): Promise<boolean> {
  const parsed = actorIdSchema.safeParse(id)
  if (!parsed.success)
    throw new GiftCardError(
      'CONFIG_INVALID',
      `GIFTCARDS_ADMIN ${parsed.error.issues[0]?.message} (got ${JSON.stringify(id)})`,
    )
  return database.db.transaction().execute(async (trx) => {
    const admin = await trx
      .selectFrom('actors')
      .select('id')
      .where('role', '=', 'admin')
      .limit(1)
      .executeTakeFirst()
    if (admin) return false
    const now = toIso(Date.now())
    await trx
      .insertInto('actors')
      .values({ id, role: 'admin', created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ role: 'admin', updated_at: now }))
      .execute()
    return true
  })
}

/** Every actor the roles table names, by id. */
export async function listActors(database: Database): Promise<(Actor & { updatedAt: string })[]> {
  const rows = await database.db
    .selectFrom('actors')
    .select(['id', 'role', 'updated_at'])
    .orderBy('id')
    .execute()
  return rows.map((r) => ({ id: r.id, role: r.role, updatedAt: r.updated_at }))
}

/** Managers decide approvals; admins may too. */
export function canDecideApprovals(role: Role): boolean {
  return role === 'manager' || role === 'admin'
}
