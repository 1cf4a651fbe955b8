import type { Context, Hono } from 'hono'
import { z } from 'zod'
import {
  CHART_SOURCES,
  chartFromResult,
  isChartName,
  MAX_PNG_WIDTH,
  MIN_PNG_WIDTH,
  renderChartPng,
} from '../charts/index.ts'
import type { DashboardEnv } from './auth.ts'
import type { PageContext } from './page.ts'
import { statusOf } from './page.ts'

const pngQuery = z.object({
  width: z.coerce.number().int().min(MIN_PNG_WIDTH).max(MAX_PNG_WIDTH).optional(),
})

/**
 * `GET /dashboard/charts/NAME.json|png` (docs/dashboard.md "Charts"): the chart's source tool
 * (charts/ CHART_SOURCES) run as the signed-in person through the executor, then the one
 * Vega-Lite spec of charts/: as JSON for vega-embed in the page, or rendered server-side to PNG
 * (`?width=` 200 to 4000 pixels). A chart with no data comes with `empty` saying why (the PNG
 * draws that sentence). A refused tool is its message and status, never a stack trace.
 */
export function chartRoutes(
  app: Hono<DashboardEnv>,
  contextOf: (c: Context<DashboardEnv>) => PageContext,
): void {
  app.get('/dashboard/charts/:file{[a-z-]{1,40}\\.(json|png)}', async (c) => {
    const file = c.req.param('file')
    const [name = '', format] = file.split('.')
    if (!isChartName(name)) return c.json({ error: `there is no chart named ${name}` }, 404)
    const query = pngQuery.safeParse(c.req.query())
    if (!query.success)
      return c.json(
        { error: `width must be a whole number from ${MIN_PNG_WIDTH} to ${MAX_PNG_WIDTH}` },
        400,
      )
    const source = CHART_SOURCES[name]
    const outcome = await contextOf(c).run(source.tool, source.args)
    if (!outcome.ok)
      return c.json(
        { error: `${outcome.error.code}: ${outcome.error.message}` },
        statusOf(outcome.error.code),
      )
    const chart = chartFromResult(name, outcome.data)
    if (format === 'png') {
      const png = await renderChartPng(chart, query.data.width ? { width: query.data.width } : {})
      return c.body(new Uint8Array(png), 200, { 'Content-Type': 'image/png' })
    }
    return c.json({
      name: chart.name,
      title: chart.title,
      points: chart.points,
      ...(chart.empty !== undefined ? { empty: chart.empty } : {}),
      spec: chart.spec,
    })
  })
}
