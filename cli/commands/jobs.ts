import type { Command } from 'commander'
import { JOB_SCHEDULES } from '../../core/index.ts'
import type { CliContext } from '../context.ts'

export function registerJobs(program: Command, ctx: () => CliContext): void {
  const jobs = program
    .command('jobs')
    .description('the scheduled jobs of giftcards serve (docs/jobs.md)')
  jobs
    .command('list')
    .description('each job, its cron expression in the chain timezone (or off) and its next slot')
    .option('--json', 'print as JSON')
    .action(async (raw: { json?: boolean }) =>
      (await import('../actions/jobs.ts')).runJobsList(ctx, raw),
    )
  jobs
    .command('run')
    .description('run one job now (claimed like a scheduled run, audited as system:scheduler)')
    .argument('<name>', Object.keys(JOB_SCHEDULES).join(' | '))
    .option('--json', 'print as JSON')
    .action(async (name: string, raw: { json?: boolean }) =>
      (await import('../actions/jobs.ts')).runJobsRun(ctx, name, raw),
    )
  jobs
    .command('history')
    .description('recent runs, newest first')
    .option('--job <name>', 'only this job')
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/jobs.ts')).runJobsHistory(ctx, raw))
}
