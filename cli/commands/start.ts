import type { Command } from 'commander'
import { addMonths, formatCents, parseDate, toIso } from '../../core/index.ts'
import {
  type Database,
  ledgerCounts,
  ledgerWatermark,
  liabilityAsOf,
  transactionSummary,
} from '../../db/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { progressBar } from '../progress.ts'
import { defaultSeedStart, describeSeed } from './seed.ts'

/**
 * `npm start`: the main job on embedded defaults. It migrates, makes a demo chain on first run
 * (DEMO_CARDS cards, 5,000 by default), and prints a summary of the ledger.
 */
export function registerStart(program: Command, ctx: () => CliContext): void {
  program
    .command('start')
    .description('migrate, seed a demo chain on first run, and summarise the ledger')
    .action(async () => {
      const context = ctx()
      await withDatabase(context, async (database) => {
        const counts = await ledgerCounts(database.db)
        if (counts.cards === 0) {
          console.log(
            `No cards in ${database.describe} yet: making a demo chain of ${context.config.demoCards.toLocaleString('en-US')} cards…`,
          )
          const bar = progressBar('seeding cards', context.config.demoCards)
          const report = await seedChain(database, {
            cards: context.config.demoCards,
            seed: 42,
            startMs: defaultSeedStart(),
            months: 24,
            onProgress: (done) => bar.update(done),
          }).finally(() => bar.stop())
          console.log(`${describeSeed(report)}\n`)
        }
        console.log(await ledgerSummary(database))
      })
    })
}

/** A readable summary: counts, outstanding liability by jurisdiction, a year of activity. */
export async function ledgerSummary(database: Database, now: Date = new Date()): Promise<string> {
  const { db } = database
  const counts = await ledgerCounts(db)
  const watermark = await ledgerWatermark(db)
  const byJurisdiction = await liabilityAsOf(db, { groupBy: 'jurisdiction' })
  const total = byJurisdiction.reduce((sum, row) => sum + row.liabilityCents, 0)
  const totalCards = byJurisdiction.reduce((sum, row) => sum + row.cards, 0)
  // "The last 12 months" ends at the newest data, so an older demo ledger still reads well.
  const end = Math.min(now.getTime(), watermark ? parseDate(watermark) + 1 : now.getTime())
  const from = addMonths(end, -12)
  const activity = await transactionSummary(db, { from: toIso(from), to: toIso(end) })
  const n = (x: number) => x.toLocaleString('en-US')

  const lines = [
    `Gift card ledger (${database.describe})`,
    `  ${n(counts.cards)} cards, ${n(counts.transactions)} transactions, ${n(counts.customers)} customers, ${n(counts.locations)} stores in ${n(counts.jurisdictions)} jurisdictions`,
    `  data through ${watermark ?? '(no transactions yet)'}`,
    '',
    `Outstanding liability: ${formatCents(total)} on ${n(totalCards)} cards`,
    ...table(
      ['jurisdiction', 'cards', 'liability'],
      byJurisdiction.map((row) => [row.key, n(row.cards), formatCents(row.liabilityCents)]),
    ),
    '',
    `Transactions by type, ${toIso(from).slice(0, 10)} to ${toIso(end).slice(0, 10)}`,
    ...table(
      ['type', 'count', 'net amount'],
      activity.map((row) => [row.type, n(row.count), formatCents(row.amountCents)]),
    ),
  ]
  return lines.join('\n')
}

/** A plain aligned table: first column left, the rest right. */
function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows]
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)))
  const line = (r: string[]) =>
    `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('   ')}`
  return [line(header), `  ${widths.map((w) => '─'.repeat(w)).join('   ')}`, ...rows.map(line)]
}
