import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runChild } from './child.ts'

/**
 * `npm run bench -- journal [--cards 1000000]`: November 2026's journal entries
 * (`prepareJournal`: the cards placed in pools, the forecast run as of both month ends, the
 * entries built) on a seeded two-year chain, beside the liability by store and one point
 * forecast over the same ledger (the baselines, same run). Target (issue 21): under 15 s at
 * 1,000,000 cards.
 */
export async function journalBench(args: string[]): Promise<void> {
  const i = args.indexOf('--cards')
  const cards = i >= 0 && args[i + 1] ? Number(args[i + 1]) : 1_000_000
  const dir = join(tmpdir(), `giftcards-journal-bench-${process.pid}`)
  try {
    await runChild('./journal-child.ts', ['seed', String(cards), dir])
    const r = await runChild<{
      journalSeconds: number
      liabilitySeconds: number
      forecastSeconds: number
      entries: { id: string; lines: number }[]
      pools: number
      peakRssMiB: number
    }>('./journal-child.ts', ['measure', String(cards), dir])
    console.log(JSON.stringify({ bench: 'journal', ...r }, null, 2))
    console.log(
      `journal at ${cards.toLocaleString('en-US')} cards: ${r.journalSeconds.toFixed(1)} s for ${r.entries.length} entries (${r.entries.map((e) => `${e.id} ${e.lines} lines`).join(', ')}; ${r.pools} pools) | liability by store ${r.liabilitySeconds.toFixed(1)} s | one point forecast ${r.forecastSeconds.toFixed(1)} s (${(r.journalSeconds / r.forecastSeconds).toFixed(1)}× it) | peak ${r.peakRssMiB} MiB | target < 15 s ${r.journalSeconds < 15 ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
