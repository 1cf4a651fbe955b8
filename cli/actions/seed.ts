import { z } from 'zod'
import { defaultSeedStart, type SeedReport, seedChain } from '../../synth/seed.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { Flags } from '../flags.ts'
import { dateOption, intOption, parseOptions } from '../options.ts'
import { progressBar } from '../progress.ts'

const seedOptions = z.object({
  cards: intOption(100, 20_000_000).default(5000),
  seed: intOption(0, 2 ** 31 - 1).default(42),
  start: dateOption.optional(),
  months: intOption(1, 120).default(24),
  labels: z.string().min(1).optional(),
  reset: z.boolean().default(false),
  json: z.boolean().default(false),
})

export async function runSeed(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(seedOptions, raw)
  const report = await withDatabase(ctx(), async (database) => {
    const bar = progressBar('seeding cards', options.cards)
    try {
      return await seedChain(database, {
        cards: options.cards,
        seed: options.seed,
        startMs: options.start ?? defaultSeedStart(),
        months: options.months,
        reset: options.reset,
        ...(options.labels ? { labelsPath: options.labels } : {}),
        onProgress: (done) => bar.update(done),
      })
    } finally {
      bar.stop()
    }
  })
  console.log(options.json ? JSON.stringify(report, null, 2) : describeSeed(report))
}

export function describeSeed(report: SeedReport): string {
  const n = (x: number) => x.toLocaleString('en-US')
  return [
    `Seeded ${n(report.cards)} cards, ${n(report.transactions)} transactions, ${n(report.customers)} customers, ${n(report.orderItems)} order items at ${n(report.locations)} stores`,
    `  sales from ${report.dataStart.slice(0, 10)} to ${report.dataEnd.slice(0, 10)} (exclusive); ${n(report.fraudLabels)} cards carry injected fraud`,
    `  in ${report.seconds.toFixed(1)} s (${n(Math.round((report.transactions + report.cards) / report.seconds))} cards+transactions per second)`,
  ].join('\n')
}
