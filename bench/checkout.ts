import { spawn, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signGeneric } from '../ingest/index.ts'
import { drive } from './webhooks.ts'

const SECRET = 'bench-secret'
const CATEGORIES = ['home_goods', 'apparel', 'toys', 'electronics', 'beauty', 'grocery']

/**
 * `npm run bench -- checkout [--cards 100000] [--checkouts 5000] [--concurrency 8]`: signed
 * finalized sales to `POST /pos/checkout` of `giftcards serve` (its own process, SQLite) over a
 * seeded chain, each answered and logged to gift_card_prompts (docs/checkout.md). Beside it, in
 * the same run, the baseline: the same server refusing equally large checkouts with a bad
 * signature (HTTP and HMAC, no model, no database). Target: p99 < 50 ms.
 */
export async function checkoutBench(args: string[]): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(name)
    return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback
  }
  const cards = arg('--cards', 100_000)
  const checkouts = arg('--checkouts', 5_000)
  const concurrency = arg('--concurrency', 8)
  const dbPath = join(tmpdir(), `giftcards-checkout-bench-${process.pid}.db`)
  const bin = fileURLToPath(new URL('../bin/giftcards.js', import.meta.url))
  const env = { ...process.env, DATABASE_URL: `sqlite:${dbPath}`, LOG_LEVEL: 'warn' }
  const seeded = spawnSync(process.execPath, [bin, 'seed', '--cards', String(cards), '--json'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (seeded.status !== 0) throw new Error(`seeding failed with ${seeded.status}`)
  const server = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
    env: { ...env, GENERIC_WEBHOOK_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.setEncoding('utf8')
      server.stdout.on('data', (chunk: string) => {
        const match = /listening on (\S+)/.exec(chunk)
        if (match?.[1]) resolve(match[1])
      })
      server.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
    })
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
    const sale = (i: number) =>
      JSON.stringify({
        order_id: `bench-order-${i}`,
        location_id: `loc_${String((i % 20) + 1).padStart(3, '0')}`,
        created_at: new Date(Date.UTC(2026, i % 12, 1 + (i % 27), 15)).toISOString(),
        currency: 'USD',
        total: `${20 + (i % 300)}.00`,
        items: Array.from({ length: 1 + (i % 6) }, (_, k) => ({
          sku: `SKU-${(i + k) % 500}`,
          category: CATEGORIES[(i + k) % CATEGORIES.length],
          amount: '10.00',
        })),
        customer: { prior_visits: i % 9 },
      })
    const run = (count: number, offset: number, sign: (raw: string) => string) =>
      drive(
        url,
        agent,
        count,
        concurrency,
        (i) => {
          const raw = sale(offset + i)
          return { raw, signature: sign(raw) }
        },
        '/pos/checkout',
      )
    // Warm up (not counted): code paths, and the model the server reads at start.
    await run(300, 10_000_000, (raw) => signGeneric(SECRET, raw))
    const baseline = await run(
      checkouts,
      20_000_000,
      () => `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
    )
    const answered = await run(checkouts, 0, (raw) => signGeneric(SECRET, raw))
    agent.destroy()
    const ok = (answered.statuses[200] ?? 0) === checkouts
    const pass = ok && answered.p99Ms < 50
    console.log(
      JSON.stringify(
        { bench: 'checkout', cards, concurrency, answered, baseline, targets: { p99Ms: 50 } },
        null,
        2,
      ),
    )
    console.log(
      `checkout: p50 ${answered.p50Ms.toFixed(1)} ms, p99 ${answered.p99Ms.toFixed(1)} ms, ${Math.round(answered.perSecond).toLocaleString('en-US')}/s (${concurrency} in flight, ${checkouts.toLocaleString('en-US')} checkouts on ${cards.toLocaleString('en-US')} cards, all 200: ${ok}) | baseline (401, no model, no db) p99 ${baseline.p99Ms.toFixed(1)} ms | p99 ratio ${(answered.p99Ms / baseline.p99Ms).toFixed(2)} | target p99 < 50 ms ${pass ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true })
  }
}
