import { type ChildProcess, spawn } from 'node:child_process'
import { Agent, request } from 'node:http'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { scanLedger } from '../analytics/index.ts'
import { openDatabase } from '../db/index.ts'
import { signGeneric } from '../ingest/index.ts'

/**
 * `npm run bench -- multi-instance [--instances 3] [--deliveries 20000] [--cards 2000]
 * [--concurrency 24]`: several `giftcards serve` processes on one PostgreSQL (DATABASE_URL or
 * TEST_DATABASE_URL), signed generic deliveries spread across them, the leader killed with
 * `kill -9` half way and started again. Then the checks of docs/concurrency.md ("Many
 * instances, one database"): every delivery answered 2xx is in the ledger exactly once, every
 * balance is the sum of its card's transactions, and the alerts equal those of one instance
 * given the same traffic (a second run, in a schema of its own). test/bench/multi-instance.test.ts
 * runs a small one.
 */

const SECRET = 'multi-instance-bench-secret'
const BIN = fileURLToPath(new URL('../bin/giftcards.js', import.meta.url))

/** One delivery: its event id, card, signed effect in cents and body. */
type Delivery = { eventId: string; card: string; cents: number; body: string }

/**
 * The traffic: per card an activation, then loads and spends in time order, with the patterns
 * the per-card detectors raise: a drain at another store within the hour of activation (every
 * 7th card), reload-and-drain cycles (every 11th), uses at two stores minutes apart (every 13th).
 * Each card's events are delivered one after the other (a till does not redeem a card before its
 * activation answered); cards interleave freely. The span is hours, inside the stream's replay
 * window (FRAUD_WARMUP_MS), so a new leader's detectors hold all of it.
 */
export function multiInstanceTraffic(deliveries: number, cards: number): Delivery[][] {
  const perCard: Delivery[][] = Array.from({ length: cards }, () => [])
  const base = Date.UTC(2026, 10, 2, 8, 0, 0)
  let n = 0
  const add = (c: number, minute: number, type: string, cents: number, store: number) => {
    const eventId = `mi-${c}-${perCard[c]?.length ?? 0}`
    const card = `gftc:mi-${c}`
    const signed = type === 'redeem' ? -cents : cents
    const body = JSON.stringify({
      event_id: eventId,
      event_type: 'gift_card.transaction.created',
      created_at: new Date(base + (c % 60) * 60_000 + minute * 60_000).toISOString(),
      data: {
        gift_card_id: card,
        location_id: `store-mi-${store}`,
        transaction_type: type,
        amount: (cents / 100).toFixed(2),
        currency: 'USD',
      },
    })
    perCard[c]?.push({ eventId, card, cents: signed, body })
    n++
  }
  // Round robin over cards so that any prefix of the traffic has every card started.
  const balance = new Array<number>(cards).fill(0)
  const put = (c: number, minute: number, type: string, cents: number, store: number) => {
    balance[c] = (balance[c] ?? 0) + (type === 'redeem' ? -cents : cents)
    add(c, minute, type, cents, store)
  }
  while (n < deliveries) {
    for (let c = 0; c < cards && n < deliveries; c++) {
      const home = c % 40
      const step = perCard[c]?.length ?? 0
      const reloader = c % 11 === 0 && c % 7 !== 0
      if (step === 0) put(c, 0, 'activate', reloader ? 1_000 : 10_000, home)
      else if (c % 7 === 0 && step === 1) put(c, 20, 'redeem', 9_500, (home + 1) % 40)
      else if (reloader && step <= 4) {
        // Load 50.00, then spend all but 2.00 ten minutes later; twice.
        if (step % 2 === 1) put(c, 30 * step, 'load', 5_000, home)
        else put(c, 30 * step - 20, 'redeem', (balance[c] ?? 0) - 200, home)
      } else if (c % 13 === 0 && c % 7 !== 0 && step <= 2)
        put(c, 5 * step, 'redeem', 500, (home + 3 * (step - 1)) % 40)
      else {
        const cents = 100 + (step % 5)
        const spend = step % 3 === 0 && (balance[c] ?? 0) >= cents
        put(c, 200 + 45 * step, spend ? 'redeem' : 'load', cents, home)
      }
    }
  }
  return perCard
}

type Instance = { url: string; child: ChildProcess; stderr: () => string }

/** Contention retries the servers logged, by kind, over every server of a run (killed ones too). */
type RetryCounts = Record<string, number>

