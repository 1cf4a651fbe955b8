import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  CHART_NAMES,
  CHART_SOURCES,
  type Chart,
  type ChartName,
  chartFonts,
  chartForToolResult,
  chartFromResult,
  chartRoutes,
  renderChartPng,
  renderChartSvg,
} from '../../charts/index.ts'
import { readFontMetrics, textWidth } from '../../charts/text-width.ts'
import { isGiftCardError, loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { createToolkit, ToolExecutor, type Toolkit } from '../../tools/index.ts'
import { databaseUrl, runCli } from '../cli/run-cli.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { CHAIN, writeChartChain } from './chain.ts'
import { decodePng, inkOf } from './png.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-charts-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Every chart from its source tool, through the executor, on the charts' tiny chain. */
for (const dialect of DIALECTS) {
  describe(`the charts from real tool results on ${dialect.name}`, () => {
    let kit: Toolkit
    let kitDatabase: Database
    const charts = new Map<ChartName, Chart>()
    const results = new Map<ChartName, unknown>()
    useDatabase(dialect, async (database) => {
      await writeChartChain(database)
      kitDatabase = database
      kit = createToolkit(database, loadConfig({ PII_TOKEN_KEY: 'test-pii-key' }))
      for (const name of CHART_NAMES) {
        const { tool, args: source } = CHART_SOURCES[name]
        // The forecast from the month after the ledger's last day: from now, 20 months after
        // the last use, the model rightly expects nothing (that case: the empty-chart tests).
        const args = name === 'forecast' ? { ...source, asOf: '2026-04' } : source
        const outcome = await kit.executor.call(tool, args, { actor: ACTORS.analyst, via: 'cli' })
        if (!outcome.ok) throw new Error(`${name}: ${outcome.error.message}`)
        results.set(name, outcome.data)
        charts.set(name, chartFromResult(name, outcome.data))
      }
    })

    const chart = (name: ChartName) => {
      const c = charts.get(name)
      if (!c) throw new Error(`no ${name} chart`)
      return c
    }
    /** The inline data of a spec (the top level's, which every chart has). */
    const values = (name: ChartName) =>
      (chart(name).spec as { data: { values: Record<string, unknown>[] } }).data.values

    it('draws the post-holiday spike: January is the tallest, marked bar', () => {
      const bars = values('redemptions-by-month')
      const peak = bars.filter((b) => b.peak)
      expect(peak).toEqual([
        expect.objectContaining({ period: '2026-01', redeemed: CHAIN.januaryRedeemedCents / 100 }),
      ])
      expect(CHAIN.januaryRedeemedCents).toBeGreaterThan(CHAIN.otherMonthsMaxCents)
      expect(Math.max(...bars.filter((b) => !b.peak).map((b) => Number(b.redeemed)))).toBe(
        CHAIN.otherMonthsMaxCents / 100,
      )
      expect(chart('redemptions-by-month').title).toBe('Gift card redemptions by month')
    })

    it('draws the liability trend to the ledger’s last month and by state now', () => {
      const trend = values('liability-trend')
      expect(trend.at(-1)).toEqual(
        expect.objectContaining({ period: '2026-03', liability: CHAIN.liabilityCents / 100 }),
      )
      // Month ends in time order, whatever order the tool returned.
      const periods = trend.map((p) => String(p.period))
      expect(periods).toEqual([...periods].sort())
      const states = values('liability-by-state')
      expect(states.map((s) => s.state).sort()).toEqual(['US-CA', 'US-NY', 'US-TX'])
      expect(states.reduce((s, r) => s + Number(r.liability), 0)).toBeCloseTo(
        CHAIN.liabilityCents / 100,
        2,
      )
    })

    it('stacks the alerts by month and rule, and draws the forecast with its 80% band', () => {
      const alerts = values('alerts-by-rule')
      const perMonth: Record<string, number> = {}
      for (const a of alerts)
        perMonth[String(a.period)] = (perMonth[String(a.period)] ?? 0) + Number(a.alerts)
      expect(perMonth).toEqual(CHAIN.alerts)
      expect(new Set(alerts.map((a) => a.rule))).toEqual(
        new Set(['card_testing', 'refund_abuse', 'impossible_travel']),
      )
      const months = values('forecast')
      expect(months).toHaveLength(12)
      expect(months[0]?.month).toBe('2026-04')
      for (const m of months) {
        expect(Number(m.low)).toBeLessThanOrEqual(Number(m.expected))
        expect(Number(m.high)).toBeGreaterThanOrEqual(Number(m.expected))
      }
      // A band, not a line: the interval is wider than nothing where redemptions are expected.
      expect(months.some((m) => Number(m.high) > Number(m.low) && Number(m.expected) > 0)).toBe(
        true,
      )
      expect(chart('forecast').empty).toBeUndefined()
    })

    it('attaches a chart to a series answer only', () => {
      for (const name of CHART_NAMES) {
        const { tool, args } = CHART_SOURCES[name]
        expect(chartForToolResult(tool, args, results.get(name))?.name).toBe(name)
      }
      // The top rows of a series, a total, a list: no chart.
      const redemptions = results.get('redemptions-by-month')
      expect(chartForToolResult('ledger_metrics', { top: 2 }, redemptions)).toBeUndefined()
      expect(
        chartForToolResult(
          'get_liability',
          {},
          { ...(results.get('liability-by-state') as object), groupBy: 'total' },
        ),
      ).toBeUndefined()
      expect(chartForToolResult('list_fraud_alerts', {}, { items: [] })).toBeUndefined()
    })

    it('serves each chart as PNG and JSON through the executor, and refuses clearly', async () => {
      const calls: string[] = []
      const app = chartRoutes(async (tool, args) => {
        calls.push(tool)
        return kit.executor.call(tool, args, { actor: ACTORS.lp, via: 'cli' })
      })
      const png = await app.request('/charts/alerts-by-rule.png?width=400')
      expect(png.status).toBe(200)
      expect(png.headers.get('content-type')).toBe('image/png')
      expect(png.headers.get('cache-control')).toBe('private, no-store')
      const image = decodePng(Buffer.from(await png.arrayBuffer()))
      expect(image.width).toBe(400)
      expect(inkOf(image).colours).toBeGreaterThan(8)
      const json = await app.request('/charts/liability-trend.json')
      expect(json.status).toBe(200)
      const body = (await json.json()) as Chart
      expect(body).toEqual(
        expect.objectContaining({ name: 'liability-trend', title: expect.any(String) }),
      )
      expect(body.spec).toEqual(
        expect.objectContaining({ $schema: expect.stringContaining('vega-lite') }),
      )
      expect(calls).toEqual(['ledger_metrics', 'ledger_metrics'])

      const unknown = await app.request('/charts/pie.png')
      expect(unknown.status).toBe(404)
      expect(await unknown.json()).toEqual({
        error: { code: 'NOT_FOUND', message: expect.stringContaining('liability-trend.png') },
      })
      expect((await app.request('/charts/forecast.gif')).status).toBe(404)
      const wide = await app.request('/charts/forecast.png?width=99999')
      expect(wide.status).toBe(400)
      expect(await wide.json()).toEqual({
        error: { code: 'INVALID_INPUT', message: 'width must be at most 4000' },
      })
      expect(calls).toHaveLength(2)

      // The executor's refusal (here: a face whose executor does not offer the forecast).
      const narrow = new ToolExecutor({
        database: kitDatabase,
        config: loadConfig({ PII_TOKEN_KEY: 'test-pii-key' }),
        approvals: kit.approvals,
        pii: kit.pii,
        tools: kit.executor.tools.filter((t) => t.name !== 'forecast_breakage'),
      })
      const refused = await chartRoutes((tool, args) =>
        narrow.call(tool, args, { actor: ACTORS.analyst, via: 'cli' }),
      ).request('/charts/forecast.png')
      expect(refused.status).toBe(404)
      expect(await refused.json()).toEqual({
        error: { code: 'NOT_FOUND', message: 'there is no tool named "forecast_breakage"' },
      })
    })

    if (dialect.name === 'sqlite')
      it('writes the chart of liability and fraud alerts with --chart, and checks the file first', async () => {
        const env = { DATABASE_URL: databaseUrl(kitDatabase), PII_TOKEN_KEY: 'test-pii-key' }
        const commands = [
          ['liability', '--as-of', CHAIN.lastDay],
          ['fraud', 'alerts', '--status', 'all', '--json'],
        ]
        for (const args of commands) {
          const file = join(dir, `${args[0]}.png`)
          const run = await runCli([...args, '--chart', file], env)
          expect(run.code, run.stderr).toBe(0)
          // Where it went: on stdout, or on stderr when stdout is the JSON.
          expect(args.includes('--json') ? run.stderr : run.stdout).toContain(`written to ${file}`)
          if (args.includes('--json')) expect(JSON.parse(run.stdout)).toHaveProperty('total', 4)
          const png = decodePng(readFileSync(file))
          expect(png.width).toBe(1200)
          expect(inkOf(png).colours, args.join(' ')).toBeGreaterThan(8)
        }
        // A bad file name is refused before any work (the forecast is not fitted for nothing).
        for (const command of [['liability'], ['forecast'], ['fraud', 'alerts']]) {
          const bad = await runCli([...command, '--chart', join(dir, 'x.jpg')], env)
          expect(bad.code).not.toBe(0)
          expect(bad.stderr).toContain('--chart must name a .png file')
        }
        const nowhere = join(dir, 'missing', 'x.png')
        const lost = await runCli(['liability', '--chart', nowhere], env)
        expect(lost.stderr).toContain(
          `--chart: cannot write ${nowhere}: its directory does not exist`,
        )
        expect(existsSync(nowhere)).toBe(false)
      })

    if (dialect.name === 'sqlite')
      it('renders every chart to a PNG with marks and text (the fonts are loaded)', async () => {
        expect(chartFonts().files.length).toBeGreaterThan(0)
        for (const name of CHART_NAMES) {
          const svg = await renderChartSvg(chart(name))
          expect(svg).toMatch(/^<svg/)
          const png = decodePng(await renderChartPng(chart(name), { width: 600 }))
          expect(png.width).toBe(600)
          expect(png.height).toBeGreaterThan(200)
          const { colours, ink } = inkOf(png)
          expect(colours, name).toBeGreaterThan(8)
          expect(ink, name).toBeGreaterThan(2000)
          // The title's band (top 40 px, left half) holds text: glyphs drawn, not boxes of nothing.
          const title = inkOf(png, { x0: 0, y0: 0, x1: 300, y1: 40 })
          expect(title.ink, `${name} title`).toBeGreaterThan(150)
        }
      })
  })
}

describe('a chart with nothing to draw', () => {
  const emptyMetrics = {
    metric: 'redemptions',
    by: ['month'],
    from: '2025-01-01',
    to: '2025-12-31',
    ledgerUpTo: null,
    rows: [],
  }

  it('says why, in the chart and its PNG, instead of drawing an empty frame', async () => {
    const chart = chartFromResult('redemptions-by-month', emptyMetrics)
    expect(chart.empty).toBe('No redemptions from 2025-01-01 to 2025-12-31 (the ledger is empty).')
    expect(chart.points).toBe(0)
    const svg = await renderChartSvg(chart)
    expect(svg).toContain('Nothing to draw')
    expect(svg).toContain('No redemptions from 2025-01-01')
    const png = decodePng(await renderChartPng(chart, { width: 600 }))
    // Text only: the message in the middle of the frame is drawn (more than one colour there).
    const middle = inkOf(png, { x0: 0, y0: 150, x1: 600, y1: 300 })
    expect(middle.colours).toBeGreaterThan(1)
    expect(middle.ink).toBeGreaterThan(300)
    expect(
      chartForToolResult('ledger_metrics', { metric: 'redemptions' }, emptyMetrics),
    ).toBeUndefined()
  })

  it('draws a spec once per width: the same spec again is the PNG already drawn', async () => {
    const chart = chartFromResult('redemptions-by-month', emptyMetrics)
    const first = await renderChartPng(chart, { width: 640 })
    expect(await renderChartPng(structuredClone(chart), { width: 640 })).toBe(first)
    const wider = await renderChartPng(chart, { width: 700 })
    expect(wider).not.toBe(first)
    expect(decodePng(wider).width).toBe(700)
    const other = chartFromResult('redemptions-by-month', { ...emptyMetrics, to: '2025-11-30' })
    const otherPng = await renderChartPng(other, { width: 640 })
    expect(otherPng).not.toBe(first)
    expect(otherPng.equals(first)).toBe(false)
  })

  it('says so when the forecast expects nothing', () => {
    const zero = { cents: 0, formatted: '$0.00' }
    const chart = chartFromResult('forecast', {
      asOf: '2026-12-01',
      ledgerUpTo: '2026-03-13T12:00:00.000Z',
      horizonMonths: 2,
      outstanding: { cents: 38000, formatted: '$380.00' },
      openCards: 11,
      monthly: ['2026-12', '2027-01'].map((month) => ({
        month,
        expected: zero,
        low: zero,
        high: zero,
        breakageRecognised: zero,
      })),
    })
    expect(chart.empty).toBe(
      'The forecast expects no redemptions in the 2 months from 2026-12-01 (11 open cards, $380.00 outstanding).',
    )
  })

  it('refuses a result of another shape, naming the field', () => {
    const attempt = () =>
      chartFromResult('liability-trend', {
        ...emptyMetrics,
        metric: 'liability',
        rows: [{ month: '2025-01', count: 1, amount: { cents: 'x' } }],
      })
    expect(attempt).toThrow(
      /liability-trend chart draws ledger_metrics of liability.*rows\.0\.amount/,
    )
    try {
      attempt()
    } catch (err) {
      expect(isGiftCardError(err, 'INVALID_INPUT')).toBe(true)
    }
    expect(() => chartFromResult('liability-trend', emptyMetrics)).toThrow(
      /its metric is redemptions/,
    )
    expect(() => chartFromResult('forecast', { monthly: 'soon' })).toThrow(/forecast_breakage/)
  })

  it('measures text with the font it draws with', () => {
    const regular = chartFonts().files.find((f) => !/bold/i.test(f))
    const metrics = regular ? readFontMetrics(regular) : undefined
    if (!metrics) throw new Error('no readable chart font')
    // DejaVu Sans and Liberation Sans: "i" is narrow, "m" wide, digits share one width.
    expect(metrics.advance('i')).toBeLessThan(0.35)
    expect(metrics.advance('m')).toBeGreaterThan(0.8)
    expect(metrics.advance('0')).toBe(metrics.advance('7'))
    const title = textWidth(metrics, 'Gift card redemptions by month', 15)
    // Vega's guess without a canvas would be 0.8 em a character: 360 px.
    expect(title).toBeGreaterThan(180)
    expect(title).toBeLessThan(280)
    expect(readFontMetrics('/nonexistent.ttf')).toBeUndefined()
  })

  it('bounds the PNG width', async () => {
    const chart = chartFromResult('redemptions-by-month', emptyMetrics)
    await expect(renderChartPng(chart, { width: 10 })).rejects.toThrow(/200 to 4000/)
    await expect(renderChartPng(chart, { width: 1e6 })).rejects.toThrow(/200 to 4000/)
  })
})
