import { randomBytes } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { html } from 'hono/html'
import { z } from 'zod'
import { type Actor, sameCsrfToken } from '../governance/index.ts'

/**
 * Who is looking (docs/dashboard.md "Sign-in"). A browser signs in once with a bearer token
 * (`giftcards tokens create`) and then carries an HttpOnly, SameSite=Strict session cookie that
 * expires; every form post carries the session's form token. Automation sends
 * `Authorization: Bearer TOKEN` on each request instead (no cookie, no form token: a browser
 * never adds that header by itself, so a cross-site page cannot forge it). Nothing under
 * /dashboard is served to anyone else.
 */

export const SESSION_COOKIE = 'gc_session'
/** The sign-in form's own token (double-submit), so a cross-site page cannot sign you in. */
export const SIGN_IN_COOKIE = 'gc_signin'
const COOKIE_PATH = '/dashboard'

/** What app/ hands the dashboard for sessions (governance/dashboard-sessions.ts over the ledger). */
export type SessionStore = {
  open(
    token: string,
  ): Promise<{ id: string; actor: Actor; csrfToken: string; expiresAt: string } | undefined>
  find(id: string): Promise<{ actor: Actor; csrfToken: string } | 'unknown' | 'expired'>
  end(id: string): Promise<void>
}

export type AuthOptions = {
  sessions: SessionStore
  /** The actor a bearer token stands for; undefined when unknown or revoked. */
  authenticate(token: string): Promise<Actor | undefined>
  sessionHours: number
  secureCookie: 'auto' | 'always' | 'never'
}

/** The signed-in person: `csrfToken` is null for a Bearer request (it needs none). */
export type Viewer = { actor: Actor; csrfToken: string | null; sessionId: string | null }

export type DashboardEnv = { Variables: { nonce: string; viewer: Viewer } }

/**
 * Where to go after sign-in: a dashboard path only (never another site: `//evil.example` and
 * `/dashboard/../x` are refused), else the overview.
 */
const nextPath = z
  .string()
  .max(300)
  .regex(/^\/dashboard(\/[A-Za-z0-9_-]+)*(\?[A-Za-z0-9_=&%.+-]*)?$/)
  .refine((p) => p !== '/dashboard/sign-in' && !p.startsWith('/dashboard/sign-in?'))

export function safeNext(value: unknown): string {
  const parsed = nextPath.safeParse(value)
  return parsed.success ? parsed.data : '/dashboard'
}

const signInForm = z.object({
  token: z.string().trim().min(1, 'enter your token').max(200, 'is too long'),
  csrf: z.string().max(100).optional(),
  next: z.string().max(300).optional(),
})

/** The form token of a post: the `csrf` field, or the `X-CSRF-Token` header for scripts. */
export const csrfFieldSchema = z.string().max(100).optional()

function secure(c: Context, mode: AuthOptions['secureCookie']): boolean {
  if (mode !== 'auto') return mode === 'always'
  return (
    new URL(c.req.url).protocol === 'https:' ||
    c.req.header('x-forwarded-proto')?.toLowerCase() === 'https'
  )
}

/** The sign-in page, with a fresh form token in its cookie and its field. */
export async function signInPage(
  c: Context<DashboardEnv>,
  options: AuthOptions,
  message: string | null,
  status: 200 | 400 | 401 | 403,
): Promise<Response> {
  const formToken = randomBytes(18).toString('base64url')
  setCookie(c, SIGN_IN_COOKIE, formToken, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'Strict',
    secure: secure(c, options.secureCookie),
    maxAge: 1800,
  })
  const nonce = c.get('nonce')
  return c.html(
    html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · Gift cards</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1d2330}
