import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runChild } from './child.ts'

export type SeedRun = {
  cards: number
  rows: number
  seconds: number
  rowsPerSecond: number
  peakRssMiB: number
}

const START = '2024-01-01'
const MONTHS = 24

/**
 * `npm run bench -- seed [--sizes 100000,1000000]`: the seed through the product's own path
 * (generator → bulk writer → SQLite, indexes rebuilt), and beside it, in the same run, the
 * baseline: raw better-sqlite3 prepared inserts of the very same rows in one transaction
 * (plus the same index build), generation time excluded. Target: seed ≥ 0.5 × raw speed.
 */
export async function seedBench(args: string[]): Promise<void> {
  const sizesArg = args[args.indexOf('--sizes') + 1]
  const sizes =
    args.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [100_000, 1_000_000]
  const results = []
  for (const cards of sizes) {
    const dir = join(tmpdir(), `giftcards-bench-${process.pid}-${cards}`)
    rmSync(dir, { recursive: true, force: true })
    try {
      const seed = await runChild<SeedRun>('./seed-child.ts', [
        'seed',
        String(cards),
        join(dir, 'seed.db'),
        START,
        String(MONTHS),
      ])
      const raw = await runChild<SeedRun>('./seed-child.ts', [
        'raw',
        String(cards),
        join(dir, 'raw.db'),
        START,
        String(MONTHS),
      ])
      const ratio = raw.seconds / seed.seconds
      results.push({
        cards,
        seed,
        raw,
        ratio: Number(ratio.toFixed(3)),
        target: 0.5,
        pass: ratio >= 0.5,
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  console.log(JSON.stringify({ bench: 'seed', results }, null, 2))
  for (const r of results) {
    console.log(
      `seed ${r.cards.toLocaleString('en-US')} cards: ${r.seed.seconds.toFixed(1)} s, ${Math.round(r.seed.rowsPerSecond).toLocaleString('en-US')} rows/s, peak ${r.seed.peakRssMiB} MiB | raw inserts ${r.raw.seconds.toFixed(1)} s, ${Math.round(r.raw.rowsPerSecond).toLocaleString('en-US')} rows/s | ratio ${r.ratio} (target ≥ 0.5) ${r.pass ? 'PASS' : 'FAIL'}`,
    )
  }
}
