import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/index.ts'
import { signGeneric } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'
import { rollupFromLedger, storedRollup } from '../helpers/rollup-reference.ts'
import { SECRETS } from '../helpers/server.ts'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'giftcards.js')

/** Distinct events, each delivered twice (once to each server): 200 deliveries. */
const EVENTS = 100
/** Few cards, stores and customers, so concurrent transactions meet on the same rows. */
const CARDS = 8
const STORES = 5
const CUSTOMERS = 6

/** What no response body may contain: the engines' own words for their errors. */
const DATABASE_TEXT =
  /deadlock|sqlite|database is locked|relation|constraint|violat|duplicate key|syntax error|serializ|SQLSTATE/i

type Delivery = { eventId: string; body: string; amountCents: number; card: string }

/** The deliveries: loads spread over few cards, stores and customers, on two days. */
function deliveries(): Delivery[] {
  const out: Delivery[] = []
  for (let i = 0; i < EVENTS; i++) {
    const card = `gftc:conc-${i % CARDS}`
    const amountCents = 100 + i
    const body = JSON.stringify({
      event_id: `evt-conc-${i}`,
      event_type: 'gift_card.transaction.created',
      created_at: new Date(Date.UTC(2025, 5, 1 + (i % 2), 10, 0, i % 60)).toISOString(),
      data: {
        gift_card_id: card,
        // Some events name a store and a customer (stub rows to insert), most do not: those
        // transactions start by reading their cards.
        ...(i % 4 === 0
          ? { location_id: `store-conc-${i % STORES}`, customer_id: `cust-conc-${i % CUSTOMERS}` }
          : {}),
        transaction_type: i < CARDS ? 'activate' : 'load',
        amount: amountCents / 100,
        currency: 'USD',
      },
    })
    out.push({ eventId: `evt-conc-${i}`, body, amountCents, card })
  }
  return out
}

/** A deterministic shuffle (mulberry32), so each server sees the events in another order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** A `giftcards serve` process on a free port of 127.0.0.1, and what it wrote to stderr. */
type ServeProcess = { url: string; child: ChildProcess; stderr: () => string }

async function serve(databaseUrl: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      GENERIC_WEBHOOK_SECRET: SECRETS.generic,
      // Debug: each retry after contention is logged with its kind (deadlock, busy, …).
      LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000)
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

async function stop(server: ServeProcess | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
}

/** The URL a child process needs to reach the same database (and, on PostgreSQL, schema). */
function databaseUrl(database: Database): string {
  if (database.engine === 'sqlite') return database.describe
  const url = new URL(process.env.TEST_DATABASE_URL as string)
  url.searchParams.set('options', `-c search_path=${database.searchPath}`)
  return url.toString()
}

/** Deliveries in flight at once per server. */
const IN_FLIGHT = 6

/** Runs `work` over `items` with at most `limit` at a time; results in the items' order. */
async function inFlight<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return results
}

type Answer = { status: number; text: string; eventId: string }

async function deliver(url: string, d: Delivery): Promise<Answer> {
  const res = await fetch(`${url}/webhooks/generic`, {
    method: 'POST',
    body: d.body,
    headers: {
      'content-type': 'application/json',
      'x-giftcards-signature': signGeneric(SECRETS.generic, d.body),
    },
  })
  return { status: res.status, text: await res.text(), eventId: d.eventId }
}

for (const dialect of DIALECTS) {
  describe(`two serve processes on one ${dialect.name} database`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let dir: string
    const servers: ServeProcess[] = []

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'giftcards-two-servers-'))
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      const url = databaseUrl(database)
      servers.push(...(await Promise.all([serve(url), serve(url)])))
    }, 45_000)
    afterAll(async () => {
      await Promise.all(servers.map(stop))
      await cleanup?.()
      rmSync(dir, { recursive: true, force: true })
    })

    it('answers 200 duplicate deliveries without a 5xx, applying each event exactly once', async () => {
      const [a, b] = servers as [ServeProcess, ServeProcess]
      const all = deliveries()
      // Every event goes to both servers at once, each in its own order: the first half in one
      // burst (large groups, the same rows in other orders), the second a few in flight at a
      // time (many short transactions meeting each other).
      const half = all.length / 2
      const wave = (items: Delivery[], limit: number) =>
        Promise.all([
          inFlight(shuffled(items, 1), limit, (d) => deliver(a.url, d)),
          inFlight(shuffled(items, 2), limit, (d) => deliver(b.url, d)),
        ])
      const answers = [
        ...(await wave(all.slice(0, half), half)),
        ...(await wave(all.slice(half), IN_FLIGHT)),
      ].flat()
      const logs = `${a.stderr()}\n${b.stderr()}`

      const failures = answers.filter((x) => x.status >= 500)
      expect(
        failures.map((x) => `${x.status} ${x.text}`),
        logs,
      ).toEqual([])
      expect(answers.map((x) => x.status).filter((s) => s !== 200)).toEqual([])
      for (const x of answers) expect(x.text).not.toMatch(DATABASE_TEXT)

      // Each event applied by exactly one of its two deliveries; the other is a duplicate.
      const outcomes = answers.map(
        (x) => JSON.parse(x.text) as { status: string; eventId: string; applied: number },
      )
      for (const d of all) {
        const mine = outcomes.filter((o) => o.eventId === d.eventId)
        expect(mine.map((o) => o.applied).sort(), d.eventId).toEqual([0, 1])
        expect(mine.map((o) => o.status).sort(), d.eventId).toEqual(['duplicate', 'processed'])
      }

      // The ledger holds each event once, and each card the sum of its events.
      const ledger = await database.db
        .selectFrom('gift_card_transactions')
        .select(['event_id', 'card_id', 'amount_cents'])
        .where('source', '=', 'generic')
        .execute()
      expect(ledger.map((r) => r.event_id).sort()).toEqual(all.map((d) => d.eventId).sort())
      const cards = await database.db
        .selectFrom('gift_cards')
        .select(['id', 'balance_cents'])
        .where('id', 'like', 'gftc:conc-%')
        .orderBy('id')
        .execute()
      const expected = new Map<string, number>()
      for (const d of all) expected.set(d.card, (expected.get(d.card) ?? 0) + d.amountCents)
      expect(cards.map((c) => [c.id, Number(c.balance_cents)])).toEqual(
        [...expected].sort((x, y) => (x[0] < y[0] ? -1 : 1)),
      )

      // Every inbox row says what the ledger says: applied, never failed or left pending.
      const inbox = await database.db
        .selectFrom('webhook_inbox')
        .select(['event_id', 'status', 'error'])
        .where('source', '=', 'generic')
        .execute()
      expect(inbox).toHaveLength(EVENTS)
      expect(inbox.filter((r) => r.status !== 'processed')).toEqual([])

      // Locks are taken in one order: no transaction was aborted as a deadlock (and retried).
      expect(logs).not.toMatch(/"kind":"deadlock"/)

      // The daily rollup the two writers kept equals the one worked out from the ledger.
      expect(await storedRollup(database)).toEqual(await rollupFromLedger(database))
    }, 30_000)
  })
}
