import type { BreakageBacktest, BreakageForecast } from '../../analytics/index.ts'
import { formatCents } from '../../core/index.ts'
import { money } from '../../tools/index.ts'
import { chartFileOption, chartOf, writeChartFile } from '../chart-file.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { formatReliability } from '../reliability.ts'
import { cliForecast, cliForecastBacktest } from '../reports/index.ts'
import { runReport } from '../session.ts'

export async function runForecast(ctx: () => CliContext, raw: Flags): Promise<void> {
  const input = parseOptions(cliForecast.input, raw)
  const chartFile = chartFileOption(raw)
  const result = await runReport(ctx(), cliForecast, input)
  console.log(raw.json ? JSON.stringify(result, null, 2) : describeForecast(result))
  // Drawn from this forecast (not fitted again): it is forecast_breakage's answer in cents.
  if (chartFile)
    await writeChartFile(
      await chartOf('forecast', asToolResult(result)),
      chartFile,
      Boolean(raw.json),
    )
}

export async function runForecastBacktest(ctx: () => CliContext, raw: Flags): Promise<void> {
  const result = await runReport(
    ctx(),
    cliForecastBacktest,
    parseOptions(cliForecastBacktest.input, raw),
  )
  console.log(raw.json ? JSON.stringify(result, null, 2) : describeBacktest(result))
}

/** The report's forecast in the shape forecast_breakage answers with (tools/forecast-breakage.ts). */
function asToolResult(f: BreakageForecast) {
  return {
    asOf: f.asOf.slice(0, 10),
    ledgerUpTo: f.dataWatermark,
    horizonMonths: f.horizonMonths,
    outstanding: money(f.outstandingCents),
    openCards: f.openCards,
    monthly: f.monthly.map((m) => ({
      month: m.month,
      expected: money(m.expectedCents),
      low: money(m.lowCents),
      high: money(m.highCents),
      breakageRecognised: money(m.breakageRecognisedCents),
    })),
  }
}

function describeForecast(f: BreakageForecast): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`
  return [
    `Breakage forecast ${f.id !== undefined ? `#${f.id}, stored,` : '(not stored; --save keeps it)'} (${f.modelVersion}) as of ${f.asOf.slice(0, 10)}, data through ${f.dataWatermark ?? 'nothing'}`,
    `  outstanding ${formatCents(f.outstandingCents)} on ${f.openCards.toLocaleString('en-US')} cards`,
    `  expected never redeemed: ${pct(f.outstandingBreakageRate)} of the outstanding balance (${formatCents(f.outstandingBreakageCents)}); ${pct(f.ultimateBreakageRate)} of all value ever loaded`,
    '',
    '  month      expected redemptions   80% interval                 breakage recognised (ASC 606)',
    ...f.monthly.map(
      (m) =>
        `  ${m.month}    ${formatCents(m.expectedCents).padStart(14)}   ${`${formatCents(m.lowCents)} – ${formatCents(m.highCents)}`.padEnd(28)} ${formatCents(m.breakageRecognisedCents).padStart(12)}`,
    ),
    '',
    '  cards most likely to leave their balance unredeemed:',
    ...f.cardRisks
      .slice(0, 5)
      .map(
        (c) =>
          `    ${c.cardId}  ${formatCents(c.balanceCents)}  age ${c.ageMonths} months  ${pct(c.neverRedeemed)} never redeemed (confidence ${c.confidence.toFixed(2)})`,
      ),
  ].join('\n')
}

function describeBacktest(b: BreakageBacktest): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`
  return [
    `Backtest from ${b.asOf.slice(0, 10)} over ${b.horizonMonths} months (outstanding then: ${formatCents(b.outstandingCents)})`,
    `  model:    WAPE ${pct(b.model.wape)}, unredeemed after ${b.horizonMonths} months ${pct(b.model.unredeemedShare)} (error ${pct(b.model.breakage12Error)})`,
    `  baseline: WAPE ${pct(b.baseline.wape)}, unredeemed after ${b.horizonMonths} months ${pct(b.baseline.unredeemedShare)} (error ${pct(b.baseline.breakage12Error)})`,
    `  actual:   unredeemed after ${b.horizonMonths} months ${pct(b.actualUnredeemedShare)}; the model's WAPE is ${pct(b.wapeImprovement)} below the baseline's`,
    `Breakage risk by card (share of its balance left unredeemed after ${b.horizonMonths} months, predicted against what was left), ${b.cardRisk.count.toLocaleString('en-US')} cards:`,
    ...formatReliability(b.cardRisk),
  ].join('\n')
}
