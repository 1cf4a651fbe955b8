import { Hono } from 'hono'
import { z } from 'zod'
import type { ErrorCode } from '../core/index.ts'
import { CHART_NAMES, CHART_SOURCES, isChartName } from './chart.ts'
import { chartFromResult } from './from-result.ts'
import { DEFAULT_PNG_WIDTH, MAX_PNG_WIDTH, MIN_PNG_WIDTH, renderChartPng } from './render.ts'

/**
 * What the routes call a tool with: the face's ToolExecutor as the signed-in actor, so roles,
 * the pilot scope, pseudonyms and the audit row apply to every chart drawn (`ToolOutcome` of
 * tools/executor.ts fits it).
 */
export type ChartToolRun = (
  tool: string,
  args: Record<string, unknown>,
) => Promise<
  { ok: true; data: unknown } | { ok: false; error: { code: ErrorCode; message: string } }
>

/** A refusal or failure of the tool, as the HTTP status a browser or script understands. */
const STATUS_OF: Partial<Record<ErrorCode, 400 | 403 | 404 | 409>> = {
  FORBIDDEN: 403,
  OUT_OF_SCOPE: 403,
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  CARD_NOT_FOUND: 404,
  LOCATION_NOT_FOUND: 404,
  CONFLICT: 409,
}

const FILE = /^([a-z][a-z-]{0,39})\.(png|json)$/
const query = z.object({
  width: z
    .string()
    .max(12, { error: 'must be a whole number of pixels' })
    .regex(/^\d+$/, { error: 'must be a whole number of pixels' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(MIN_PNG_WIDTH, { error: `must be at least ${MIN_PNG_WIDTH}` })
        .max(MAX_PNG_WIDTH, { error: `must be at most ${MAX_PNG_WIDTH}` }),
    )
    .optional(),
})

/**
 * `GET /charts/NAME.png` (rendered on the server, `?width=` 200–4000 pixels, default 1200) and
 * `GET /charts/NAME.json` (`{ name, title, points, empty?, spec }`, the Vega-Lite spec for
 * vega-embed in the browser), for the dashboard to mount (docs/charts.md). Each request runs
 * the chart's source tool (CHART_SOURCES) through `run`. An unknown chart → 404, a bad width →
 * 400, the tool's refusal → 403 with its message, its other errors → their status with their
 * message (the executor's, never a stack trace); `{ error: { code, message } }` each time.
 * Nothing is cached: a chart shows what this actor may see, now.
 */
export function chartRoutes(run: ChartToolRun): Hono {
  const app = new Hono()
  app.get('/charts/:file', async (c) => {
    const file = (c.req.param('file') ?? '').slice(0, 60)
    const match = FILE.exec(file)
    const name = match?.[1] ?? ''
    if (!match || !isChartName(name))
      return c.json(
        {
          error: {
            code: 'NOT_FOUND',
            message: `no chart ${JSON.stringify(file)}: the charts are ${CHART_NAMES.map((n) => `${n}.png`).join(', ')} (or .json)`,
          },
        },
        404,
      )
    const parsed = query.safeParse({ width: c.req.query('width') })
    if (!parsed.success)
      return c.json(
        {
          error: {
            code: 'INVALID_INPUT',
            message: `width ${parsed.error.issues[0]?.message ?? 'is invalid'}`,
          },
        },
        400,
      )
    const { tool, args } = CHART_SOURCES[name]
    const outcome = await run(tool, args)
    if (!outcome.ok) return c.json({ error: outcome.error }, STATUS_OF[outcome.error.code] ?? 500)
    const chart = chartFromResult(name, outcome.data)
    c.header('Cache-Control', 'private, no-store')
    if (match[2] === 'json') return c.json(chart)
    const png = await renderChartPng(chart, { width: parsed.data.width ?? DEFAULT_PNG_WIDTH })
    return c.body(new Uint8Array(png), 200, {
      'Content-Type': 'image/png',
      'Content-Disposition': `inline; filename="${name}.png"`,
    })
  })
  return app
}
