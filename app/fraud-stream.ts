import { sql } from 'kysely'
import {
  createFraudListener,
  FRAUD_WARMUP_MS,
  type FraudAlert,
  toScored,
} from '../analytics/index.ts'
import { describeError, type Logger, toIso } from '../core/index.ts'
import { type Database, LEDGER_COLUMNS, readHorizon, SettledHorizon } from '../db/index.ts'

/** The cursor's row in `stream_cursors`. */
const STREAM = 'fraud-stream'
/** Ledger rows scored per read. */
const BATCH = 2_000
/** How long the stream sleeps when it has caught up with the settled horizon. */
const POLL_MS = 100

/** How far the stream is, for `/healthz`. */
export type StreamStatus = {
  /** The last ledger id scored (across leaders). */
  position: number
  /** The highest ledger id. */
  head: number
  /** Ids between the two (an upper bound on unscored events: ids may have gaps). */
  lagEvents: number
  /** When the cursor last moved, or null before the first event. */
  updatedAt: string | null
  /** The instance that leads the stream, or null. */
  leader: string | null
}

/**
 * The streaming fraud detector when several instances share one PostgreSQL
 * (docs/concurrency.md, "Many instances, one database"): the leader reads every event the
 * ledger commits, whichever instance applied it, in id order up to the settled horizon
 * (db/engines/postgres-leases.ts), scores it with the same listener as the in-process hook and
 * stores its alerts (unique per card and rule), then moves the cursor in `stream_cursors`.
 *
 * On taking the lead it bumps the cursor's term and replays, quietly, the events it did not see:
 * those since the stream began, or FRAUD_WARMUP_MS of event time before the cursor if that is
 * shorter (the batch scan's warm-up, the longest any detector looks back; a refund's sale from
 * before that is the batch scan's to judge). So a new leader's detectors hold the state its
 * predecessor's held, and score the next event as it would have. Alerts are stored before the
 * cursor moves: a leader that dies between the two leaves events that its successor scores
 * again, and their alerts are already there (`on conflict do nothing`): none lost, none doubled.
 */
export class LedgerFraudStream {
  private running: Promise<void> | undefined
  private leading = false
  private lastLoopError = 0

  constructor(
    private readonly database: Database,
    private readonly options: {
      instanceId: string
      logger?: Logger
      keepCards?: (cardIds: readonly string[]) => Promise<ReadonlySet<string>>
      onAlert?: (alert: FraudAlert) => void
      pollMs?: number
    },
  ) {}

  /** Starts following the ledger (leadership gained) or stops (lost); idempotent. */
  setLeading(leading: boolean): void {
    this.leading = leading
    if (leading && !this.running)
      this.running = this.follow().finally(() => {
        this.running = undefined
        // Leadership came back while the last run was winding down.
        if (this.leading) this.setLeading(true)
      })
  }

  /** True while the stream follows the ledger (it stops itself when deposed). */
  get following(): boolean {
    return this.running !== undefined
  }

  /** Stops and waits for the current read to end. */
  async stop(): Promise<void> {
    this.leading = false
    await this.running
  }

  async status(): Promise<StreamStatus> {
    const { db } = this.database
    const row = await db
      .selectFrom('stream_cursors')
      .select(['position', 'leader', 'updated_at'])
      .where('name', '=', STREAM)
      .executeTakeFirst()
    const head = await db
      .selectFrom('gift_card_transactions')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirstOrThrow()
    const position = Number(row?.position ?? head.id ?? 0)
    const top = Number(head.id ?? 0)
    return {
      position,
      head: top,
      lagEvents: Math.max(0, top - position),
      updatedAt: row?.updated_at ?? null,
      leader: row?.leader ?? null,
    }
  }

  private async follow(): Promise<void> {
    while (this.leading) {
      try {
        await this.lead()
      } catch (err) {
        // Logged at most every 10 s; the next attempt starts again from the stored cursor.
        if (Date.now() - this.lastLoopError > 10_000) {
          this.lastLoopError = Date.now()
          this.options.logger?.error({ err: describeError(err) }, 'fraud stream stopped; retrying')
        }
        await sleep(1_000)
      }
    }
  }

