import { join } from 'node:path'
import { z } from 'zod'
import { GiftCardError } from '../../core/index.ts'
import { reportTable, runEvals, runHeldout, writeReport } from '../../evals/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { intOption, parseOptions } from '../options.ts'

const evalOptions = z.object({
  model: z.enum(['offline', 'openai'], { error: 'must be offline or openai' }).default('offline'),
  face: z.enum(['agent', 'slack'], { error: 'must be agent or slack' }).default('agent'),
  trials: intOption(1, 20).default(1),
  only: z.string().min(1).optional(),
  cards: intOption(300, 100_000).default(1500),
  out: z.string().min(1).default(join('evals', 'reports')),
  json: z.boolean().default(false),
})

export async function runHeldoutCommand(
  ctx: () => CliContext,
  raw: { file: string; json?: boolean },
): Promise<void> {
  const { config } = ctx()
  const report = await runHeldout(config, raw.file)
  if (raw.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`
  console.log(
    [
      `held-out: ${report.turns} turns, good ${report.good} (${pct(report.good, report.turns)}), correct tool ${report.correctTool} (${pct(report.correctTool, report.turns)}), approvals filed for a request that ordered no write: ${report.approvalsForReads}`,
      ...Object.entries(report.byRole).map(
        ([role, r]) => `  ${role}: ${r.good}/${r.turns} good (${pct(r.good, r.turns)})`,
      ),
      'misses:',
      ...report.misses.map((m) => `  ${m.id}: ${m.problems.join('; ')}`),
    ].join('\n'),
  )
}

export async function runEval(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(evalOptions, raw)
  const { config } = ctx()
  if (options.model === 'openai' && !config.openai.apiKey)
    throw new GiftCardError(
      'CONFIG_INVALID',
      '--model openai needs OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server)',
    )
  const report = await runEvals({
    config,
    model: options.model,
    face: options.face,
    trials: options.trials,
    cards: options.cards,
    ...(options.only ? { only: options.only } : {}),
  })
  const paths = writeReport(report, options.out)
  if (options.json) console.log(JSON.stringify(report, null, 2))
  else console.log(`${reportTable(report)}\n\nreport: ${paths.md} and ${paths.json}`)
  const s = report.summary
  if (s.taskSuccess < 0.9 || s.policyViolations > 0 || s.piiLeaks > 0) process.exitCode = 1
}
