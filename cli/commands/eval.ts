import { join } from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { GiftCardError } from '../../core/index.ts'
import { HELDOUT_FILE, reportTable, runEvals, runHeldout, writeReport } from '../../evals/index.ts'
import type { CliContext } from '../context.ts'
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

/**
 * `giftcards eval [--model offline|openai] [--trials K] [--only TAG]`: the scenarios against a
 * freshly seeded chain per trial; a table on the terminal and a JSON and Markdown report.
 * Exit 1 when task success is under 90% or any policy violation or PII leak occurred.
 */
export function registerEval(program: Command, ctx: () => CliContext): void {
  program
    .command('heldout')
    .description(
      'run the held-out conversation set (written apart from the planner) through the agent on the demo chain and score every turn',
    )
    .option('--file <path>', 'the held-out JSON-lines file', HELDOUT_FILE)
    .option('--json', 'print the report as JSON')
    .action(async (raw: { file: string; json?: boolean }) => {
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
    })
  program
    .command('eval')
    .description('run the agent evals (τ-bench style) and write a report')
    .option(
      '--model <model>',
      'offline (the planner) or openai (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL)',
      'offline',
    )
    .option(
      '--face <face>',
      'agent (direct) or slack (through the Slack app, end to end, on a loopback Slack)',
      'agent',
    )
    .option('--trials <k>', 'trials per scenario, each on a fresh chain (pass^k)', '1')
    .option('--only <tag>', 'only scenarios with this tag (or this id)')
    .option('--cards <n>', 'cards in each trial’s chain', '1500')
    .option('--out <dir>', 'where the reports go', join('evals', 'reports'))
    .option('--json', 'print the report as JSON')
    .action(async (raw) => {
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
    })
}