input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem;font:inherit}
.refused{background:#fdecea;border-left:4px solid #b3261e;padding:.5rem .75rem}</style></head>
<body><h1>Gift card dashboard</h1>
${message ? html`<p class="refused" role="alert">${message}</p>` : ''}
<form method="post" action="/dashboard/sign-in">
<label for="token">Your access token (<code>giftcards tokens create</code>)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required maxlength="200">
<input type="hidden" name="csrf" value="${formToken}">
<input type="hidden" name="next" value="${safeNext(c.req.query('next') ?? new URL(c.req.url).pathname + new URL(c.req.url).search)}">
<button type="submit">Sign in</button>
</form></body></html>`,
    status,
  )
}

/** `POST /dashboard/sign-in`: a valid token opens a session and sets its cookie. */
export async function signIn(c: Context<DashboardEnv>, options: AuthOptions): Promise<Response> {
  const form = signInForm.safeParse(await formOf(c))
  if (!form.success)
    return signInPage(c, options, `Sign-in refused: ${form.error.issues[0]?.message}.`, 400)
  if (!sameCsrfToken(getCookie(c, SIGN_IN_COOKIE) ?? '', form.data.csrf))
    return signInPage(
      c,
      options,
      'Sign-in refused: the form token is missing or stale. Sign in from this page again.',
      403,
    )
  const session = await options.sessions.open(form.data.token)
  if (!session)
    return signInPage(c, options, 'Sign-in refused: that token is unknown or revoked.', 401)
  deleteCookie(c, SIGN_IN_COOKIE, { path: COOKIE_PATH })
  setCookie(c, SESSION_COOKIE, session.id, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'Strict',
    secure: secure(c, options.secureCookie),
    maxAge: Math.round(options.sessionHours * 3600),
    expires: new Date(session.expiresAt),
  })
  return c.redirect(safeNext(form.data.next), 303)
}

/** `POST /dashboard/sign-out` (behind requireViewer, so its form token was checked). */
export async function signOut(c: Context<DashboardEnv>, options: AuthOptions): Promise<Response> {
  const { sessionId } = c.get('viewer')
  if (sessionId) await options.sessions.end(sessionId)
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH })
  return signInPage(c, options, null, 200)
}

/** The posted form as a plain object (an unparsable body is an empty one). */
export async function formOf(c: Context): Promise<Record<string, unknown>> {
  try {
    const body = await c.req.parseBody()
    return Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === 'string'))
  } catch {
    return {}
  }
}

/** A refusal for something that is not a page (a chart, a script, a CSV): text, no markup. */
function refuseAsset(c: Context, message: string): Response {
  c.header('WWW-Authenticate', 'Bearer realm="giftcards-dashboard"')
  return c.json({ error: message }, 401)
}

const isPageRequest = (path: string) => !/\.(json|png|js|css|csv)$/.test(path)

/**
 * Everything after sign-in: a Bearer token or a live session, else a refusal that says why
 * (a bad token, an expired or unknown session) and offers the sign-in form. A post from a
 * session must carry the session's form token (`csrf` field or `X-CSRF-Token` header).
 */
export function requireViewer(options: AuthOptions): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const authorization = c.req.header('authorization')
    if (authorization !== undefined) {
      const bearer = /^Bearer\s+(\S{1,200})$/i.exec(authorization)?.[1]
      const actor = bearer ? await options.authenticate(bearer) : undefined
      if (!actor) {
        c.header('WWW-Authenticate', 'Bearer realm="giftcards-dashboard", error="invalid_token"')
        return c.json({ error: 'the bearer token is unknown or revoked' }, 401)
      }
      c.set('viewer', { actor, csrfToken: null, sessionId: null })
      return next()
    }
    const id = getCookie(c, SESSION_COOKIE)
    const found = id && id.length <= 100 ? await options.sessions.find(id) : 'none'
    if (typeof found === 'string') {
      const message =
        found === 'expired'
          ? 'Your session expired. Sign in again.'
          : found === 'unknown'
            ? 'Your session has ended (signed out, or its token was revoked). Sign in again.'
            : null
      if (found !== 'none') deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH })
      if (!isPageRequest(c.req.path)) return refuseAsset(c, message ?? 'sign in first')
      // Never signed in: to the form. A session that ended: 401 with the form, saying why.
      if (message === null && c.req.method === 'GET') {
        const next = safeNext(c.req.path + new URL(c.req.url).search)
        return c.redirect(
          next === '/dashboard'
            ? '/dashboard/sign-in'
            : `/dashboard/sign-in?next=${encodeURIComponent(next)}`,
          303,
        )
      }
      return signInPage(c, options, message ?? 'Sign in first.', 401)
    }
    if (c.req.method === 'POST') {
      const given = c.req.header('x-csrf-token') ?? (await formOf(c)).csrf
      const parsed = csrfFieldSchema.safeParse(given)
      if (!parsed.success || !sameCsrfToken(found.csrfToken, parsed.data))
        return c.text(
          'Refused: this form was missing its form token (CSRF) or carried a stale one. Reload the page and try again.',
          403,
        )
    }
    c.set('viewer', { actor: found.actor, csrfToken: found.csrfToken, sessionId: id ?? null })
    return next()
  }
}
