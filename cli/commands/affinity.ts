import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerAffinity(program: Command, ctx: () => CliContext): void {
  program
    .command('affinity')
    .description(
      'what is bought with gift card redemptions, or alongside gift card purchases: support, confidence, lift',
    )
    .option('--context <context>', 'bought_alongside or redeemed_with', 'bought_alongside')
    .option('--level <level>', 'category or sku', 'category')
    .option('--min-orders <n>', 'leave out items in fewer orders of the context', '5')
    .option('--limit <n>', 'how many rows', '20')
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/affinity.ts')).runAffinity(ctx, raw))
}
