import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerSync(program: Command, ctx: () => CliContext): void {
  const sync = program.command('sync').description('pull activity from a POS API')
  sync
    .command('square')
    .description(
      'pull stores (ListLocations) and customers (ListCustomers) from Square, then gift card activities from ListGiftCardActivities since the last sync',
    )
    .option('--page-size <n>', 'activities per page (1–100)', '100')
    .option(
      '--since <YYYY-MM-DD>',
      'where to start on the first sync (default: Square’s, a year ago)',
    )
    .option('--json', 'print the report as JSON')
    .action(async (raw) => (await import('../actions/sync.ts')).runSyncSquare(ctx, raw))

  sync
    .command('shopify')
    .description(
      "read the shop's locations from Shopify's Admin GraphQL API and load them as store master data",
    )
    .option('--json', 'print the report as JSON')
    .action(async (raw) => (await import('../actions/sync.ts')).runSyncShopify(ctx, raw))

  sync
    .command('lightspeed')
    .description(
      'poll Lightspeed Retail: X-Series sales since the last sync (version cursor) and every gift card with its transactions; or R-Series gift card sale payments',
    )
    .option('--page-size <n>', 'items per page (1–200)', '200')
    .option('--json', 'print the report as JSON')
    .option('--series <x|r>', 'X-Series (default) or R-Series', 'x')
    .action(async (raw) => (await import('../actions/sync.ts')).runSyncLightspeed(ctx, raw))

  sync
    .command('clover')
    .description(
      "read each gift card's balance from Clover's gift card API and adjust the ledger where it moved with no event (labelled balance-drift:)",
    )
    .option('--dry-run', 'report the differences, adjust nothing')
    .option('--json', 'print the report as JSON')
    .action(async (raw) => (await import('../actions/sync.ts')).runSyncClover(ctx, raw))
}
