import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signGeneric } from '../ingest/index.ts'

const SECRET = 'bench-secret'

export type Phase = {
  requests: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  statuses: Record<number, number>
}

/**
 * `npm run bench -- webhooks [--events 20000] [--concurrency 16] [--cpu-prof DIR]`: signed generic deliveries
 * over loopback to `giftcards serve` running in its own process (SQLite), from this process.
 * Beside it, in the same run, the baseline: the same server refusing equally large deliveries
 * with a bad signature (HTTP and HMAC, no database). Targets: ≥ 2,000 events/s, p99 < 25 ms.
 */
export async function webhooksBench(args: string[]): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(name)
    return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback
  }
  const events = arg('--events', 20_000)
  const concurrency = arg('--concurrency', 16)
  const dbPath = join(tmpdir(), `giftcards-webhooks-bench-${process.pid}.db`)
  const bin = fileURLToPath(new URL('../bin/giftcards.js', import.meta.url))
  // `--cpu-prof DIR`: the server writes a V8 CPU profile there when it stops.
  const profileDir = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
  const server = spawn(process.execPath, [...profile, bin, 'serve', '--port', '0'], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite:${dbPath}`,
      GENERIC_WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: 'warn',
    },
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
    const body = (i: number) => {
      const card = i % 2000
      const first = i < 2000
      return JSON.stringify({
        event_id: `bench-${i}`,
        event_type: 'gift_card.transaction.created',
        created_at: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
        data: {
          gift_card_id: `gc-bench-${card}`,
          location_id: `store-${card % 40}`,
          transaction_type: first ? 'activate' : 'load',
          amount: first ? '50.00' : '1.00',
          currency: 'USD',
          order_id: `ord-${i}`,
        },
      })
    }
    const run = (count: number, sign: (raw: string) => string): Promise<Phase> =>
      drive(url, agent, count, concurrency, (i) => {
        const raw = body(i)
        return { raw, signature: sign(raw) }
      })

    // Warm up the server's code paths (not counted).
    await run(500, () => 't=1,v1=00')
    const baseline = await run(
      events,
      () => `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
    )
    const deliveries = await run(events, (raw) => signGeneric(SECRET, raw))
    agent.destroy()
    const ratio = deliveries.perSecond / baseline.perSecond
    const pass =
      deliveries.perSecond >= 2000 &&
      deliveries.p99Ms < 25 &&
      (deliveries.statuses[200] ?? 0) === events
    console.log(
      JSON.stringify(
        {
          bench: 'webhooks',
          concurrency,
          deliveries,
          baseline,
          ratio: Number(ratio.toFixed(3)),
          targets: { perSecond: 2000, p99Ms: 25 },
        },
        null,
        2,
      ),
    )
    console.log(
      `webhooks: ${Math.round(deliveries.perSecond).toLocaleString('en-US')} events/s, p50 ${deliveries.p50Ms.toFixed(1)} ms, p99 ${deliveries.p99Ms.toFixed(1)} ms (${concurrency} in flight, ${events.toLocaleString('en-US')} signed deliveries, all 200: ${(deliveries.statuses[200] ?? 0) === events}) | baseline (401 without db) ${Math.round(baseline.perSecond).toLocaleString('en-US')}/s, p99 ${baseline.p99Ms.toFixed(1)} ms | ratio ${ratio.toFixed(3)} | target ≥ 2,000/s and p99 < 25 ms ${pass ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true })
  }
}

/**
 * Sends `count` signed POSTs to `path` (the generic webhook unless told) with `concurrency` in
 * flight; returns throughput, latency and the status codes seen.
 */
export async function drive(
  url: string,
  agent: Agent,
  count: number,
  concurrency: number,
  make: (i: number) => { raw: string; signature: string },
  path = '/webhooks/generic',
): Promise<Phase> {
  const { hostname, port } = new URL(url)
  const latencies: number[] = []
  const statuses: Record<number, number> = {}
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < count) {
      const i = next++
      const { raw, signature } = make(i)
      const t = performance.now()
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            hostname,
            port,
            path,
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(raw),
              'x-giftcards-signature': signature,
            },
          },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end(raw)
      })
      latencies.push(performance.now() - t)
      statuses[status] = (statuses[status] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
  return {
    requests: count,
    seconds,
    perSecond: count / seconds,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    statuses,
  }
}
