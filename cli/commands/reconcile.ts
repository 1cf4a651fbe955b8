import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/**
 * `giftcards reconcile FILE` (docs/reconciliation.md): an export or a POS balances file against
 * the ledger. Prints the differences (or `--json`), writes every one to `--out` as CSV, and
 * exits 0 when they agree, 1 on a difference, 2 on bad input (each bad row by its line). It
 * only reads the ledger.
 */
export function registerReconcile(program: Command, ctx: () => CliContext): void {
  program
    .command('reconcile')
    .description(
      'compare an export (CSV, Square JSON lines) or a balances file with the ledger; exit 0 equal, 1 on a difference, 2 on bad input',
    )
    .argument('[file]', 'the export or balances file')
    .option('--source <pos>', "instead of a file: the balances Clover's gift card API reports")
    .option(
      '--format <format>',
      'csv, square-jsonl or balances (default: .jsonl → square-jsonl, else by the CSV header)',
    )
    .option(
      '--match-source <source>',
      "match the file's events as this source's (default: import for CSV, square for JSON lines)",
    )
    .option('--cards-in-file', 'count events only in the ledger on the cards the file names only')
    .option('--limit <n>', 'differences of each kind printed (all are in --out and --json)', '20')
    .option('--out <file>', 'write every difference to this CSV file')
    .option('--json', 'print the report as JSON')
    .action(async (file: string | undefined, raw) =>
      (await import('../actions/reconcile.ts')).runReconcile(ctx, file, raw),
    )
}
