import { existsSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { runChild } from './child.ts'

/**
 * `npm run bench -- journal [--cards 1000000] [--ledger DIR]`: November 2026's journal entries
 * (`prepareJournal`: the cards placed in pools, the forecast run as of both month ends, the
 * entries built) on a seeded two-year chain, beside a bare read of the ledger, the liability by
 * store and one point forecast over the same ledger (the baselines, same run: the machine is
 * shared, so the ratio to the bare read is printed with the load average). Target (issue 21): under 15 s at
 * 1,000,000 cards.
 */
export async function journalBench(args: string[]): Promise<void> {
  const i = args.indexOf('--cards')
  const cards = i >= 0 && args[i + 1] ? Number(args[i + 1]) : 1_000_000
  // `--ledger DIR`: a chain seeded there before (the 1M seed takes minutes) is measured again
  // and kept; without it the chain is seeded in a temporary directory and removed.
  const l = args.indexOf('--ledger')
  const kept = l >= 0 ? args[l + 1] : undefined
  const dir = kept ?? join(tmpdir(), `giftcards-journal-bench-${process.pid}`)
  try {
    if (!kept || !existsSync(join(kept, 'ledger.db')))
      await runChild('./journal-child.ts', ['seed', String(cards), dir])
    const r = await runChild<{
      journalSeconds: number
      scanSeconds: number
      liabilitySeconds: number
      forecastSeconds: number
      entries: { id: string; lines: number }[]
      pools: number
      peakRssMiB: number
    }>('./journal-child.ts', ['measure', String(cards), dir])
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')
    console.log(JSON.stringify({ bench: 'journal', loadAverage: load, ...r }, null, 2))
    console.log(
      `journal at ${cards.toLocaleString('en-US')} cards: ${r.journalSeconds.toFixed(1)} s = ${(r.journalSeconds / r.scanSeconds).toFixed(1)}× a bare read of the ledger (${r.scanSeconds.toFixed(1)} s, same run) for ${r.entries.length} entries (${r.entries.map((e) => `${e.id} ${e.lines} lines`).join(', ')}; ${r.pools} pools) | liability by store ${r.liabilitySeconds.toFixed(1)} s | one point forecast ${r.forecastSeconds.toFixed(1)} s (${(r.journalSeconds / r.forecastSeconds).toFixed(1)}× it) | peak ${r.peakRssMiB} MiB | load average ${load} | target < 15 s ${r.journalSeconds < 15 ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    if (!kept) rmSync(dir, { recursive: true, force: true })
  }
}
