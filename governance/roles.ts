import { z } from 'zod'
import { GiftCardError, toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'

/** Who may do what grows with the role; `admin` also manages roles and tokens. */
export const ROLES = ['analyst', 'loss_prevention', 'manager', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** Where a request came from: the face that carried it. */
export const VIAS = ['cli', 'slack', 'mcp', 'agent', 'http'] as const
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

/** Takes `id`'s role away: it is an analyst again. True when it had one. */
export async function revokeRole(database: Database, id: string): Promise<boolean> {
  const result = await database.db.deleteFrom('actors').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

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
