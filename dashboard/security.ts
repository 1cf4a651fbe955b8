import { randomBytes } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'

/**
 * The headers every dashboard response carries (docs/dashboard.md "Embedding and headers").
 *
 * - `Content-Security-Policy`: scripts and styles only from the dashboard itself or with this
 *   response's nonce; no `eval` (the charts use Vega's expression interpreter instead, see
 *   dashboard.js); `frame-ancestors` from DASHBOARD_FRAME_ANCESTORS, else `'none'`.
 *   https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/frame-ancestors
 * - `X-Frame-Options: DENY` too when no ancestor is allowed, for browsers that predate
 *   frame-ancestors (it cannot name origins, so it is left out when some are allowed).
 * - `Cache-Control: no-store`: pages hold figures a shared cache must not keep.
 */
export function securityHeaders(frameAncestors: readonly string[]): MiddlewareHandler<{
  Variables: { nonce: string }
}> {
  const ancestors = frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'"
  return async (c, next) => {
    const nonce = randomBytes(16).toString('base64')
    c.set('nonce', nonce)
    await next()
    c.res.headers.set(
      'Content-Security-Policy',
      [
        "default-src 'none'",
        `script-src 'self' 'nonce-${nonce}'`,
        `style-src 'self' 'nonce-${nonce}'`,
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        `frame-ancestors ${ancestors}`,
      ].join('; '),
    )
    if (frameAncestors.length === 0) c.res.headers.set('X-Frame-Options', 'DENY')
    c.res.headers.set('X-Content-Type-Options', 'nosniff')
    c.res.headers.set('Referrer-Policy', 'same-origin')
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store')
  }
}
