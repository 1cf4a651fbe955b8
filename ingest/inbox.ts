import type { Transaction } from 'kysely'
import { describeError, type Logger, toIso } from '../core/index.ts'
import { type Database, type DB, type RetryOptions, withDbRetry } from '../db/index.ts'
import { applyBatch, type Normalized } from './apply.ts'
import type { EventListener } from './hooks.ts'
import type { ParsedDelivery, WebhookSource } from './sources/source.ts'

export type InboxStatus = 'processed' | 'duplicate' | 'ignored' | 'failed'

/** Deliveries applied together at most (group commit). */
const MAX_GROUP = 256

/** A stored delivery to apply: its place in the group, its inbox row and its events. */
type ToApply = { index: number; rowId: number; eventId: string; normalized: Normalized }

type Queued = {
  source: string
  delivery: ParsedDelivery
  rawBody: string
  resolve: (outcome: InboxOutcome) => void
  reject: (err: unknown) => void
}

/** Marks inbox rows applied: in the transaction that applied them. */
async function markProcessed(trx: Transaction<DB>, ids: number[]): Promise<void> {
  await trx
    .updateTable('webhook_inbox')
    .set((eb) => ({
      status: 'processed',
      error: null,
      processed_at: toIso(Date.now()),
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', 'in', ids)
    .execute()
}

/**
 * Stores one delivery's raw row. Returns its outcome when there is nothing to apply (ignored,
 * or a duplicate of one already processed), else the row to apply. A redelivery of a
 * delivery that failed or was cut short is another try at it.
 */
async function store(
  trx: Transaction<DB>,
  source: string,
  delivery: ParsedDelivery,
  rawBody: string,
): Promise<InboxOutcome | { rowId: number; normalized: Normalized }> {
  const now = toIso(Date.now())
  const ignored = delivery.normalized === 'ignored'
  const inserted = await trx
    .insertInto('webhook_inbox')
    .values({
      source,
      event_id: delivery.eventId,
      event_type: delivery.eventType,
      received_at: now,
      status: ignored ? 'ignored' : 'pending',
      raw_body: rawBody,
      processed_at: ignored ? now : null,
    })
    .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
    .returning('id')
    .executeTakeFirst()
  let rowId = inserted?.id
  if (rowId === undefined) {
    const existing = await trx
      .selectFrom('webhook_inbox')
      .select(['id', 'status'])
      .where('source', '=', source)
      .where('event_id', '=', delivery.eventId)
      .executeTakeFirstOrThrow()
    if (existing.status !== 'failed' && existing.status !== 'pending') {
      return {
        status: existing.status === 'ignored' ? 'ignored' : 'duplicate',
        eventId: delivery.eventId,
        applied: 0,
      }
    }
    rowId = existing.id
  }
  if (delivery.normalized === 'ignored')
    return { status: 'ignored', eventId: delivery.eventId, applied: 0 }
  return { rowId, normalized: delivery.normalized }
}

export type InboxOutcome = {
  status: InboxStatus
  eventId: string
  /** Ledger events applied by this delivery (0 for a duplicate). */
  applied: number
  error?: string
}

/**
 * The webhook inbox. Every accepted delivery is stored raw before it is applied; applying
 * marks the row `processed` in the same transaction as the ledger changes, so a crash leaves
 * a `pending` row (applied at the next start) and never a half-applied event. A delivery
 * that fails stays `failed` with its error until it is redelivered or replayed, unless another
 * server applied it meanwhile: a row is never `failed` while its event is in the ledger.
 * Several servers may share one database (docs/concurrency.md).
 */
export class Inbox {
  private readonly sources: Map<string, WebhookSource>

  constructor(
    private readonly database: Database,
    sources: readonly WebhookSource[],
    private readonly listeners: readonly EventListener[] = [],
    private readonly logger?: Logger,
    /**
     * `piiKey`: PII_TOKEN_KEY, the key of stub customers' pseudonyms; `maxEventCents`:
     * MAX_EVENT_CENTS, the most one event may move (`applyBatch`'s options).
     */
    private readonly options: { piiKey?: string; maxEventCents?: number } = {},
  ) {
    this.sources = new Map(sources.map((s) => [s.name, s]))
  }

  /**
   * Stores a verified, parsed delivery and applies it. Deliveries that arrive together are
   * grouped (group commit): one transaction stores their raw rows, one applies them all and
   * marks them processed. If the group fails, each delivery is applied on its own, so one bad
   * event fails only its own delivery.
   */
  accept(source: string, delivery: ParsedDelivery, rawBody: string): Promise<InboxOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ source, delivery, rawBody, resolve, reject })
      if (!this.draining) {
        this.draining = true
        // Start on the next macrotask, so deliveries already read from their sockets join.
        setImmediate(() => void this.drain())
      }
    })
  }

  private readonly queue: Queued[] = []
  private draining = false

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP)
        try {
          const outcomes = await this.processGroup(group)
          for (const [i, item] of group.entries()) item.resolve(outcomes[i] as InboxOutcome)
        } catch (err) {
          for (const item of group) item.reject(err)
        }
        // better-sqlite3 never yields to I/O: let waiting requests be read before the next group.
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    } finally {
      this.draining = false
    }
  }

  private async processGroup(group: Queued[]): Promise<InboxOutcome[]> {
    const { outcomes, toApply } = await withDbRetry(
      () => this.storeGroup(group),
      this.retryOptions('storing deliveries'),
    )
    if (toApply.length === 0) return outcomes as InboxOutcome[]

    const normalized: Normalized = {
      events: toApply.flatMap((d) => d.normalized.events),
      cards: toApply.flatMap((d) => d.normalized.cards),
    }
    let result: Awaited<ReturnType<typeof applyBatch>> | undefined
    try {
      result = await applyBatch(this.database, normalized, {
        retry: this.retryOptions('applying deliveries'),
        ...this.options,
        within: (trx) =>
          markProcessed(
            trx,
            toApply.map((d) => d.rowId),
          ),
      })
    } catch {
      // Something in the group cannot apply: apply each delivery alone to find it.
      for (const d of toApply)
        outcomes[d.index] = await this.apply(d.rowId, d.eventId, d.normalized)
      return outcomes as InboxOutcome[]
    }
    await this.notify(result.applied)
    const applied = new Set(result.applied.map((e) => `${e.source}\u0000${e.eventId}`))
    for (const d of toApply) {
      const count = d.normalized.events.filter((e) =>
        applied.has(`${e.source}\u0000${e.eventId}`),
      ).length
      const duplicate = count === 0 && d.normalized.events.length > 0
      outcomes[d.index] = {
        status: duplicate ? 'duplicate' : 'processed',
        eventId: d.eventId,
        applied: count,
      }
    }
    return outcomes as InboxOutcome[]
  }

  /**
   * Stores a group's raw rows in one transaction (run again whole if the engine aborts it).
   * Rows are inserted in key order (source, event id): two servers storing the same deliveries
   * wait for each other instead of each holding a key the other needs (a deadlock on
   * PostgreSQL, docs/concurrency.md).
   */
  private storeGroup(group: Queued[]): Promise<{
    outcomes: (InboxOutcome | undefined)[]
    toApply: ToApply[]
  }> {
    const keyOf = (item: Queued) => `${item.source}\u0000${item.delivery.eventId}`
    const order = [...group.keys()].sort((a, b) => {
      const ka = keyOf(group[a] as Queued)
      const kb = keyOf(group[b] as Queued)
      return ka < kb ? -1 : ka > kb ? 1 : a - b
    })
    return this.database.db.transaction().execute(async (trx) => {
      const outcomes: (InboxOutcome | undefined)[] = []
      const toApply: ToApply[] = []
      const seen = new Set<string>()
      for (const index of order) {
        const item = group[index] as Queued
        const key = keyOf(item)
        if (seen.has(key)) {
          outcomes[index] = { status: 'duplicate', eventId: item.delivery.eventId, applied: 0 }
          continue
        }
        seen.add(key)
        const stored = await store(trx, item.source, item.delivery, item.rawBody)
        if ('status' in stored) outcomes[index] = stored
        else
          toApply.push({
            index,
            rowId: stored.rowId,
            eventId: item.delivery.eventId,
            normalized: stored.normalized,
          })
      }
      // Applied in arrival order, as before (the ledger orders each card's events by time).
      toApply.sort((a, b) => a.index - b.index)
      return { outcomes, toApply }
    })
  }

  /** Options for `withDbRetry`: each retry is logged at debug level. */
  private retryOptions(what: string): RetryOptions {
    return {
      onRetry: ({ attempt, delayMs, kind }) =>
        this.logger?.debug({ attempt, delayMs, kind }, `retrying after contention: ${what}`),
    }
  }

  /** Applies pending rows (left by a crash), and failed ones too with `includeFailed`. */
  async replay(
    options: { includeFailed?: boolean } = {},
  ): Promise<{ processed: number; failed: number }> {
    const statuses = options.includeFailed
      ? (['pending', 'failed'] as const)
      : (['pending'] as const)
    const rows = await this.database.db
      .selectFrom('webhook_inbox')
      .select(['id', 'source', 'event_id', 'event_type', 'raw_body'])
      .where('status', 'in', statuses)
      .orderBy('id')
      .execute()
    let processed = 0
    let failed = 0
    for (const row of rows) {
      const source = this.sources.get(row.source)
      let outcome: InboxOutcome
      if (!source) {
        outcome = await this.fail(
          row.id,
          row.event_id,
          `no webhook source named ${row.source} is configured`,
        )
      } else {
        try {
          const delivery = source.parse(row.raw_body, { eventType: row.event_type ?? '' })
          outcome =
            delivery.normalized === 'ignored'
              ? { status: 'ignored', eventId: row.event_id, applied: 0 }
              : await this.apply(row.id, row.event_id, delivery.normalized)
        } catch (err) {
          outcome = await this.fail(row.id, row.event_id, describeError(err))
        }
      }
      if (outcome.status === 'failed') failed++
      else processed++
    }
    return { processed, failed }
  }

  private async apply(
    rowId: number,
    eventId: string,
    normalized: Normalized,
  ): Promise<InboxOutcome> {
    try {
      const result = await applyBatch(this.database, normalized, {
        retry: this.retryOptions('applying a delivery'),
        ...this.options,
        within: (trx) => markProcessed(trx, [rowId]),
      })
      await this.notify(result.applied)
      const status: InboxStatus =
        result.applied.length === 0 && result.duplicates > 0 ? 'duplicate' : 'processed'
      return { status, eventId, applied: result.applied.length }
    } catch (err) {
      return this.fail(rowId, eventId, describeError(err))
    }
  }

  /**
   * Records that a delivery could not be applied, unless its row was applied meanwhile (by
   * another server that received the same delivery, or a replay): then the event is in the
   * ledger and the outcome is a duplicate. A row is never marked failed over an applied one.
   */
  private async fail(rowId: number, eventId: string, error: string): Promise<InboxOutcome> {
    const updated = await withDbRetry(
      () =>
        this.database.db
          .updateTable('webhook_inbox')
          .set((eb) => ({ status: 'failed', error, attempts: eb('attempts', '+', 1) }))
          .where('id', '=', rowId)
          .where('status', 'in', ['pending', 'failed'])
          .executeTakeFirst(),
      this.retryOptions('recording a failed delivery'),
    )
    if (Number(updated.numUpdatedRows) === 0) {
      this.logger?.info({ eventId }, 'webhook delivery failed here but was applied elsewhere')
      return { status: 'duplicate', eventId, applied: 0 }
    }
    this.logger?.warn({ eventId, error }, 'webhook delivery failed to apply')
    return { status: 'failed', eventId, applied: 0, error }
  }

  private async notify(events: Parameters<EventListener['onEvent']>[0][]): Promise<void> {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          await listener.onEvent(event)
        } catch (err) {
          this.logger?.error(
            { eventId: event.eventId, err: describeError(err) },
            'event listener failed',
          )
        }
      }
    }
  }
}
