import { describe, expect, it } from 'vitest'
import {
  CHART_NAMES,
  CHART_SOURCES,
  type Chart,
  type ChartName,
  chartFonts,
  chartForToolResult,
  chartFromResult,
  renderChartPng,
  renderChartSvg,
} from '../../charts/index.ts'
import { isGiftCardError, loadConfig } from '../../core/index.ts'
import { createToolkit, type Toolkit } from '../../tools/index.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { CHAIN, writeChartChain } from './chain.ts'
import { decodePng, inkOf } from './png.ts'

/** Every chart from its source tool, through the executor, on the charts' tiny chain. */
for (const dialect of DIALECTS) {
  describe(`the charts from real tool results on ${dialect.name}`, () => {
    let kit: Toolkit
    const charts = new Map<ChartName, Chart>()
    const results = new Map<ChartName, unknown>()
    useDatabase(dialect, async (database) => {
      await writeChartChain(database)
      kit = createToolkit(database, loadConfig({ PII_TOKEN_KEY: 'test-pii-key' }))
      for (const name of CHART_NAMES) {
        const { tool, args } = CHART_SOURCES[name]
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
      expect(bars.map((b) => b.period)).toEqual(['2025-07', '2026-01', '2026-03'])
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
      for (const m of months) {
        expect(Number(m.low)).toBeLessThanOrEqual(Number(m.expected))
        expect(Number(m.high)).toBeGreaterThanOrEqual(Number(m.expected))
      }
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

  it('bounds the PNG width', async () => {
    const chart = chartFromResult('redemptions-by-month', emptyMetrics)
    await expect(renderChartPng(chart, { width: 10 })).rejects.toThrow(/200 to 4000/)
    await expect(renderChartPng(chart, { width: 1e6 })).rejects.toThrow(/200 to 4000/)
  })
})
