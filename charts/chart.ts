import type { TopLevelSpec } from 'vega-lite'

/**
 * The charts every face draws (docs/charts.md). One name, one Vega-Lite spec with its data
 * inline: the browser draws it with vega-embed, the server renders it to SVG and PNG
 * (charts/render.ts), Slack and MCP attach the PNG.
 */
export const CHART_NAMES = [
  'liability-trend',
  'liability-by-state',
  'forecast',
  'alerts-by-rule',
  'redemptions-by-month',
] as const
export type ChartName = (typeof CHART_NAMES)[number]

export function isChartName(name: string): name is ChartName {
  return (CHART_NAMES as readonly string[]).includes(name)
}

export type Chart = {
  name: ChartName
  /** What the chart shows, in words (also the spec's title): the alt text of its image. */
  title: string
  /** A Vega-Lite top-level spec, data inline (nothing is fetched when it is drawn). */
  spec: TopLevelSpec
  /** The data points drawn (0 when empty). */
  points: number
  /** Why there is nothing to draw; the spec then draws this sentence instead of an empty frame. */
  empty?: string
}

/**
 * Which tool call feeds each chart. The dashboard and the CLI run it through the ToolExecutor
 * (roles, pilot scope, pseudonymiser and audit apply), then pass the result to
 * `chartFromResult`. Every one is a read that stores nothing (forecast_breakage's `save`
 * defaults to false).
 */
export const CHART_SOURCES: Record<ChartName, { tool: string; args: Record<string, unknown> }> = {
  // Outstanding balance at each month end, over the year to the ledger's last day.
  'liability-trend': { tool: 'ledger_metrics', args: { metric: 'liability', by: ['month'] } },
  // Outstanding balance now, by the issuing store's state.
  'liability-by-state': { tool: 'get_liability', args: { groupBy: 'jurisdiction' } },
  // Expected redemptions a year ahead with the 80% interval, and ASC 606 breakage.
  forecast: { tool: 'forecast_breakage', args: { horizonMonths: 12, topCards: 0 } },
  // Alerts raised each month, stacked by the rule that raised them (every status).
  'alerts-by-rule': {
    tool: 'ledger_metrics',
    args: { metric: 'fraud_alerts', by: ['month', 'rule'] },
  },
  // Value redeemed each month: the post-holiday spike in January is the tallest bar.
  'redemptions-by-month': {
    tool: 'ledger_metrics',
    args: { metric: 'redemptions', by: ['month'] },
  },
}
