import type { Command } from 'commander'
import { z } from 'zod'
import { DAY_MS, formatCents, toIso } from '../../core/index.ts'
import { LIABILITY_GROUPS, liabilityAsOf } from '../../db/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { dateOption, parseOptions } from '../options.ts'

const liabilityOptions = z.object({
  asOf: dateOption.optional(),
  by: z
    .enum(LIABILITY_GROUPS, { error: `must be one of ${LIABILITY_GROUPS.join(', ')}` })
    .default('jurisdiction'),
  json: z.boolean().default(false),
})

export function registerLiability(program: Command, ctx: () => CliContext): void {
  program
    .command('liability')
    .description('outstanding gift card liability, now or at the end of a past day, grouped')
    .option('--as-of <YYYY-MM-DD>', 'balances at the end of this day (default: now)')
    .option('--by <group>', LIABILITY_GROUPS.join(' | '), 'jurisdiction')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const options = parseOptions(liabilityOptions, raw)
      const asOf = options.asOf === undefined ? undefined : toIso(options.asOf + DAY_MS)
      const rows = await withDatabase(ctx(), (database) =>
        liabilityAsOf(database.db, { groupBy: options.by, ...(asOf ? { asOf } : {}) }),
      )
      if (options.json) {
        console.log(JSON.stringify({ asOf: asOf ?? 'now', by: options.by, rows }, null, 2))
        return
      }
      const total = rows.reduce((sum, r) => sum + r.liabilityCents, 0)
      console.log(
        `Outstanding liability ${asOf ? `at the end of ${toIso(options.asOf as number).slice(0, 10)}` : 'now'}: ${formatCents(total)}`,
      )
      for (const r of rows)
        console.log(
          `  ${r.key.padEnd(16)} ${r.cards.toLocaleString('en-US').padStart(9)} cards  ${formatCents(r.liabilityCents).padStart(16)}`,
        )
    })
}
