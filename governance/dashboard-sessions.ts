import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { type Actor, resolveActor } from './roles.ts'
import { authenticateToken, tokenIdOf } from './tokens.ts'

/**
 * Dashboard sessions (docs/dashboard.md "Sign-in"). Signing in with a bearer token opens a
 * session: a random id for the cookie (only its SHA-256 is stored, like tokens) and a random
 * form token each post must echo (CSRF). A session ends when it expires, when its person signs
 * out, or when the token it was opened with is revoked; the actor's role is read on every
 * request, so a role revoked since sign-in is revoked in the session too.
 */

export type DashboardSession = {
  actor: Actor
  /** The form token (CSRF) every post of this session must carry. */
  csrfToken: string
  expiresAt: string
}

const hash = (id: string) => createHash('sha256').update(id).digest('hex')

/** Opens a session for a valid bearer token; undefined for an unknown or revoked one. */
export async function openDashboardSession(
  database: Database,
  token: string,
  hours: number,
  now = Date.now(),
): Promise<(DashboardSession & { id: string }) | undefined> {
  const actor = await authenticateToken(database, token)
  const tokenId = actor ? await tokenIdOf(database, token) : undefined
  if (!actor || tokenId === undefined) return undefined
  const id = randomBytes(32).toString('base64url')
  const csrfToken = randomBytes(24).toString('base64url')
  const expiresAt = toIso(now + hours * 3_600_000)
  await database.db
    .insertInto('dashboard_sessions')
    .values({
      id_hash: hash(id),
      token_id: tokenId,
      csrf_token: csrfToken,
      created_at: toIso(now),
      expires_at: expiresAt,
      ended_at: null,
    })
    .execute()
  return { id, actor, csrfToken, expiresAt }
}

/**
 * The session a cookie names, or why there is none: `unknown` (never issued, or signed out) or
 * `expired`. A session whose token was revoked is `unknown`. Reads only.
 */
export async function findDashboardSession(
  database: Database,
  id: string,
  now = Date.now(),
): Promise<DashboardSession | 'unknown' | 'expired'> {
  const row = await database.db
    .selectFrom('dashboard_sessions as s')
    .innerJoin('api_tokens as t', 't.id', 's.token_id')
    .select(['s.csrf_token', 's.expires_at', 's.ended_at', 't.revoked_at', 't.actor_id'])
    .where('s.id_hash', '=', hash(id))
    .executeTakeFirst()
  if (!row || row.ended_at !== null || row.revoked_at !== null) return 'unknown'
  if (row.expires_at <= toIso(now)) return 'expired'
  return {
    actor: await resolveActor(database, row.actor_id),
    csrfToken: row.csrf_token,
    expiresAt: row.expires_at,
  }
}

/** Ends a session (sign-out); its cookie is refused from then on. */
export async function endDashboardSession(database: Database, id: string): Promise<void> {
  await database.db
    .updateTable('dashboard_sessions')
    .set({ ended_at: toIso(Date.now()) })
    .where('id_hash', '=', hash(id))
    .where('ended_at', 'is', null)
    .execute()
}

/** Deletes sessions that expired or ended more than a day ago (called at each sign-in). */
export async function pruneDashboardSessions(database: Database, now = Date.now()): Promise<void> {
  const before = toIso(now - 86_400_000)
  await database.db
    .deleteFrom('dashboard_sessions')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('ended_at', '<', before)]))
    .execute()
}

/** Constant-time comparison of a posted form token with the session's. */
export function sameCsrfToken(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
