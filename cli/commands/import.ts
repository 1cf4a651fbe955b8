import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerImport(program: Command, ctx: () => CliContext): void {
  program
    .command('import')
    .description(
      'import an export file (CSV or Square activity JSON lines; resumable) or store / customer master data (--format locations | customers); idempotent',
    )
    .argument('<file>', 'the file to import')
    .option(
      '--format <format>',
      'csv, square-jsonl, locations or customers (default: by extension, .jsonl → square-jsonl, else csv)',
    )
    .option(
      '--batch-size <n>',
      'rows per database transaction (a killed import resumes after the last one)',
      '100000',
    )
    .option('--json', 'print the report as JSON')
    .action(async (file: string, raw) =>
      (await import('../actions/import.ts')).runImport(ctx, file, raw),
    )
}