  /** One term of leadership: take the cursor, replay, then score new events until deposed. */
  private async lead(): Promise<void> {
    const { db } = this.database
    const { term, position: start, epochStart } = await this.takeCursor()
    const listener = createFraudListener(this.database, {
      ...(this.options.logger ? { logger: this.options.logger } : {}),
      ...(this.options.keepCards ? { keepCards: this.options.keepCards } : {}),
      ...(this.options.onAlert ? { onAlert: this.options.onAlert } : {}),
      rethrow: true,
    })
    await this.replay(listener, epochStart, start)
    this.options.logger?.info({ term, position: start }, 'fraud stream: following the ledger')
    const horizon = new SettledHorizon()
    let position = start
    while (this.leading) {
      const settled = horizon.observe(
        await readHorizon((text) => sql.raw<Record<string, unknown>>(text).execute(db)),
      )
      if (settled <= position) {
        await sleep(this.options.pollMs ?? POLL_MS)
        continue
      }
      const rows = await this.rows(position, settled)
      for (const row of rows) await listener.observe(toScored(row))
      const next = rows.length < BATCH ? settled : Number(rows.at(-1)?.id)
      const moved = await db
        .updateTable('stream_cursors')
        .set({ position: next, updated_at: toIso(Date.now()) })
        .where('name', '=', STREAM)
        .where('term', '=', term)
        .executeTakeFirst()
      if (Number(moved.numUpdatedRows) === 0) {
        // Another instance took the lead (this one lost its lock without knowing yet).
        this.options.logger?.warn({ term }, 'fraud stream: deposed, stopping')
        this.leading = false
        return
      }
      position = next
    }
  }

  /** Creates or takes the cursor row, bumping its term (the fencing token). */
  private async takeCursor(): Promise<{ term: number; position: number; epochStart: number }> {
    return this.database.db.transaction().execute(async (trx) => {
      const head = await trx
        .selectFrom('gift_card_transactions')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow()
      // The first leader ever starts at the head: like a single server, the stream scores what
      // arrives from its start on (events before it are the batch scan's).
      const now = toIso(Date.now())
      await trx
        .insertInto('stream_cursors')
        .values({
          name: STREAM,
          position: Number(head.id ?? 0),
          epoch_start: Number(head.id ?? 0),
          term: 0,
          leader: null,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute()
      const row = await trx
        .selectFrom('stream_cursors')
        .select(['position', 'epoch_start', 'term'])
        .where('name', '=', STREAM)
        .forUpdate()
        .executeTakeFirstOrThrow()
      const term = Number(row.term) + 1
      await trx
        .updateTable('stream_cursors')
        .set({ term, leader: this.options.instanceId, updated_at: now })
        .where('name', '=', STREAM)
        .execute()
      return { term, position: Number(row.position), epochStart: Number(row.epoch_start) }
    })
  }

  /**
   * Replays, raising nothing, what was scored before this term: ids after the stream's start up
   * to the cursor, no older in event time than FRAUD_WARMUP_MS before the cursor's event.
   */
  private async replay(
    listener: ReturnType<typeof createFraudListener>,
    epochStart: number,
    position: number,
  ): Promise<void> {
    if (position <= epochStart) return
    const last = await this.database.db
      .selectFrom('gift_card_transactions')
      .select('occurred_at')
      .where('id', '<=', position)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    if (!last) return
    const from = toIso(Date.parse(last.occurred_at) - FRAUD_WARMUP_MS)
    let after = epochStart
    for (;;) {
      const rows = await this.rows(after, position, from)
      for (const row of rows) await listener.observe(toScored(row), true)
      if (rows.length < BATCH) return
      after = Number(rows.at(-1)?.id)
    }
  }

  /** Ledger rows with `after < id <= upTo` in id order (a page), optionally from an instant. */
  private rows(after: number, upTo: number, from?: string) {
    let query = this.database.db
      .selectFrom('gift_card_transactions')
      .select(['id', ...LEDGER_COLUMNS])
      .where('id', '>', after)
      .where('id', '<=', upTo)
    if (from) query = query.where('occurred_at', '>=', from)
    return query.orderBy('id').limit(BATCH).execute()
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
