import type { TopLevelSpec } from 'vega-lite'
import type { Chart, ChartName } from './chart.ts'

/**
 * The Vega-Lite specs, one builder per chart, from series already checked (charts/from-result.ts).
 * Amounts are drawn in dollars (cents / 100) with the tool's own formatted text as the tooltip.
 * Periods are ordinal labels as the tool gives them (`2026-01`, `2026-W05`, `2026-Q1`), so the
 * browser's time zone cannot shift a month into its neighbour.
 */

/** The drawing area of every chart, in CSS pixels (the PNG scales it: charts/render.ts). */
export const WIDTH = 560
export const HEIGHT = 260

const BLUE = '#2f6db5'
const ORANGE = '#d9822b'
const GREY = '#5f6b7a'

/** The look every chart shares. Fonts: the default `sans-serif`, mapped by the PNG renderer. */
const CONFIG = {
  background: 'white',
  padding: 12,
  view: { stroke: null },
  title: { fontSize: 15, anchor: 'start', subtitleFontSize: 11, subtitleColor: GREY },
  axis: { labelFontSize: 11, titleFontSize: 12, titleColor: GREY, gridColor: '#e6e9ee' },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 260 },
} as const

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json'

/** Cents as dollars for an axis. */
const dollars = (cents: number) => Math.round(cents) / 100

const USD_AXIS = { format: '$,.0f', labelFlush: false } as const

/** A point in time of a series: its period label and one amount. */
export type SeriesPoint = { period: string; cents: number; formatted: string }

function frame(title: string, subtitle: string) {
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
  }
}

/** Words over a line's width, wrapped for the empty chart's message. */
function wrap(text: string, width = 72): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines.slice(0, 6)
}

/**
 * A chart with nothing to draw: its title, and the reason as text in the middle of the frame,
 * so a picture never looks like a chart whose data failed to load.
 */
export function emptyChart(name: ChartName, title: string, reason: string): Chart {
  const why = reason.slice(0, 400)
  return {
    name,
    title,
    points: 0,
    empty: why,
    spec: {
      ...frame(title, 'No data to draw'),
      data: { values: [{ lines: ['Nothing to draw', ...wrap(why)] }] },
      mark: {
        type: 'text',
        align: 'center',
        baseline: 'middle',
        fontSize: 14,
        lineHeight: 22,
        color: GREY,
      },
      encoding: {
        x: { value: WIDTH / 2 },
        y: { value: HEIGHT / 2 },
        text: { field: 'lines' },
      },
    } as TopLevelSpec,
  }
}

/** Outstanding balance at the end of each period: a line with its points. */
export function liabilityTrendSpec(
  points: readonly SeriesPoint[],
  title: string,
  subtitle: string,
): TopLevelSpec {
  return {
    ...frame(title, subtitle),
    data: {
      values: points.map((p) => ({
        period: p.period,
        liability: dollars(p.cents),
        formatted: p.formatted,
      })),
    },
    mark: { type: 'line', point: true, color: BLUE, strokeWidth: 2 },
    encoding: {
      x: { field: 'period', type: 'ordinal', sort: null, title: null, axis: { labelAngle: -40 } },
      y: {
        field: 'liability',
        type: 'quantitative',
        title: 'Outstanding balance (USD)',
        axis: USD_AXIS,
      },
      tooltip: [
        { field: 'period', title: 'period end' },
        { field: 'formatted', title: 'liability' },
      ],
    },
  } as TopLevelSpec
}

/** Balance outstanding by the issuing store's state, largest first: horizontal bars. */
export function liabilityByStateSpec(
  rows: readonly { state: string; cents: number; formatted: string; cards: number }[],
  title: string,
  subtitle: string,
): TopLevelSpec {
  return {
    ...frame(title, subtitle),
    // One band per state: the frame grows with the states instead of squeezing them.
    height: Math.max(HEIGHT, rows.length * 18),
    data: {
      values: rows.map((r) => ({
        state: r.state,
        liability: dollars(r.cents),
        formatted: r.formatted,
        cards: r.cards,
      })),
    },
    mark: { type: 'bar', color: BLUE },
    encoding: {
      y: { field: 'state', type: 'nominal', sort: '-x', title: null },
      x: {
        field: 'liability',
        type: 'quantitative',
        title: 'Outstanding balance (USD)',
        axis: USD_AXIS,
      },
      tooltip: [
        { field: 'state' },
        { field: 'formatted', title: 'liability' },
        { field: 'cards', type: 'quantitative', format: ',' },
      ],
    },
  } as TopLevelSpec
}

export type ForecastPoint = {
  month: string
  expected: number
  low: number
  high: number
  breakage: number
  formatted: { expected: string; low: string; high: string; breakage: string }
}

