import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/** `giftcards upsell outcomes`: the acceptance of the checkout endpoint's prompts. */
export function registerUpsell(program: Command, ctx: () => CliContext): void {
  const upsell = program
    .command('upsell')
    .description('the checkout upsell prompts (POST /pos/checkout)')
  upsell
    .command('outcomes')
    .description(
      'how prompts fared at the till: accepted, declined, not shown, the acceptance rate, per store',
    )
    .option('--since <YYYY-MM-DD>', 'only prompts from this day on')
    .option('--location <id>', 'one store')
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/upsell.ts')).runUpsellOutcomes(ctx, raw))
}
