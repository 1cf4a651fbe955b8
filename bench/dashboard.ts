import { rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from '../app/index.ts'
import { DAY_MS, loadConfig } from '../core/index.ts'
import { type Database, openDatabase } from '../db/index.ts'
import { createToken } from '../governance/index.ts'
import { seedChain } from '../synth/seed.ts'

/** Milliseconds until the first byte of the body of GET `url`, and the status. */
function firstByteMs(url: string, token: string): Promise<{ ms: number; status: number }> {
  return new Promise((resolve, reject) => {
    const began = performance.now()
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let first: number | undefined
      res.on('data', () => {
        first ??= performance.now() - began
      })
      res.on('end', () =>
        resolve({ ms: first ?? performance.now() - began, status: res.statusCode ?? 0 }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Median and 95th percentile of `calls` timings after one warm-up call (warm caches). */
async function timings(url: string, token: string, calls: number) {
  const warm = await firstByteMs(url, token)
  if (warm.status !== 200) throw new Error(`GET ${url}: ${warm.status}`)
  const samples: number[] = []
  for (let i = 0; i < calls; i++) samples.push((await firstByteMs(url, token)).ms)
  samples.sort((a, b) => a - b)
  const at = (q: number) =>
    Number(
      (samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number).toFixed(1),
    )
  return { p50: at(0.5), p95: at(0.95), calls }
}

/**
 * `npm run bench -- dashboard [--cards 1000000] [--calls 20]`: the time to first byte of the
 * overview (`GET /dashboard`, as a manager with a Bearer token: the same page a browser gets)
 * on a seeded SQLite chain of two years, warm, beside `/healthz` on the same server (the floor
 * of an HTTP round trip there), and one chart's PNG end to end (`liability-trend.png`: its tool
 * call, the spec, SVG and PNG). Targets: the overview under 500 ms, the PNG under 200 ms. The overview renders from
 * index-backed reads (liability from the daily rollup, counts); the forecast table and the
 * charts come after the first byte (docs/dashboard.md), and the forecast fragment is timed too,
 * for the record.
 */
export async function dashboardBench(args: string[]): Promise<void> {
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(name)
    return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback
  }
  const cards = option('--cards', 1_000_000)
  const calls = option('--calls', 20)
  const dir = join(tmpdir(), `giftcards-dashboard-bench-${process.pid}`)
  await mkdir(dir, { recursive: true })
  let database: Database | undefined
  let server: Awaited<ReturnType<typeof startServer>> | undefined
  try {
    database = await openDatabase({ engine: 'sqlite', path: join(dir, 'ledger.db') })
    const seedBegan = performance.now()
    await seedChain(database, { cards, seed: 42, startMs: Date.now() - 730 * DAY_MS, months: 24 })
    const seedSeconds = (performance.now() - seedBegan) / 1000
    const { token } = await createToken(database, { actorId: 'mcp:bench', role: 'manager' })
    const config = loadConfig({ LOG_LEVEL: 'silent', AUDIT_CHECKPOINT_FILE: 'off' })
    server = await startServer({ database, config, listeners: [] }, { port: 0, host: '127.0.0.1' })
    const healthz = await timings(`${server.url}/healthz`, token, calls)
    const overview = await timings(`${server.url}/dashboard`, token, calls)
    // One chart's PNG, end to end: its tool call through the executor, the spec, SVG and PNG.
    const png = await timings(`${server.url}/dashboard/charts/liability-trend.png`, token, calls)
    // Once: the forecast's bootstrap takes seconds at any size, and minutes at a million cards.
    const forecast = await firstByteMs(`${server.url}/dashboard/overview/forecast`, token)
    const result = {
      engine: 'sqlite',
      cards,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      overviewTtfbMs: overview,
      healthzTtfbMs: healthz,
      liabilityTrendPngMs: png,
      pngTargetMs: 200,
      forecastFragmentMs: Number(forecast.ms.toFixed(0)),
      targetMs: 500,
      pass: overview.p50 < 500 && png.p50 < 200,
    }
    console.log(JSON.stringify(result, null, 2))
    console.log(
      `dashboard: overview first byte p50 ${overview.p50} ms, p95 ${overview.p95} ms at ${cards.toLocaleString('en-US')} cards (target < 500 ms); the liability-trend PNG p50 ${png.p50} ms (target < 200 ms): ${result.pass ? 'PASS' : 'FAIL'}; /healthz ${healthz.p50} ms; the forecast fragment after it ${result.forecastFragmentMs} ms`,
    )
  } finally {
    await server?.close()
    await database?.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
