import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/**
 * `giftcards status`: the ledger's engine and watermark and each source's freshness (newest
 * event, newest receipt, lag, stale), as `/healthz` reports them (docs/reconciliation.md).
 * Exits 1 when a configured source is stale, so a cron job or a monitor can alert on it.
 */
export function registerStatus(program: Command, ctx: () => CliContext): void {
  program
    .command('status')
    .description(
      "the ledger's freshness: each source's newest event, last receipt and lag; exits 1 when a configured source is stale",
    )
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/status.ts')).runStatus(ctx, raw))
}
