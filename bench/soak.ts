import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { parseDate } from '../core/index.ts'
import { openDatabase } from '../db/index.ts'
import { slackRequestHeaders, startFakeSlack } from '../evals/slack-loopback.ts'
import { createToken, grantRole } from '../governance/index.ts'
import { signGeneric } from '../ingest/index.ts'
import { seedChain } from '../synth/seed.ts'

const WEBHOOK_SECRET = 'soak-webhook-secret'
const SIGNING_SECRET = 'soak-signing-secret'
const BOT_TOKEN = 'xoxb-soak'
const LP_USER = 'USOAKLP'
const MANAGER_USER = 'USOAKMGR'
const CHANNEL = 'CSOAK'

/** The kinds of traffic the soak mixes, each timed on its own. */
const KINDS = ['webhook', 'mcp', 'slack_event', 'approval'] as const
type Kind = (typeof KINDS)[number]

type Window = {
  /** Minutes since the soak began, at the window's end. */
  atMinutes: number
  rssMb: number
  p99Ms: Record<Kind, number | null>
  requests: Record<Kind, number>
  errors: number
}

/**
 * `npm run bench -- soak [--minutes 30] [--cards 20000]`: mixed traffic against one
 * `giftcards serve` (its own process, SQLite) for the whole run: signed webhook deliveries, MCP
 * tool calls over HTTP with a bearer token, Slack mentions through Bolt's receiver (answered to
 * a loopback Slack Web API), and hold requests approved by a manager's button click, so every
 * face and the approval path run side by side. The run is cut into ten windows; each reports the
 * server's RSS and the p99 of each kind. The first window is the warm-up (caches and JIT fill);
 * the baseline is the run's own start, the mean of windows 2 and 3, against its end, the mean of
 * windows 9 and 10: RSS and p99 may not grow more than 10%.
 */
