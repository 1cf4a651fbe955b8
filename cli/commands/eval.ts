import { join } from 'node:path'
import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/**
 * `giftcards eval [--model offline|openai] [--trials K] [--only TAG]`: the scenarios against a
 * freshly seeded chain per trial; a table on the terminal and a JSON and Markdown report.
 * Exit 1 when task success is under 90% or any policy violation or PII leak occurred.
 */
/** evals/heldout.ts's HELDOUT_FILE, named here so `--help` need not load the evals. */
const HELDOUT_FILE = join(
  import.meta.dirname,
  '..',
  '..',
  'evals',
  'heldout',
  'conversation-2026-12.jsonl',
)

export function registerEval(program: Command, ctx: () => CliContext): void {
  program
    .command('heldout')
    .description(
      'run the held-out conversation set (written apart from the planner) through the agent on the demo chain and score every turn',
    )
    .option('--file <path>', 'the held-out JSON-lines file', HELDOUT_FILE)
    .option('--json', 'print the report as JSON')
    .action(async (raw: { file: string; json?: boolean }) =>
      (await import('../actions/eval.ts')).runHeldoutCommand(ctx, raw),
    )
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
    .action(async (raw) => (await import('../actions/eval.ts')).runEval(ctx, raw))
}
