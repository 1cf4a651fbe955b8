import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Hono } from 'hono'
import { PACKAGE_ROOT } from '../core/index.ts'

/**
 * The browser's files, served from the installed packages (no CDN, no build step): Vega, Vega-Lite
 * and vega-embed as their own UMD bundles, Vega's expression interpreter (an ES module, with
 * vega-util's ES modules it imports) so the charts run under a CSP without `unsafe-eval`
 * (https://vega.github.io/vega/usage/interpreter/), with the three vega-util names it imports
 * taken from the Vega bundle, and the dashboard's own script and styles.
 * Only the names listed here are served; they sit behind sign-in like every dashboard path.
 */
const NODE_MODULES = join(PACKAGE_ROOT, 'node_modules')
const STATIC = join(PACKAGE_ROOT, 'dashboard', 'static')

const FILES: Record<string, string> = {
  'vega.min.js': join(NODE_MODULES, 'vega', 'build', 'vega.min.js'),
  'vega-lite.min.js': join(NODE_MODULES, 'vega-lite', 'build', 'vega-lite.min.js'),
  'vega-embed.min.js': join(NODE_MODULES, 'vega-embed', 'build', 'vega-embed.min.js'),
  'vega-interpreter.js': join(NODE_MODULES, 'vega-interpreter', 'build', 'vega-interpreter.js'),
  'dashboard.js': join(STATIC, 'dashboard.js'),
  'dashboard.css': join(STATIC, 'dashboard.css'),
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

/** Read once, then served from memory (the bundles are ~800 kB together). */
const cache = new Map<string, Promise<Buffer>>()
function load(path: string): Promise<Buffer> {
  let file = cache.get(path)
  if (!file) {
    file = readFile(path)
    file.catch(() => cache.delete(path))
    cache.set(path, file)
  }
  return file
}

const VEGA_UTIL_SHIM =
  'const v = globalThis.vega\nexport const { ascending, isString, DisallowedObjectProperties } = v\n'

export function assetRoutes(): Hono {
  const app = new Hono()
  const send = async (path: string, name: string) => {
    let body: Buffer
    try {
      body = await load(path)
    } catch {
      return new Response('Not found', { status: 404 })
    }
    return new Response(new Uint8Array(body), {
      headers: {
        'Content-Type': TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream',
        'Cache-Control': 'private, max-age=3600',
      },
    })
  }
  // vega-interpreter imports three names from 'vega-util'; Vega's UMD bundle (loaded first)
  // exports them on `vega`, so one line stands in for vega-util's ~80 module files.
  app.get(
    '/vega-util.js',
    () =>
      new Response(VEGA_UTIL_SHIM, {
        headers: { 'Content-Type': TYPES.js as string, 'Cache-Control': 'private, max-age=3600' },
      }),
  )
  app.get('/:name', (c) => {
    const name = c.req.param('name')
    const path = FILES[name]
    if (!path) return c.text('Not found', 404)
    return send(path, name)
  })
  return app
}
