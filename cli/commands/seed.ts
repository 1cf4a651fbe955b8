import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerSeed(program: Command, ctx: () => CliContext): void {
  program
    .command('seed')
    .description('write a realistic, reproducible synthetic retail chain into the ledger')
    .option('--cards <n>', 'how many gift cards', '5000')
    .option('--seed <s>', 'random seed: the same seed gives the same chain', '42')
    .option('--start <YYYY-MM-DD>', 'first day of sales (default: 24 months before this month)')
    .option('--months <m>', 'how many months of history', '24')
    .option('--labels <file>', 'write the fraud ground truth here (JSON lines), never to the db')
    .option('--reset', 'replace the ledger that is there')
    .option('--json', 'print the report as JSON')
    .action(async (raw) => (await import('../actions/seed.ts')).runSeed(ctx, raw))
}