export async function soakBench(args: string[]): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(name)
    return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback
  }
  const minutes = arg('--minutes', 30)
  const cards = arg('--cards', 20_000)
  const dir = join(tmpdir(), `giftcards-soak-${process.pid}`)
  const dbPath = join(dir, 'soak.db')

  const database = await openDatabase({ engine: 'sqlite', path: dbPath })
  await seedChain(database, { cards, seed: 7, startMs: parseDate('2024-12-01'), months: 24 })
  await grantRole(database, `slack:${LP_USER}`, 'loss_prevention')
  await grantRole(database, `slack:${MANAGER_USER}`, 'manager')
  const { token } = await createToken(database, { actorId: 'mcp:soak' })
  const activeCards = (
    await database.db
      .selectFrom('gift_cards')
      .select('id')
      .where('status', '=', 'active')
      .where('balance_cents', '>', 0)
      .orderBy('id')
      .execute()
  ).map((r) => r.id)

  const slack = await startFakeSlack(BOT_TOKEN)
  const bin = fileURLToPath(new URL('../bin/giftcards.js', import.meta.url))
  const server = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite:${dbPath}`,
      LOG_LEVEL: 'warn',
      GENERIC_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.url,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const mcp = new Client({ name: 'soak', version: '1' })
  try {
    const url = await listeningUrl(server)
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    )
    const traffic = trafficOf(url, mcp, activeCards, database)
    const windows: Window[] = []
    const started = Date.now()
    const windowMs = (minutes * 60_000) / 10
    let round = 0
    while (windows.length < 10) {
      const windowEnd = started + windowMs * (windows.length + 1)
      const latencies = Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<
        Kind,
        number[]
      >
      let errors = 0
      while (Date.now() < windowEnd) {
        const done = await traffic.round(round++)
        for (const [kind, ms] of done.timings) latencies[kind].push(ms)
        errors += done.errors
        // Slack's recorded calls (and streamed messages) would otherwise grow in this process
        // for the whole soak.
        slack.calls.splice(0, slack.calls.length)
        for (const [ts, stream] of slack.streams)
          if (stream.state === 'stopped') slack.streams.delete(ts)
      }
      windows.push({
        atMinutes: Number(((Date.now() - started) / 60_000).toFixed(1)),
        rssMb: rssMb(server.pid),
        p99Ms: Object.fromEntries(KINDS.map((k) => [k, p99(latencies[k])])) as Window['p99Ms'],
        requests: Object.fromEntries(
          KINDS.map((k) => [k, latencies[k].length]),
        ) as Window['requests'],
        errors,
      })
      const w = windows.at(-1) as Window
      console.error(
        `soak ${w.atMinutes} min: rss ${w.rssMb} MB, p99 ${KINDS.map((k) => `${k} ${w.p99Ms[k]?.toFixed(1) ?? '-'}`).join(', ')} ms, ${errors} errors`,
      )
    }
    report(minutes, cards, windows, await traffic.approvalsExecuted())
  } finally {
    await mcp.close().catch(() => {})
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
    await slack.close()
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One round's worth of every kind of traffic, and how long each request took. */
function trafficOf(
  url: string,
  mcp: Client,
  cards: readonly string[],
  database: Awaited<ReturnType<typeof openDatabase>>,
) {
  let delivery = 0
  let held = 0
  const timed = async (kind: Kind, work: () => Promise<boolean>) => {
    const t = performance.now()
    const ok = await work().catch(() => false)
    return { kind, ms: performance.now() - t, ok }
  }
  const webhook = () => {
    const i = delivery++
    const card = `gc-soak-${i % 5000}`
    const body = JSON.stringify({
      event_id: `soak-${i}`,
      event_type: 'gift_card.transaction.created',
      created_at: new Date(Date.now() - 60_000).toISOString(),
      data: {
        gift_card_id: card,
        location_id: `loc_${String((i % 20) + 1).padStart(3, '0')}`,
        transaction_type: i < 5000 ? 'activate' : 'load',
        amount: i < 5000 ? '50.00' : '1.00',
        currency: 'USD',
        order_id: `soak-order-${i}`,
      },
    })
    return fetch(`${url}/webhooks/generic`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-giftcards-signature': signGeneric(WEBHOOK_SECRET, body),
      },
    }).then(async (res) => {
      await res.arrayBuffer()
      return res.status === 200
    })
  }
  const mcpCall = (i: number) => {
    const calls = [
      { name: 'get_gift_card', arguments: { card: cards[i % cards.length] } },
      { name: 'get_liability', arguments: { groupBy: 'jurisdiction' } },
      { name: 'list_fraud_alerts', arguments: { limit: 10 } },
    ]
    const call = calls[i % calls.length] as (typeof calls)[number]
    return mcp.callTool(call).then((r) => !r.isError)
  }
  const slackPost = async (body: string, contentType: string) => {
    const res = await fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        ...slackRequestHeaders(SIGNING_SECRET, body),
      },
      body,
    })
    await res.arrayBuffer()
    return res.status === 200
  }
  const mention = (i: number, user: string, text: string) =>
    slackPost(
      JSON.stringify({
        team_id: 'T1',
        api_app_id: 'A1',
        type: 'event_callback',
        event_id: `EvSoak${i}`,
        event_time: Math.floor(Date.now() / 1000),
        event: {
          type: 'app_mention',
          user,
          text: `<@UBOT> ${text}`,
          ts: `${1_900_000_000 + i}.000100`,
          channel: CHANNEL,
          event_ts: `${1_900_000_000 + i}.000100`,
        },
      }),
      'application/json',
    )
  /** A hold asked for in Slack, then approved by the manager's click once its card is posted. */
  const approval = async (i: number) => {
    const card = cards[(cards.length - 1 - held++) % cards.length] as string
    const before = await maxApprovalId()
    if (!(await mention(i, LP_USER, `hold ${card}, reason: soak round ${i}`))) return false
    const filed = await waitFor(async () =>
      database.db
        .selectFrom('slack_messages')
        .select(['ref_id as id', 'ts as slack_ts', 'channel as slack_channel'])
        .where('kind', '=', 'approval')
        .where('ref_id', '>', before)
        .executeTakeFirst(),
    )
    if (!filed?.slack_ts) return false
    return slackPost(
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          user: { id: MANAGER_USER },
          team: { id: 'T1' },
          channel: { id: filed.slack_channel },
          container: {
            type: 'message',
            message_ts: filed.slack_ts,
            channel_id: filed.slack_channel,
          },
          message: { type: 'message', ts: filed.slack_ts, text: '' },
          trigger_id: 't',
          actions: [
            {
              action_id: 'approval_approve',
              block_id: 'b',
              value: String(filed.id),
              type: 'button',
              action_ts: '1',
            },
          ],
        }),
      }).toString(),
      'application/x-www-form-urlencoded',
    )
  }
  const maxApprovalId = async () =>
    Number(
      (
        await database.db
          .selectFrom('approval_requests')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirst()
      )?.id ?? 0,
    )
  return {
    /** Twenty deliveries, five MCP calls and two Slack questions at once; every tenth round a hold. */
    async round(i: number) {
      const work = [
        ...Array.from({ length: 20 }, () => timed('webhook', webhook)),
        ...Array.from({ length: 5 }, (_, k) => timed('mcp', () => mcpCall(i * 5 + k))),
        ...Array.from({ length: 2 }, (_, k) =>
          timed('slack_event', () =>
            mention(
              i * 2 + k + 10_000_000,
              LP_USER,
              `balance of ${cards[(i * 2 + k) % cards.length]}`,
            ),
          ),
        ),
        ...(i % 10 === 0 ? [timed('approval', () => approval(i))] : []),
      ]
      const done = await Promise.all(work)
      return {
        timings: done.map((d) => [d.kind, d.ms] as const),
        errors: done.filter((d) => !d.ok).length,
      }
    },
    async approvalsExecuted() {
      const rows = await database.db
        .selectFrom('approval_requests')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute()
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
    },
  }
}

function report(
  minutes: number,
  cards: number,
  windows: Window[],
  approvals: Record<string, number>,
): void {
  const mean = (xs: (number | null)[]) =>
    xs.every((x) => x !== null) ? (xs as number[]).reduce((a, b) => a + b, 0) / xs.length : null
  const start = windows.slice(1, 3)
  const end = windows.slice(-2)
  const first = {
    rssMb: mean(start.map((w) => w.rssMb)) as number,
    p99Ms: Object.fromEntries(KINDS.map((k) => [k, mean(start.map((w) => w.p99Ms[k]))])),
  } as Pick<Window, 'rssMb' | 'p99Ms'>
  const last = {
    rssMb: mean(end.map((w) => w.rssMb)) as number,
    p99Ms: Object.fromEntries(KINDS.map((k) => [k, mean(end.map((w) => w.p99Ms[k]))])),
  } as Pick<Window, 'rssMb' | 'p99Ms'>
  const growth = (a: number | null, b: number | null) =>
    a && b ? Number(((b / a - 1) * 100).toFixed(1)) : null
  const rssGrowth = growth(first.rssMb, last.rssMb)
  const p99Growth = Object.fromEntries(
    KINDS.map((k) => [k, growth(first.p99Ms[k], last.p99Ms[k])]),
  ) as Record<Kind, number | null>
  const errors = windows.reduce((sum, w) => sum + w.errors, 0)
  const pass =
    errors === 0 && (rssGrowth ?? 0) <= 10 && KINDS.every((k) => (p99Growth[k] ?? 0) <= 10)
  console.log(
    JSON.stringify(
      { bench: 'soak', minutes, cards, windows, approvals, rssGrowth, p99Growth },
      null,
      2,
    ),
  )
  console.log(
    `soak: ${minutes} min, ${windows.reduce((s, w) => s + KINDS.reduce((t, k) => t + w.requests[k], 0), 0).toLocaleString('en-US')} requests, ${errors} errors | RSS ${first.rssMb.toFixed(0)} → ${last.rssMb.toFixed(0)} MB (${rssGrowth}%) | p99 start → end: ${KINDS.map((k) => `${k} ${first.p99Ms[k]?.toFixed(1)} → ${last.p99Ms[k]?.toFixed(1)} ms`).join(', ')} | approvals ${JSON.stringify(approvals)} | target growth ≤ 10% ${pass ? 'PASS' : 'FAIL'}`,
  )
}

function p99(xs: number[]): number | null {
  if (xs.length === 0) return null
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] as number
}

/** The resident set of a process, from /proc (Linux), in MB. */
function rssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round(kb / 1024)
}

function listeningUrl(server: ReturnType<typeof spawn>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    server.stdout?.setEncoding('utf8')
    server.stdout?.on('data', (chunk: string) => {
      const match = /listening on (\S+)/.exec(chunk)
      if (match?.[1]) resolve(match[1])
    })
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
}

async function waitFor<T>(
  read: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T | undefined> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const value = await read()
    if (value) return value
    await new Promise((r) => setTimeout(r, 50))
  }
  return undefined
}
