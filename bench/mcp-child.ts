import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { loadConfig, parseDate } from '../core/index.ts'
import { openDatabase } from '../db/index.ts'
import { createToken } from '../governance/index.ts'
import { seedChain } from '../synth/seed.ts'
import { createToolkit } from '../tools/index.ts'

/** One run of bench/mcp.ts: `CARDS CALLS DIR`. Prints one JSON line. */
const [cardsArg, callsArg, dir = ''] = process.argv.slice(2)
const cards = Number(cardsArg)
const calls = Number(callsArg)
const path = join(dir, 'ledger.db')
const database = await openDatabase({ engine: 'sqlite', path })
await seedChain(database, { cards, seed: 42, startMs: parseDate('2024-11-01'), months: 24 })
const ids = (await database.db.selectFrom('gift_cards').select('id').limit(20_000).execute()).map(
  (r) => r.id,
)
const { token } = await createToken(database, { actorId: 'mcp:bench' })
let seed = 11
const pick = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return ids[seed % ids.length] as string
}
const stats = (xs: number[], seconds: number) => {
  const s = [...xs].sort((a, b) => a - b)
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number
  return { p50Ms: at(0.5), p99Ms: at(0.99), perSecond: xs.length / seconds, n: xs.length }
}
/** Sequential round trips: each call waits for the one before, as a chat client does. */
async function measure(call: (card: string) => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await call(pick())
  const ms: number[] = []
  const started = performance.now()
  for (let i = 0; i < calls; i++) {
    const t = performance.now()
    await call(pick())
    ms.push(performance.now() - t)
  }
  return stats(ms, (performance.now() - started) / 1000)
}

// Baseline: the same call straight into the executor, in process (no protocol, no transport).
const config = loadConfig({ DATABASE_URL: `sqlite:${path}`, LOG_LEVEL: 'silent' })
const toolkit = createToolkit(database, config)
const inProcess = await measure(async (card) => {
  const r = await toolkit.executor.call(
    'get_gift_card',
    { card },
    { actor: { id: 'mcp:bench', role: 'analyst' }, via: 'mcp' },
  )
  if (!r.ok) throw new Error(r.error.message)
})

const bin = fileURLToPath(new URL('../bin/giftcards.js', import.meta.url))
// GIFTCARDS_ALLOW_AS: the benchmark acts as its own actor, mcp:bench (docs/identity.md).
const env = {
  PATH: process.env.PATH ?? '',
  DATABASE_URL: `sqlite:${path}`,
  LOG_LEVEL: 'silent',
  GIFTCARDS_ALLOW_AS: '1',
}
const check = (r: unknown) => {
  if ((r as { isError?: boolean }).isError) throw new Error(JSON.stringify(r))
}

// stdio: `giftcards mcp` as Claude Desktop starts it.
const stdioClient = new Client({ name: 'bench', version: '1' })
await stdioClient.connect(
  new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'mcp', '--as', 'mcp:bench'],
    env,
  }),
)
const stdio = await measure(async (card) =>
  check(await stdioClient.callTool({ name: 'get_gift_card', arguments: { card } })),
)
await stdioClient.close()

// HTTP: `giftcards serve` in its own process, a bearer token, one session.
const server = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
})
const url = await new Promise<string>((resolve, reject) => {
  server.stdout.setEncoding('utf8')
  server.stdout.on('data', (line: string) => {
    const m = /listening on (\S+)/.exec(line)
    if (m?.[1]) resolve(m[1])
  })
  server.on('exit', (code) => reject(new Error(`serve exited with ${code}`)))
})
const httpClient = new Client({ name: 'bench', version: '1' })
await httpClient.connect(
  new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  }),
)
const http = await measure(async (card) =>
  check(await httpClient.callTool({ name: 'get_gift_card', arguments: { card } })),
)
await httpClient.close()
server.kill('SIGTERM')
await database.close()
console.log(JSON.stringify({ cards, calls, inProcess, stdio, http }))
