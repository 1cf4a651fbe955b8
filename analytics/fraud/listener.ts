import { type CardEvent, describeError, type Logger } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { type FraudAlert, type FraudContext, FraudEngine, type ScoredEvent } from './engine.ts'
import { saveAlerts } from './scan.ts'

/** An event as the ingest hook passes it on (structurally ingest's AppliedEvent). */
export type AppliedLedgerEvent = CardEvent & { cardId: string; balanceAfterCents: number }

/** How long a store without coordinates (a stub) is taken as unplaced before it is read again. */
const RECHECK_UNPLACED_MS = 60_000

/**
 * Streaming fraud scoring for the ingest hook: each applied event is scored as it commits and
 * any alert is stored at once (so a suspect card is known within seconds, not at chargeback
 * time). The detectors are the batch scan's; their state starts at the server's start, so
 * patterns that began before it are the batch scan's to find.
 */
export function createFraudListener(
  database: Database,
  options: {
    logger?: Logger
    onAlert?: (alert: FraudAlert) => void
    /**
     * Which of some cards alerts may be raised on (a pilot's, docs/pilot.md: governance/scope.ts
     * pilotCardFilter); the detectors still watch every event. Unset: every card.
     */
    keepCards?: (cardIds: readonly string[]) => Promise<ReadonlySet<string>>
    /** How long a store without coordinates is taken as unplaced before it is read again. */
    recheckUnplacedMs?: number
    /**
     * Throw when alerts cannot be stored, rather than log: the ledger stream (app/fraud-stream.ts)
     * then keeps its cursor and scores the events again, so no alert is lost.
     */
    rethrow?: boolean
  } = {},
) {
  const locations = new Map<string, { latitude: number; longitude: number } | null>()
  // When a store without coordinates was last read: its master data may arrive while the
  // server runs (docs/ingest.md, "Master data"), so it is read again after a while.
  const unplacedAt = new Map<string, number>()
  const customers = new Map<string, number>()
  let ready: Promise<void> | undefined
  const warm = async () => {
    for (const l of await database.db
      .selectFrom('locations')
      .select(['id', 'latitude', 'longitude'])
      .execute()) {
      locations.set(
        l.id,
        l.latitude !== null && l.longitude !== null
          ? { latitude: l.latitude, longitude: l.longitude }
          : null,
      )
      if (l.latitude === null || l.longitude === null) unplacedAt.set(l.id, Date.now())
    }
  }
  const context: FraudContext = {
    location: (id) => locations.get(id) ?? undefined,
    customerSince: (id) => customers.get(id),
  }
  const engine = new FraudEngine(context)
  const listener = {
    /** Scores an event just applied by this process (the in-process ingest hook). */
    onEvent(event: AppliedLedgerEvent): Promise<void> {
      return listener.observe({
        eventId: event.eventId,
        cardId: event.cardId,
        type: event.type,
        result: event.result ?? 'ok',
        amountCents: event.amountCents,
        balanceAfterCents: event.balanceAfterCents,
        at: Date.parse(event.occurredAt),
        locationId: event.locationId ?? null,
        terminalId: event.terminalId ?? null,
        orderId: event.orderId ?? null,
        customerId: event.customerId ?? null,
        employeeId: event.employeeId ?? null,
      })
    },
    /**
     * Scores an event as the detectors see it (a ledger row, app/fraud-stream.ts). `quiet`
     * updates the detectors' state and raises nothing: a new leader replaying what its
     * predecessor already scored (whose alerts are stored).
     */
    async observe(event: ScoredEvent, quiet = false): Promise<void> {
      ready ??= warm()
      await ready
      const { at } = event
      const unplaced = event.locationId ? unplacedAt.get(event.locationId) : undefined
      if (
        event.locationId &&
        (!locations.has(event.locationId) ||
          (unplaced !== undefined &&
            Date.now() - unplaced >= (options.recheckUnplacedMs ?? RECHECK_UNPLACED_MS)))
      ) {
        const l = await database.db
          .selectFrom('locations')
          .select(['latitude', 'longitude'])
          .where('id', '=', event.locationId)
          .executeTakeFirst()
        const placed = l && l.latitude !== null && l.longitude !== null
        locations.set(
          event.locationId,
          placed ? { latitude: l.latitude as number, longitude: l.longitude as number } : null,
        )
        if (placed) unplacedAt.delete(event.locationId)
        else unplacedAt.set(event.locationId, Date.now())
      }
      if (event.customerId && !customers.has(event.customerId)) {
        const c = await database.db
          .selectFrom('customers')
          .select('created_at')
          .where('id', '=', event.customerId)
          .executeTakeFirst()
        customers.set(event.customerId, c ? Math.min(Date.parse(c.created_at), at) : at)
      }
      engine.quiet = quiet
      const alerts = engine.observe(event)
      engine.quiet = false
      if (alerts.length === 0) return
      try {
        const kept = options.keepCards
          ? await options.keepCards(alerts.map((a) => a.cardId))
          : undefined
        const raised = kept ? alerts.filter((a) => kept.has(a.cardId)) : alerts
        if (raised.length === 0) return
        await saveAlerts(database, raised)
        for (const alert of raised) options.onAlert?.(alert)
      } catch (err) {
        if (options.rethrow) throw err
        options.logger?.error({ err: describeError(err) }, 'could not store fraud alerts')
      }
    },
  }
  return listener
}
