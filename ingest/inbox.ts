import { describeError, type Logger, toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { applyBatch, type Normalized } from './apply.ts'
import type { EventListener } from './hooks.ts'
import type { ParsedDelivery, WebhookSource } from './sources/source.ts'

export type InboxStatus = 'processed' | 'duplicate' | 'ignored' | 'failed'

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
 * that fails stays `failed` with its error until it is redelivered or replayed.
 */
export class Inbox {
  private readonly sources: Map<string, WebhookSource>

  constructor(
    private readonly database: Database,
    sources: readonly WebhookSource[],
    private readonly listeners: readonly EventListener[] = [],
    private readonly logger?: Logger,
  ) {
    this.sources = new Map(sources.map((s) => [s.name, s]))
  }

  /** Stores a verified, parsed delivery and applies it. */
  async accept(source: string, delivery: ParsedDelivery, rawBody: string): Promise<InboxOutcome> {
    const { db } = this.database
    const ignored = delivery.normalized === 'ignored'
    const inserted = await db
      .insertInto('webhook_inbox')
      .values({
        source,
        event_id: delivery.eventId,
        event_type: delivery.eventType,
        received_at: toIso(Date.now()),
        status: ignored ? 'ignored' : 'pending',
        raw_body: rawBody,
        processed_at: ignored ? toIso(Date.now()) : null,
      })
      .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
      .returning('id')
      .executeTakeFirst()
    if (!inserted) {
      const existing = await db
        .selectFrom('webhook_inbox')
        .select(['id', 'status'])
        .where('source', '=', source)
        .where('event_id', '=', delivery.eventId)
        .executeTakeFirstOrThrow()
      // A redelivery of a delivery that failed (or was cut short) is another try at it.
      if (
        (existing.status === 'failed' || existing.status === 'pending') &&
        delivery.normalized !== 'ignored'
      ) {
        return this.apply(existing.id, delivery.eventId, delivery.normalized)
      }
      return {
        status: existing.status === 'ignored' ? 'ignored' : 'duplicate',
        eventId: delivery.eventId,
        applied: 0,
      }
    }
    if (delivery.normalized === 'ignored')
      return { status: 'ignored', eventId: delivery.eventId, applied: 0 }
    return this.apply(inserted.id, delivery.eventId, delivery.normalized)
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
      const result = await applyBatch(this.database, normalized, async (trx) => {
        await trx
          .updateTable('webhook_inbox')
          .set((eb) => ({
            status: 'processed',
            error: null,
            processed_at: toIso(Date.now()),
            attempts: eb('attempts', '+', 1),
          }))
          .where('id', '=', rowId)
          .execute()
      })
      await this.notify(result.applied)
      const status: InboxStatus =
        result.applied.length === 0 && result.duplicates > 0 ? 'duplicate' : 'processed'
      return { status, eventId, applied: result.applied.length }
    } catch (err) {
      return this.fail(rowId, eventId, describeError(err))
    }
  }

  private async fail(rowId: number, eventId: string, error: string): Promise<InboxOutcome> {
    await this.database.db
      .updateTable('webhook_inbox')
      .set((eb) => ({ status: 'failed', error, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', rowId)
      .execute()
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
