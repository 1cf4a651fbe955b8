import pg from 'pg'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/index.ts'
import { type Database, openDatabase } from '../../db/index.ts'
import {
  genericSource,
  INTERNAL_ERROR_MESSAGE,
  Inbox,
  signGeneric,
  webhookRoutes,
} from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'
import { SECRETS } from '../helpers/server.ts'

const source = genericSource({ secret: SECRETS.generic })

/** A logger that keeps its lines (JSON objects) for the test to read. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = []
  const logger = pino(
    { level: 'debug', base: undefined },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  )
  return { logger, lines }
}

function body(eventId: string, card: string, amount: number, type = 'load'): string {
  return JSON.stringify({
    event_id: eventId,
    event_type: 'gift_card.transaction.created',
    created_at: '2025-06-01T12:00:00Z',
    data: { gift_card_id: card, transaction_type: type, amount, currency: 'USD' },
  })
}

function parsed(raw: string) {
  return source.parse(raw, new Headers())
}

const url = process.env.TEST_DATABASE_URL

/** A second pool on the same PostgreSQL schema: another server's connections. */
function secondPool(database: Database): Promise<Database> {
  return openDatabase(
    { engine: 'postgres', url: url as string },
    { searchPath: database.searchPath as string, poolSize: 4, migrate: false },
  )
}

const postgres = DIALECTS.find((d) => d.name === 'postgres')

describe.skipIf(!postgres)('two inboxes on one PostgreSQL database', () => {
  let database: Database
  let other: Database
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    const opened = await (postgres as NonNullable<typeof postgres>).open()
    database = opened.database
    cleanup = opened.cleanup
    other = await secondPool(database)
  }, 60_000)
  afterAll(async () => {
    await other?.close()
    await cleanup?.()
  })

  it('store the same deliveries listed in opposite orders without a deadlock', async () => {
    const a = capturingLogger()
    const b = capturingLogger()
    const first = new Inbox(database, [source], [], a.logger)
    const second = new Inbox(other, [source], [], b.logger)
    const raws = Array.from({ length: 200 }, (_, i) =>
      body(`order-${String(i).padStart(3, '0')}`, `gftc:order-${i % 10}`, 1),
    )
    // Each inbox gets every delivery at once (one group), one in order, one reversed.
    const outcomes = await Promise.all([
      ...raws.map((raw) => first.accept('generic', parsed(raw), raw)),
      ...[...raws].reverse().map((raw) => second.accept('generic', parsed(raw), raw)),
    ])
    expect(outcomes.filter((o) => o.status === 'failed')).toEqual([])
    expect(outcomes.reduce((sum, o) => sum + o.applied, 0)).toBe(raws.length)
    // No transaction was aborted as a deadlock and retried: the locks are taken in one order.
    const retried = [...a.lines, ...b.lines].filter((l) => l.kind === 'deadlock')
    expect(retried).toEqual([])
  })

  it('never mark failed a delivery another server applied meanwhile', async () => {
    // A redemption on a card with no money: this server cannot apply it.
    const raw = body('race-1', 'gftc:race', 5, 'redeem')
    const row = await database.db
      .insertInto('webhook_inbox')
      .values({
        source: 'generic',
        event_id: 'race-1',
        event_type: 'gift_card.transaction.created',
        received_at: new Date().toISOString(),
        status: 'pending',
        raw_body: raw,
        processed_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    // Another server is applying it right now: its transaction holds the row.
    const elsewhere = new pg.Client({
      connectionString: url,
      options: `-c search_path=${database.searchPath}`,
    })
    await elsewhere.connect()
    try {
      await elsewhere.query('begin')
      await elsewhere.query(
        "update webhook_inbox set status = 'processed', processed_at = now()::text where id = $1",
        [row.id],
      )
      const { logger } = capturingLogger()
      const replaying = new Inbox(database, [source], [], logger).replay()
      // The replay fails to apply it and waits to record that, behind the other transaction.
      await waitForLockWait(elsewhere)
      await elsewhere.query('commit')
      expect(await replaying).toEqual({ processed: 1, failed: 0 })
    } finally {
      await elsewhere.end()
    }
    const after = await database.db
      .selectFrom('webhook_inbox')
      .select(['status'])
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow()
    expect(after.status).toBe('processed')
  })
})

/** Waits until some backend waits for a lock (the replay's update behind `holder`'s row lock). */
async function waitForLockWait(holder: pg.Client): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const { rows } = await holder.query(
      "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
    )
    if ((rows[0] as { n: number }).n > 0) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('the replay never waited for the row')
}

for (const dialect of DIALECTS) {
  describe(`a webhook whose database fails on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      // A broken ledger: every delivery's insert fails with the engine's own words.
      await database.db.schema.dropTable('webhook_inbox').execute()
    })
    afterAll(async () => {
      await cleanup?.()
    })

    it('answers a generic 500 with a request id, and logs the database error under it', async () => {
      const { logger, lines } = capturingLogger()
      const config = loadConfig({ GENERIC_WEBHOOK_SECRET: SECRETS.generic })
      expect(config.generic.webhookSecret).toBe(SECRETS.generic)
      const app = webhookRoutes(new Inbox(database, [source], [], logger), [source], logger)
      const raw = body('broken-1', 'gftc:broken', 1)
      const res = await app.request('/webhooks/generic', {
        method: 'POST',
        body: raw,
        headers: {
          'content-type': 'application/json',
          'x-giftcards-signature': signGeneric(SECRETS.generic, raw),
        },
      })
      expect(res.status).toBe(500)
      const text = await res.text()
      const requestId = res.headers.get('x-request-id')
      expect(JSON.parse(text)).toEqual({ error: INTERNAL_ERROR_MESSAGE, requestId })
      expect(text).not.toMatch(/webhook_inbox|relation|no such table|sqlite/i)
      const logged = lines.find((l) => l.requestId === requestId)
      expect(String(logged?.err)).toMatch(/webhook_inbox/)
    })
  })
}
