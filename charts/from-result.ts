import { GiftCardError } from '../core/index.ts'
import type { Chart, ChartName } from './chart.ts'
import {
  type ForecastResult,
  forecastResult,
  type LedgerMetricsResult,
  type LiabilityResult,
  ledgerMetricsResult,
  liabilityResult,
  parseResult,
  type TimeDimension,
  timeDimensionOf,
} from './results.ts'
import {
  alertsByRuleSpec,
  emptyChart,
  forecastSpec,
  liabilityByStateSpec,
  liabilityTrendSpec,
  redemptionsSpec,
  type SeriesPoint,
} from './specs.ts'

/**
 * From a tool's result to a chart (docs/charts.md): the result is checked with zod, turned
 * into the chart's series, and drawn, or, with nothing to draw, an empty chart that says why.
 */

/** What each chart reads, for the error when a result does not fit. */
const EXPECTS: Record<ChartName, string> = {
  'liability-trend': 'ledger_metrics of liability by one time dimension',
  'liability-by-state': 'get_liability grouped by jurisdiction',
  forecast: 'forecast_breakage',
  'alerts-by-rule': 'ledger_metrics of fraud_alerts by one time dimension (and rule)',
  'redemptions-by-month': 'ledger_metrics of redemptions by one time dimension',
}

const PERIOD_WORD: Record<TimeDimension, string> = {
  day: 'day',
  week: 'week',
  month: 'month',
  quarter: 'quarter',
}

function misfit(name: ChartName, why: string): GiftCardError {
  return new GiftCardError(
    'INVALID_INPUT',
    `the ${name} chart draws ${EXPECTS[name]}; this result does not fit: ${why}`,
  )
}

/** `ledger up to 2026-10-31`, or that there is nothing in it. */
const upTo = (iso: string | null) =>
  iso ? `ledger up to ${iso.slice(0, 10)}` : 'the ledger is empty'

function metricSeries(
  name: ChartName,
  result: unknown,
  metric: string,
  extra: readonly string[],
): { data: LedgerMetricsResult; time: TimeDimension } {
  const parsed = parseResult(ledgerMetricsResult, result)
  if (!parsed.ok) throw misfit(name, parsed.why)
  const data = parsed.data
  const time = timeDimensionOf(data)
  if (data.metric !== metric) throw misfit(name, `its metric is ${data.metric}`)
  const others = data.by.filter((d) => d !== time)
  if (!time || others.some((d) => !extra.includes(d)))
    throw misfit(name, `it is broken down by ${data.by.join(', ') || 'nothing'}`)
  return { data, time }
}

/** The rows as period points, in time order (a `sort` by value is undone). */
function points(data: LedgerMetricsResult, time: TimeDimension): SeriesPoint[] {
  return data.rows
    .map((r) => ({
      period: r[time] ?? 'unknown',
      cents: r.amount.cents,
      formatted: r.amount.formatted,
    }))
    .sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0))
}

const range = (data: LedgerMetricsResult) =>
  `${data.from} to ${data.to}${data.truncated ? ' (first rows only)' : ''}`

function liabilityTrend(result: unknown): Chart {
  const name = 'liability-trend'
  const { data, time } = metricSeries(name, result, 'liability', [])
  const title = `Outstanding gift card liability at each ${PERIOD_WORD[time]} end`
  const series = points(data, time)
  if (series.length === 0 || series.every((p) => p.cents === 0))
    return emptyChart(
      name,
      title,
      `No outstanding balance at any ${PERIOD_WORD[time]} end from ${data.from} to ${data.to} (${upTo(data.ledgerUpTo)}).`,
    )
  const subtitle = `${range(data)} · ${upTo(data.ledgerUpTo)}`
  return { name, title, spec: liabilityTrendSpec(series, title, subtitle), points: series.length }
}

function redemptions(result: unknown): Chart {
  const name = 'redemptions-by-month'
  const { data, time } = metricSeries(name, result, 'redemptions', [])
  const title = `Gift card redemptions by ${PERIOD_WORD[time]}`
  const series = points(data, time)
  if (series.length === 0 || series.every((p) => p.cents === 0))
    return emptyChart(
      name,
      title,
      `No redemptions from ${data.from} to ${data.to} (${upTo(data.ledgerUpTo)}).`,
    )
  const peak = series.reduce((a, b) => (b.cents > a.cents ? b : a))
  const subtitle = `${range(data)} · highest: ${peak.period}, ${peak.formatted}`
  return { name, title, spec: redemptionsSpec(series, title, subtitle), points: series.length }
}

function alertsByRule(result: unknown): Chart {
  const name = 'alerts-by-rule'
  const { data, time } = metricSeries(name, result, 'fraud_alerts', ['rule'])
  const title = `Fraud alerts raised by ${PERIOD_WORD[time]} and rule`
  const rows = data.rows
    .filter((r) => r.count > 0)
    .map((r) => ({ period: r[time] ?? 'unknown', rule: r.rule ?? 'all rules', alerts: r.count }))
    .sort((a, b) => a.period.localeCompare(b.period) || a.rule.localeCompare(b.rule))
  if (rows.length === 0)
    return emptyChart(name, title, `No fraud alerts were raised from ${data.from} to ${data.to}.`)
  const total = rows.reduce((s, r) => s + r.alerts, 0)
  const subtitle = `${range(data)} · ${total.toLocaleString('en-US')} alerts`
  return { name, title, spec: alertsByRuleSpec(rows, title, subtitle), points: rows.length }
}

