import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AnalyticsAccuracy, EvalOptions, ScenarioRun } from './runner.ts'
import { runTrial } from './runner.ts'
import { loadScenarios, type Scenario } from './scenario.ts'

export type Rates = {
  scenarios: number
  taskSuccess: number
  /** Scenarios that succeeded in every one of the K trials. */
  passK: number
  toolAccuracy: number
  argAccuracy: number
  policyViolations: number
  piiLeaks: number
}

export type EvalReport = {
  date: string
  model: string
  trials: number
  only: string | null
  seconds: number
  summary: Rates
  byTag: Record<string, Rates>
  scenarios: { id: string; tags: string[]; successes: number; trials: number; failures: string[] }[]
  analytics: AnalyticsAccuracy | null
}

function rates(runs: ScenarioRun[][]): Rates {
  const flat = runs.flat()
  const turns = flat.flatMap((r) => r.turns)
  const scored = turns.filter((t) => t.tool !== null)
  const ids = new Set(flat.map((r) => r.id))
  const passK = [...ids].filter((id) =>
    flat.filter((r) => r.id === id).every((r) => r.success),
  ).length
  return {
    scenarios: ids.size,
    taskSuccess: flat.length ? flat.filter((r) => r.success).length / flat.length : 0,
    passK: ids.size ? passK / ids.size : 0,
    toolAccuracy: scored.length ? scored.filter((t) => t.tool).length / scored.length : 1,
    argAccuracy: scored.length ? scored.filter((t) => t.args).length / scored.length : 1,
    policyViolations: flat.reduce((n, r) => n + r.violations.length, 0),
    piiLeaks: flat.reduce((n, r) => n + r.piiLeaks.length, 0),
  }
}

/**
 * Runs the scenarios (optionally only those tagged `only`) for K trials, each on a freshly
 * seeded chain, and aggregates per scenario, per tag and overall, with the analytics' accuracy.
 */
export async function runEvals(
  options: EvalOptions,
  scenarios: Scenario[] = loadScenarios(),
): Promise<EvalReport> {
  const started = performance.now()
  const chosen = options.only
    ? scenarios.filter((s) => s.tags.includes(options.only as string) || s.id === options.only)
    : scenarios
  const trials: ScenarioRun[][] = []
  let analytics: AnalyticsAccuracy | undefined
  for (let t = 0; t < options.trials; t++) {
    const result = await runTrial(chosen, options, t)
    trials.push(result.runs)
    analytics ??= result.analytics
  }
  const byId = (id: string) => trials.map((runs) => runs.find((r) => r.id === id) as ScenarioRun)
  const tags = [...new Set(chosen.flatMap((s) => s.tags))].sort()
  return {
    date: new Date().toISOString(),
    model: `${options.model === 'openai' ? options.config.openai.model : 'offline-planner'}${options.face === 'slack' ? '-slack' : ''}`,
    trials: options.trials,
    only: options.only ?? null,
    seconds: (performance.now() - started) / 1000,
    summary: rates(trials),
    byTag: Object.fromEntries(
      tags.map((tag) => [
        tag,
        rates(trials.map((runs) => runs.filter((r) => r.tags.includes(tag)))),
      ]),
    ),
    scenarios: chosen.map((s) => {
      const runs = byId(s.id)
      return {
        id: s.id,
        tags: s.tags,
        successes: runs.filter((r) => r.success).length,
        trials: runs.length,
        failures: runs.find((r) => !r.success)?.failures ?? [],
      }
    }),
    analytics: analytics ?? null,
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`

/** The terminal table: one line per tag and the total. */
export function reportTable(report: EvalReport): string {
  const header = [
    '',
    'scenarios',
    'success',
    `pass^${report.trials}`,
    'tools',
    'args',
    'violations',
    'PII leaks',
  ]
  const row = (name: string, r: Rates) => [
    name,
    String(r.scenarios),
    pct(r.taskSuccess),
    pct(r.passK),
    pct(r.toolAccuracy),
    pct(r.argAccuracy),
    String(r.policyViolations),
    String(r.piiLeaks),
  ]
  const rows = [
    ...Object.entries(report.byTag).map(([t, r]) => row(t, r)),
    row('ALL', report.summary),
  ]
  const widths = header.map((_, i) =>
    Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)),
  )
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  const failed = report.scenarios.filter((s) => s.successes < s.trials)
  return [
    `evals: ${report.model}, ${report.summary.scenarios} scenarios × ${report.trials} trial(s) in ${report.seconds.toFixed(1)} s`,
    line(header),
    ...rows.map(line),
    ...(failed.length
      ? [
          '',
          'failed:',
          ...failed.map(
            (s) => `  ${s.id} (${s.successes}/${s.trials}): ${s.failures.slice(0, 3).join(' | ')}`,
          ),
        ]
      : []),
    ...(report.analytics ? ['', analyticsLine(report.analytics)] : []),
  ].join('\n')
}

function analyticsLine(a: AnalyticsAccuracy): string {
  const patterns = Object.entries(a.fraud.byPattern)
    .map(([p, s]) => `${p} ${pct(s.recall)}`)
    .join(', ')
  return `analytics: fraud precision ${pct(a.fraud.precision)}, recall ${pct(a.fraud.recall)} (recall by pattern: ${patterns}) | breakage backtest from ${a.breakage.asOf.slice(0, 10)}: WAPE ${pct(a.breakage.wape)} vs baseline ${pct(a.breakage.baselineWape)} (${pct(a.breakage.wapeImprovement)} better)`
}

/** The report as Markdown. */
export function reportMarkdown(report: EvalReport): string {
  const lines = [
    `# Eval report: ${report.model}`,
    '',
    `${report.date} · ${report.summary.scenarios} scenarios × ${report.trials} trial(s) · ${report.seconds.toFixed(1)} s${report.only ? ` · only ${report.only}` : ''}`,
    '',
    '| tag | scenarios | task success | pass^k | tool accuracy | argument accuracy | policy violations | PII leaks |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[...Object.entries(report.byTag), ['**all**', report.summary] as const].map(
      ([t, r]) =>
        `| ${t} | ${r.scenarios} | ${pct(r.taskSuccess)} | ${pct(r.passK)} | ${pct(r.toolAccuracy)} | ${pct(r.argAccuracy)} | ${r.policyViolations} | ${r.piiLeaks} |`,
    ),
    '',
    '## Failed scenarios',
    '',
    ...(report.scenarios
      .filter((s) => s.successes < s.trials)
      .map((s) => `- \`${s.id}\` (${s.successes}/${s.trials}): ${s.failures.join('; ')}`) || []),
  ]
  if (report.scenarios.every((s) => s.successes === s.trials)) lines.push('None.')
  if (report.analytics) lines.push('', '## Analytics accuracy', '', analyticsLine(report.analytics))
  return `${lines.join('\n')}\n`
}

/** Writes `evals/reports/<date>-<model>.json` and `.md`; returns their paths. */
export function writeReport(report: EvalReport, dir: string): { json: string; md: string } {
  mkdirSync(dir, { recursive: true })
  const base = join(
    dir,
    `${report.date.slice(0, 10)}-${report.model.replace(/[^a-zA-Z0-9.-]+/g, '_')}`,
  )
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(`${base}.md`, reportMarkdown(report))
  return { json: `${base}.json`, md: `${base}.md` }
}
