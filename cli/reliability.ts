import type { Reliability } from '../analytics/index.ts'

/**
 * A reliability table as the terminal shows it: one line per bin, predicted against observed,
 * then the Brier score and the expected calibration error (docs/analytics.md §Calibration).
 */
export function formatReliability(rel: Reliability, indent = '  '): string[] {
  const pct = (p: number) => `${(p * 100).toFixed(1)}%`.padStart(6)
  const lines = [`${indent}predicted  observed  cards   (scores in the bin)`]
  for (const bin of rel.bins)
    lines.push(
      `${indent}${pct(bin.predicted)}     ${pct(bin.observed)}  ${String(bin.count).padStart(5)}   (${pct(bin.from).trim()}–${pct(bin.to).trim()})`,
    )
  lines.push(
    `${indent}Brier ${rel.brier.toFixed(4)} (the base rate for every card: ${rel.baselineBrier.toFixed(4)}), expected calibration error ${rel.ece.toFixed(3)}`,
  )
  return lines
}