function liabilityByState(result: unknown): Chart {
  const name = 'liability-by-state'
  const parsed = parseResult(liabilityResult, result)
  if (!parsed.ok) throw misfit(name, parsed.why)
  const data: LiabilityResult = parsed.data
  if (data.groupBy !== 'jurisdiction') throw misfit(name, `it is grouped by ${data.groupBy}`)
  const title = 'Outstanding gift card liability by state'
  const rows = data.rows
    .filter((r) => r.liability.cents !== 0)
    .map((r) => ({
      state: r.key,
      cents: r.liability.cents,
      formatted: r.liability.formatted,
      cards: r.cards,
    }))
  if (rows.length === 0)
    return emptyChart(
      name,
      title,
      `No outstanding balance in any state as of ${data.asOfDay} (${upTo(data.ledgerUpTo)}).`,
    )
  const others = data.otherRows ? ` (${data.otherRows.rows} smaller states not drawn)` : ''
  const subtitle = `as of ${data.asOfDay} · ${data.total.formatted} on ${data.cards.toLocaleString('en-US')} cards${others}`
  return { name, title, spec: liabilityByStateSpec(rows, title, subtitle), points: rows.length }
}

function forecast(result: unknown): Chart {
  const name = 'forecast'
  const parsed = parseResult(forecastResult, result)
  if (!parsed.ok) throw misfit(name, parsed.why)
  const data: ForecastResult = parsed.data
  const title = 'Forecast redemptions with the 80% interval, and breakage recognised'
  if (data.monthly.length === 0 || data.openCards === 0)
    return emptyChart(
      name,
      title,
      `No open cards with a balance as of ${data.asOf}, so there is nothing to run off (${upTo(data.ledgerUpTo)}).`,
    )
  const series = data.monthly.map((m) => ({
    month: m.month,
    expected: m.expected.cents,
    low: m.low.cents,
    high: m.high.cents,
    breakage: m.breakageRecognised.cents,
    formatted: {
      expected: m.expected.formatted,
      low: m.low.formatted,
      high: m.high.formatted,
      breakage: m.breakageRecognised.formatted,
    },
  }))
  const subtitle = `from ${data.asOf}, ${data.monthly.length} months · ${data.outstanding.formatted} outstanding on ${data.openCards.toLocaleString('en-US')} cards`
  return { name, title, spec: forecastSpec(series, title, subtitle), points: series.length }
}

const BUILDERS: Record<ChartName, (result: unknown) => Chart> = {
  'liability-trend': liabilityTrend,
  'liability-by-state': liabilityByState,
  forecast,
  'alerts-by-rule': alertsByRule,
  'redemptions-by-month': redemptions,
}

/**
 * The chart `name` drawn from the result of its source tool (CHART_SOURCES, or the same tool
 * with other arguments). A result of the wrong shape throws INVALID_INPUT naming the fields;
 * a result with nothing in it gives a chart whose `empty` says why.
 */
export function chartFromResult(name: ChartName, result: unknown): Chart {
  const build = BUILDERS[name]
  if (!build) throw new GiftCardError('INVALID_INPUT', `there is no chart named ${String(name)}`)
  return build(result)
}

/**
 * The chart for an answer that is a series, or undefined: what Slack attaches to a reply and
 * MCP returns as an image. A series is ledger_metrics of liability, redemptions or fraud
 * alerts over time (not cut to the `top` rows), a forecast, or liability by state (two states
 * or more). An answer with nothing to draw gets no chart: its text already says so.
 */
export function chartForToolResult(
  tool: string,
  args: unknown,
  result: unknown,
): Chart | undefined {
  const name = seriesChartOf(tool, args, result)
  if (!name) return undefined
  try {
    const chart = chartFromResult(name, result)
    return chart.empty === undefined ? chart : undefined
  } catch {
    // Not the shape this chart draws: the answer stays text only.
    return undefined
  }
}

function seriesChartOf(tool: string, args: unknown, result: unknown): ChartName | undefined {
  const input = (args !== null && typeof args === 'object' ? args : {}) as Record<string, unknown>
  if (tool === 'forecast_breakage') return 'forecast'
  if (tool === 'get_liability') {
    const parsed = parseResult(liabilityResult, result)
    return parsed.ok && parsed.data.groupBy === 'jurisdiction' && parsed.data.rows.length >= 2
      ? 'liability-by-state'
      : undefined
  }
  if (tool !== 'ledger_metrics' || input.top !== undefined) return undefined
  const parsed = parseResult(ledgerMetricsResult, result)
  if (!parsed.ok) return undefined
  const { metric, by } = parsed.data
  const time = timeDimensionOf(parsed.data)
  if (!time || parsed.data.rows.length < 2) return undefined
  const others = by.filter((d) => d !== time)
  if (metric === 'liability' && others.length === 0) return 'liability-trend'
  if (metric === 'redemptions' && others.length === 0) return 'redemptions-by-month'
  if (metric === 'fraud_alerts' && others.every((d) => d === 'rule')) return 'alerts-by-rule'
  return undefined
}