/**
 * Starts `giftcards serve` on a free 127.0.0.1 port over the given database URL. At `debug` the
 * server logs each retry after contention with its kind (docs/concurrency.md); they are counted.
 */
async function serve(databaseUrl: string, retried: RetryCounts): Promise<Instance> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      GENERIC_WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let partial = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString()
    const lines = text.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      const kind = /"kind":"(\w+)"/.exec(line)?.[1]
      if (kind) retried[kind] = (retried[kind] ?? 0) + 1
    }
    stderr = (stderr + chunk.toString()).slice(-20_000)
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 90_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const found = /listening on (http:\/\/\S+)/.exec(stdout)
      if (found) {
        clearTimeout(timer)
        resolve(found[1] as string)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}: ${stderr}`))
    })
  })
  return { url, child, stderr: () => stderr }
}

async function stop(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return
  const exited = new Promise((resolve) => instance.child.once('exit', resolve))
  instance.child.kill('SIGTERM')
  await exited
}

/** POSTs one signed delivery; resolves with the status, or 0 when the connection failed. */
function post(url: string, agent: Agent, raw: string): Promise<number> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const req = request(
      {
        hostname,
        port,
        path: '/webhooks/generic',
        method: 'POST',
        agent,
        timeout: 10_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(raw),
          'x-giftcards-signature': signGeneric(SECRET, raw),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', () => resolve(0))
      },
    )
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(0))
    req.end(raw)
  })
}

async function readHealth(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`${url}/healthz`)
    return res.ok ? ((await res.json()) as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The URL of one schema of the database at `url`. */
function schemaUrl(url: string, schema: string): string {
  const u = new URL(url)
  u.searchParams.set('options', `-c search_path=${schema}`)
  return u.toString()
}

export type RunResult = {
  instances: number
  deliveries: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  /** Attempts that got no 2xx (refused connections of the killed instance, 5xx) and were resent. */
  retries: number
  /** Non-2xx statuses seen, by status (0: the connection failed). */
  failures: Record<number, number>
  killed?: { afterDeliveries: number; wasLeader: boolean; restartedInMs: number }
  /** Every 2xx delivery's event once in the ledger, and nothing else. */
  exactlyOnce: boolean
  missing: number
  doubled: number
  /** Cards whose balance differs from the sum of their transactions. */
  balanceMismatches: number
  /** The alerts, as sorted `card_id rule` keys. */
  alerts: string[]
  /** What the batch scan finds on the final ledger (the same keys): the stream should equal it. */
  scanned: string[]
  /** Cards whose stored alerts differ from the scan's, with their ledger rows in id order. */
  unlike: { key: string; rows: unknown[] }[]
  /** `deadlock` retries the servers logged (docs/concurrency.md: none expected). */
  deadlocks: number
  /** Every contention retry the servers logged, by kind (deadlock, serialization, busy…). */
  contentionRetries: RetryCounts
  /** Each live server's `/healthz` instance and stream at the end. */
  health: { role: string; instances: number; lagEvents: number; leader: string | null }[]
}

/**
 * One run in a fresh schema: `instances` servers, the traffic spread over them round robin
 * with `concurrency` cards in flight, each delivery resent to the next live server until it
 * gets a 2xx (as a POS retries). With `kill`, the leader is killed with SIGKILL once that share
 * of the deliveries is answered, and started again a moment later.
 */
export async function runMultiInstance(options: {
  databaseUrl: string
  instances: number
  deliveries: number
  cards: number
  concurrency: number
  kill?: number
  /** Called with the run's schema (and its URL) before it is dropped: a test's own checks. */
  inspect?: (schemaUrl: string, schema: string) => Promise<void>
}): Promise<RunResult> {
  const schema = `mi_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new pg.Client({ connectionString: options.databaseUrl })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  const url = schemaUrl(options.databaseUrl, schema)
  const servers: (Instance | undefined)[] = []
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency })
  const retried: RetryCounts = {}
  try {
    // Migrated here first (two processes creating Kysely's own lock table at once race), then
    // the servers all start at once.
    const ledger = await openDatabase(
      { engine: 'postgres', url: options.databaseUrl },
      { searchPath: schema, poolSize: 1 },
    )
    await ledger.close()
    servers.push(
      ...(await Promise.all(Array.from({ length: options.instances }, () => serve(url, retried)))),
    )
    const traffic = multiInstanceTraffic(options.deliveries, options.cards)
    const total = traffic.reduce((sum, d) => sum + d.length, 0)
    const latencies: number[] = []
    const failures: Record<number, number> = {}
    const accepted = new Set<string>()
    let retries = 0
    let answered = 0
    let turn = 0
    let killed: RunResult['killed']
    let killing: Promise<void> | undefined
    const killAt = options.kill !== undefined ? Math.floor(total * options.kill) : -1

    const killLeader = async () => {
      const found = await Promise.all(
        servers.map(async (s) =>
          s ? ((await readHealth(s.url))?.instance as { role?: string }) : undefined,
        ),
      )
      let index = found.findIndex((f) => f?.role === 'leader')
      const wasLeader = index >= 0
      if (index < 0) index = 0
      const victim = servers[index] as Instance
      servers[index] = undefined
      const exited = new Promise((resolve) => victim.child.once('exit', resolve))
      victim.child.kill('SIGKILL')
      await exited
      const t = performance.now()
      await new Promise((resolve) => setTimeout(resolve, 200))
      servers[index] = await serve(url, retried)
      killed = {
        afterDeliveries: answered,
        wasLeader,
        restartedInMs: Math.round(performance.now() - t),
      }
    }

    const deliver = async (d: Delivery) => {
      for (let attempt = 0; ; attempt++) {
        const live = servers.filter((s): s is Instance => s !== undefined)
        const target = live[turn++ % live.length] as Instance
        const t = performance.now()
        const status = await post(target.url, agent, d.body)
        if (status >= 200 && status < 300) {
          latencies.push(performance.now() - t)
          accepted.add(d.eventId)
          answered++
          if (answered === killAt) killing = killLeader()
          return
        }
        failures[status] = (failures[status] ?? 0) + 1
        retries++
        if (attempt > 50) throw new Error(`delivery ${d.eventId} got no 2xx in 50 attempts`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }

    const started = performance.now()
    let nextCard = 0
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (nextCard < traffic.length) {
          const card = traffic[nextCard++] as Delivery[]
          for (const d of card) await deliver(d)
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    await killing

    // The stream has scored everything once its cursor reaches the head.
    const deadline = Date.now() + 60_000
    for (;;) {
      const live = servers.filter((s): s is Instance => s !== undefined)
      const h = (await readHealth(live[0]?.url ?? ''))?.fraudStream as
        | { position: number; head: number }
        | undefined
      if (h && h.position >= h.head) break
      if (Date.now() > deadline) throw new Error('the fraud stream did not catch up in 60 s')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    const { rows: counts } = await admin.query<{ event_id: string; n: string }>(
      `select event_id, count(*) as n from ${schema}.gift_card_transactions group by event_id`,
    )
    const inLedger = new Map(counts.map((r) => [r.event_id, Number(r.n)]))
    let missing = 0
    let doubled = 0
    for (const id of accepted) {
      const n = inLedger.get(id) ?? 0
      if (n === 0) missing++
      if (n > 1) doubled++
    }
    const extra = [...inLedger.keys()].filter((id) => !accepted.has(id)).length
    const { rows: mismatched } = await admin.query<{ n: string }>(
      `select count(*) as n from ${schema}.gift_cards c
       where c.balance_cents <> coalesce((select sum(t.amount_cents)
         from ${schema}.gift_card_transactions t where t.card_id = c.id), 0)`,
    )
    const { rows: alerts } = await admin.query<{ key: string }>(
      `select card_id || ' ' || rule as key from ${schema}.fraud_alerts order by 1`,
    )
    latencies.sort((a, b) => a - b)
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
    const ledgerForScan = await openDatabase(
      { engine: 'postgres', url: options.databaseUrl },
      { searchPath: schema, poolSize: 2, migrate: false },
    )
    let scanned: string[]
    const unlike: RunResult['unlike'] = []
    try {
      scanned = (await scanLedger(ledgerForScan)).map((a) => `${a.cardId} ${a.rule}`).sort()
      const stored = alerts.map((a) => a.key)
      const difference = alertDifference(stored, scanned)
      for (const key of [...difference.onlyFirst, ...difference.onlySecond])
        unlike.push({
          key,
          rows: await ledgerForScan.db
            .selectFrom('gift_card_transactions')
            .select(['id', 'event_id', 'type', 'amount_cents', 'occurred_at', 'location_id'])
            .where('card_id', '=', key.split(' ')[0] as string)
            .orderBy('id')
            .execute(),
        })
    } finally {
      await ledgerForScan.close()
    }
    const health = await Promise.all(
      servers.map(async (s) => {
        const h = s ? await readHealth(s.url) : undefined
        const instance = h?.instance as { role: string; instances: number } | undefined
        const stream = h?.fraudStream as { lagEvents: number; leader: string | null } | undefined
        return {
          role: instance?.role ?? 'down',
          instances: instance?.instances ?? 0,
          lagEvents: stream?.lagEvents ?? -1,
          leader: stream?.leader ?? null,
        }
      }),
    )
    await options.inspect?.(url, schema)
    return {
      health,
      instances: options.instances,
      deliveries: total,
      seconds,
      perSecond: total / seconds,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      retries,
      failures,
      ...(killed ? { killed } : {}),
      exactlyOnce: missing === 0 && doubled === 0 && extra === 0 && accepted.size === total,
      missing,
      doubled,
      balanceMismatches: Number(mismatched[0]?.n ?? 0),
      alerts: alerts.map((a) => a.key),
      scanned,
      unlike,
      deadlocks: retried.deadlock ?? 0,
      contentionRetries: retried,
    }
  } finally {
    agent.destroy()
    await Promise.all(servers.map((s) => (s ? stop(s) : undefined)))
    await admin.query(`drop schema if exists ${schema} cascade`).catch(() => undefined)
    await admin.end()
  }
}

/** Compares two alert lists: what only one of them has. */
export function alertDifference(a: readonly string[], b: readonly string[]) {
  const setB = new Set(b)
  const setA = new Set(a)
  return { onlyFirst: a.filter((x) => !setB.has(x)), onlySecond: b.filter((x) => !setA.has(x)) }
}

export async function multiInstanceBench(args: string[]): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(name)
    return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback
  }
  const databaseUrl = process.env.DATABASE_URL?.startsWith('postgres')
    ? process.env.DATABASE_URL
    : process.env.TEST_DATABASE_URL
  if (!databaseUrl?.startsWith('postgres'))
    throw new Error('multi-instance needs PostgreSQL: set DATABASE_URL or TEST_DATABASE_URL')
  const deliveries = arg('--deliveries', 20_000)
  const cards = arg('--cards', 2_000)
  const concurrency = arg('--concurrency', 24)
  const instances = arg('--instances', 3)
  const many = await runMultiInstance({
    databaseUrl,
    instances,
    deliveries,
    cards,
    concurrency,
    kill: 0.5,
  })
  const single = await runMultiInstance({
    databaseUrl,
    instances: 1,
    deliveries,
    cards,
    concurrency,
  })
  const difference = alertDifference(many.alerts, single.alerts)
  const sameAlerts = difference.onlyFirst.length === 0 && difference.onlySecond.length === 0
  const pass = many.exactlyOnce && many.balanceMismatches === 0 && sameAlerts
  const { alerts: manyAlerts, scanned: manyScanned, ...manyRest } = many
  const { alerts: singleAlerts, scanned: singleScanned, ...singleRest } = single
  console.log(
    JSON.stringify(
      {
        bench: 'multi-instance',
        many: { ...manyRest, alerts: manyAlerts.length, scanned: manyScanned.length },
        single: { ...singleRest, alerts: singleAlerts.length, scanned: singleScanned.length },
        difference,
      },
      null,
      2,
    ),
  )
  console.log(
    `multi-instance: ${instances} instances, ${many.deliveries.toLocaleString('en-US')} deliveries, ${Math.round(many.perSecond).toLocaleString('en-US')}/s, p50 ${many.p50Ms.toFixed(1)} ms, p99 ${many.p99Ms.toFixed(1)} ms, ${many.retries} resent after the kill -9 of the ${many.killed?.wasLeader ? 'leader' : 'an instance'} | exactly once ${many.exactlyOnce}, balances ${many.balanceMismatches === 0}, deadlocks ${many.deadlocks} | alerts ${many.alerts.length} vs one instance ${single.alerts.length} (${Math.round(single.perSecond).toLocaleString('en-US')}/s, p99 ${single.p99Ms.toFixed(1)} ms): ${sameAlerts ? 'equal' : 'DIFFERENT'} | ${pass ? 'PASS' : 'FAIL'}`,
  )
}
