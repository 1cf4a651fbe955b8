import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runChild } from './child.ts'

type Stats = { p50Ms: number; p99Ms: number; perSecond: number; n: number }

/**
 * `npm run bench -- mcp [--cards 1000000] [--calls 2000]`: `tools/call get_gift_card` round trips,
 * one after another as a chat client makes them, over stdio (`giftcards mcp`) and over Streamable
 * HTTP (`giftcards serve`, bearer token, one session), beside the same call made in process
 * straight into the executor (the baseline: what the protocol and transport add).
 */
export async function mcpBench(args: string[]): Promise<void> {
  const flag = (name: string, fallback: number) => {
    const i = args.indexOf(name)
    return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback
  }
  const cards = flag('--cards', 1_000_000)
  const calls = flag('--calls', 2000)
  const dir = join(tmpdir(), `giftcards-mcp-bench-${process.pid}`)
  try {
    const r = await runChild<{ inProcess: Stats; stdio: Stats; http: Stats }>('./mcp-child.ts', [
      String(cards),
      String(calls),
      dir,
    ])
    console.log(JSON.stringify({ bench: 'mcp', cards, ...r }, null, 2))
    const line = (name: string, s: Stats) =>
      `${name} ${s.perSecond.toFixed(0)} calls/s, p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms (${(s.p50Ms / r.inProcess.p50Ms).toFixed(1)}× in-process p50)`
    console.log(
      `mcp at ${cards.toLocaleString('en-US')} cards, get_gift_card: ${line('stdio', r.stdio)} | ${line('HTTP', r.http)} | in process ${r.inProcess.perSecond.toFixed(0)} calls/s, p50 ${r.inProcess.p50Ms.toFixed(2)} ms, p99 ${r.inProcess.p99Ms.toFixed(2)} ms`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
