import type { Kysely } from 'kysely'
import { EVENT_SOURCES, type EventSource } from '../../core/index.ts'
import type { DB } from '../schema.ts'

/** When a source last had an event and when its last delivery or sync came in. */
export type SourceTimes = {
  source: EventSource
  /** The newest `occurred_at` of its events in the ledger (null: none). */
  lastEventAt: string | null
  /**
   * When something of it last arrived: its newest webhook delivery (`webhook_inbox`), its
   * poller's last saved progress (`sync_state`, rows named after the source) or, for `import`,
   * the last import checkpoint. Null: nothing recorded.
   */
  lastReceivedAt: string | null
}

/**
 * Each source's event and receipt times (docs/reconciliation.md, "Freshness"). Cheap enough for
 * every `/healthz`: one probe per source of the `(source, occurred_at)` and
 * `(source, received_at)` indexes (migration 0012), plus the two small progress tables
 * (`sync_state`: a row per poller; `import_checkpoints`: a row per file imported).
 */
export async function sourceTimes(db: Kysely<DB>): Promise<SourceTimes[]> {
  const [events, inbox, syncs, imports] = await Promise.all([
    Promise.all(
      EVENT_SOURCES.map((source) =>
        db
          .selectFrom('gift_card_transactions')
          .select((eb) => eb.fn.max('occurred_at').as('at'))
          .where('source', '=', source)
          .executeTakeFirst(),
      ),
    ),
    Promise.all(
      EVENT_SOURCES.map((source) =>
        db
          .selectFrom('webhook_inbox')
          .select((eb) => eb.fn.max('received_at').as('at'))
          .where('source', '=', source)
          .executeTakeFirst(),
      ),
    ),
    db.selectFrom('sync_state').select(['source', 'updated_at']).execute(),
    db
      .selectFrom('import_checkpoints')
      .select((eb) => eb.fn.max('updated_at').as('at'))
      .executeTakeFirst(),
  ])
  return EVENT_SOURCES.map((source, i) => {
    // Pollers name their rows after the source: `square`, `lightspeed`, `lightspeed:gift_cards`,
    // `lightspeed-r`, `clover:balances`.
    const synced = syncs
      .filter(
        (s) =>
          s.source === source ||
          s.source.startsWith(`${source}:`) ||
          s.source.startsWith(`${source}-`),
      )
      .map((s) => s.updated_at)
    const received = [
      inbox[i]?.at ?? null,
      ...synced,
      ...(source === 'import' ? [imports?.at ?? null] : []),
    ].filter((at): at is string => typeof at === 'string')
    return {
      source,
      lastEventAt: events[i]?.at ?? null,
      lastReceivedAt: received.length > 0 ? (received.sort().at(-1) ?? null) : null,
    }
  })
}