/**
 * The run-off forecast: the 80% interval as a band, expected redemptions as a line on it, and
 * the ASC 606 breakage recognised each month as a dashed line. One colour legend names all three.
 */
export function forecastSpec(
  points: readonly ForecastPoint[],
  title: string,
  subtitle: string,
): TopLevelSpec {
  const series = {
    band: '80% interval',
    expected: 'Expected redemptions',
    breakage: 'Breakage recognised (ASC 606)',
  }
  const color = (name: string) => ({
    datum: name,
    scale: {
      domain: [series.expected, series.band, series.breakage],
      range: [BLUE, '#9dbbe0', ORANGE],
    },
    legend: { title: null, orient: 'top' },
  })
  const x = {
    field: 'month',
    type: 'ordinal',
    sort: null,
    title: null,
    axis: { labelAngle: -40 },
  }
  const tooltip = [
    { field: 'month' },
    { field: 'fExpected', title: 'expected' },
    { field: 'fLow', title: 'low (10%)' },
    { field: 'fHigh', title: 'high (90%)' },
    { field: 'fBreakage', title: 'breakage recognised' },
  ]
  return {
    ...frame(title, subtitle),
    data: {
      values: points.map((p) => ({
        month: p.month,
        expected: dollars(p.expected),
        low: dollars(p.low),
        high: dollars(p.high),
        breakage: dollars(p.breakage),
        fExpected: p.formatted.expected,
        fLow: p.formatted.low,
        fHigh: p.formatted.high,
        fBreakage: p.formatted.breakage,
      })),
    },
    encoding: { x },
    layer: [
      {
        mark: { type: 'area', opacity: 0.45 },
        encoding: {
          y: { field: 'low', type: 'quantitative', title: 'USD per month', axis: USD_AXIS },
          y2: { field: 'high' },
          color: color(series.band),
          tooltip,
        },
      },
      {
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: { y: { field: 'expected', type: 'quantitative' }, color: color(series.expected) },
      },
      {
        mark: { type: 'line', strokeDash: [5, 3], strokeWidth: 2 },
        encoding: { y: { field: 'breakage', type: 'quantitative' }, color: color(series.breakage) },
      },
    ],
  } as TopLevelSpec
}

/** Alerts raised each period, stacked by rule. */
export function alertsByRuleSpec(
  rows: readonly { period: string; rule: string; alerts: number }[],
  title: string,
  subtitle: string,
): TopLevelSpec {
  return {
    ...frame(title, subtitle),
    data: { values: rows.map((r) => ({ ...r })) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'period', type: 'ordinal', sort: null, title: null, axis: { labelAngle: -40 } },
      y: {
        field: 'alerts',
        type: 'quantitative',
        aggregate: 'sum',
        title: 'Alerts raised',
        axis: { tickMinStep: 1, format: 'd' },
      },
      color: {
        field: 'rule',
        type: 'nominal',
        title: 'rule',
        scale: { scheme: 'tableau10' },
        legend: { orient: 'right' },
      },
      tooltip: [
        { field: 'period' },
        { field: 'rule' },
        { field: 'alerts', type: 'quantitative', aggregate: 'sum' },
      ],
    },
  } as TopLevelSpec
}

/**
 * Value redeemed each period as bars; the largest bar is drawn darker and labelled with its
 * amount, so the post-holiday spike (January, when holiday cards are spent) stands out.
 */
export function redemptionsSpec(
  points: readonly SeriesPoint[],
  title: string,
  subtitle: string,
): TopLevelSpec {
  const peak = Math.max(0, ...points.map((p) => p.cents))
  const values = points.map((p) => ({
    period: p.period,
    redeemed: dollars(p.cents),
    formatted: p.formatted,
    peak: p.cents === peak && peak > 0,
  }))
  const x = {
    field: 'period',
    type: 'ordinal',
    sort: null,
    title: null,
    axis: { labelAngle: -40 },
  }
  return {
    ...frame(title, subtitle),
    data: { values },
    encoding: {
      x,
      y: { field: 'redeemed', type: 'quantitative', title: 'Value redeemed (USD)', axis: USD_AXIS },
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          color: {
            condition: { test: 'datum.peak', value: '#1d4a80' },
            value: '#8fb1da',
          },
          tooltip: [{ field: 'period' }, { field: 'formatted', title: 'redeemed' }],
        },
      },
      {
        transform: [{ filter: 'datum.peak' }],
        mark: { type: 'text', dy: -8, fontSize: 11, fontWeight: 'bold', color: '#1d4a80' },
        encoding: { text: { field: 'formatted' } },
      },
    ],
  } as TopLevelSpec
}
