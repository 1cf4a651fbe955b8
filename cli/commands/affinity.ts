import type { Command } from 'commander'
import { z } from 'zod'
import { AFFINITY_CONTEXTS, productAffinity } from '../../analytics/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { intOption, parseOptions } from '../options.ts'

const affinityOptions = z.object({
  context: z
    .enum(AFFINITY_CONTEXTS, { error: `must be ${AFFINITY_CONTEXTS.join(' or ')}` })
    .default('bought_alongside'),
  level: z.enum(['category', 'sku'], { error: 'must be category or sku' }).default('category'),
  minOrders: intOption(1, 1_000_000).default(5),
  limit: intOption(1, 500).default(20),
  json: z.boolean().default(false),
})

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
    .action(async (raw) => {
      const options = parseOptions(affinityOptions, raw)
      const report = await withDatabase(ctx(), (database) => productAffinity(database, options))
      if (options.json) {
        console.log(JSON.stringify(report, null, 2))
        return
      }
      console.log(
        `${options.context === 'redeemed_with' ? 'Bought with gift card redemptions' : 'Bought alongside gift cards'} (${report.contextOrders.toLocaleString('en-US')} of ${report.orders.toLocaleString('en-US')} orders), by ${report.level}`,
      )
      for (const r of report.rows) {
        console.log(
          `  ${r.item.padEnd(14)} lift ${r.lift.toFixed(2).padStart(5)}  confidence ${(r.confidence * 100).toFixed(1).padStart(5)}%  support ${(r.support * 100).toFixed(2).padStart(6)}%  ${r.orders.toLocaleString('en-US')} orders`,
        )
      }
    })
}
