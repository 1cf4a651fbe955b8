import {
  type CardEvent,
  centsToMajor,
  GiftCardError,
  movesNoMoney,
  type TransactionType,
} from '../core/index.ts'
import type { LedgerWriter, StoredOriginal } from '../db/index.ts'

/**
 * Voids (docs/pos-vocabulary.md). A void names the event it reverses (`originalEventId`, same
 * source, same card) and is applied as a ledger row of its own with the opposite of that
 * event's stored amount: a voided redemption gives the value back, a voided activation or load
 * takes it off again (refused like any debit if it is no longer there). An event is voided
 * once (`ledger_voids`); a void of a void, of an event that moved nothing, of another card's
 * event or of an event the ledger does not hold is refused, naming both events.
 */

/** The event a void reverses: as the ledger holds it, or as this batch applies it. */
type Original = {
  key: string
  eventId: string
  cardId: string
  type: TransactionType
  occurredAt: string
  locationId: string | null
  /** What it stored; for an event of the same batch, known once it is replayed (`record`). */
  amountCents: number | undefined
}

/** What the ledger holds of a batch's voids' originals: by source and event id (`keyOf`). */
export type VoidTargets = { stored: Map<string, StoredOriginal>; voidedBy: Map<string, string> }

/** Options of `VoidBatch.plan`. */
type PlanOptions = { queued: boolean; expectNew: boolean; again: () => Error }

function keyOf(source: string, eventId: string): string {
  return `${source}\u0000${eventId}`
}

/** An id as a message quotes it: at most 40 characters. */
function quoted(id: string): string {
  return id.length > 40 ? `${id.slice(0, 40)}…` : id
}

function refuse(message: string): GiftCardError {
  return new GiftCardError('CONFLICT', message)
}

/**
 * The voids of one batch and the events they reverse, found before the batch is replayed
 * (pure: what the ledger holds of the originals is read first, `lookUpVoids`). The replay
 * asks `reverse` for each void (its amount is the opposite of what the original stored) and
 * tells `record` what each event stored; `rows` are then the `ledger_voids` rows to write.
 */
export class VoidBatch {
  private readonly originals = new Map<CardEvent, Original>()
  /** Stored amounts of this batch's events that a void of the batch reverses. */
  private readonly amounts = new Map<string, number>()
  private readonly reversedInBatch = new Set<string>()
  private readonly rows_: unknown[][] = []

  private constructor() {}

  /**
   * Finds what each void of `fresh` (events new to the ledger, in the batch's order) reverses,
   * in the batch or in `found` (what the ledger holds: `lookUpVoids`), and returns the events
   * to apply: the others first, then the voids, each dated no earlier than its original and at
   * its store unless it names one, so it replays after it. Throws a CONFLICT naming the void
   * when it cannot apply; `again()` when its original may be queued on a deferred writer
   * (`queued`) or it is already applied (`expectNew`): the batch is then applied again,
   * looking events up on one connection.
   */
  static plan(
    fresh: CardEvent[],
    found: VoidTargets,
    options: PlanOptions,
  ): { events: CardEvent[]; voids: VoidBatch | undefined } {
    const voids = fresh.filter((e) => e.type === 'void')
    if (voids.length === 0) return { events: fresh, voids: undefined }
    const inBatch = eventsByKey(fresh)
    const batch = new VoidBatch()
    const planned: CardEvent[] = []
    for (const v of voids) {
      const original = batch.originalOf(v, inBatch, found.stored, found.voidedBy, options)
      const occurredAt = [v.occurredAt, original.occurredAt].sort()[1] as string
      const locationId = v.locationId ?? original.locationId ?? undefined
      const event: CardEvent = { ...v, occurredAt, ...(locationId ? { locationId } : {}) }
      batch.originals.set(event, original)
      if (original.amountCents === undefined) batch.reversedInBatch.add(original.key)
      planned.push(event)
    }
    return { events: [...fresh.filter((e) => e.type !== 'void'), ...planned], voids: batch }
  }

  /**
   * The void as the ledger stores it (amount: the opposite of what its original stored), with
   * the type it is rolled up against; undefined for an event that is no void of this batch.
   */
  reverse(event: CardEvent): { event: CardEvent; originalType: TransactionType } | undefined {
    const original = this.originals.get(event)
    if (!original) return undefined
    const moved = original.amountCents ?? this.amounts.get(original.key)
    const name = `void ${quoted(event.eventId)}`
    if (moved === undefined)
      throw new GiftCardError('INTERNAL', `${name} came before the event it reverses`)
    if (moved === 0)
      throw refuse(
        `${name}: event ${quoted(original.eventId)} moved no money, so there is nothing to void`,
      )
    const claimed = Math.abs(event.amountCents)
    if (claimed !== 0 && claimed !== Math.abs(moved))
      throw refuse(
        `${name} says it reverses ${centsToMajor(claimed)}, but event ${quoted(original.eventId)} moved ${centsToMajor(Math.abs(moved))}`,
      )
    this.rows_.push([
      event.source,
      original.eventId,
      event.eventId,
      original.cardId,
      original.type,
      event.occurredAt,
    ])
    return { event: { ...event, amountCents: -moved }, originalType: original.type }
  }

  /** Remembers what an event of the batch stored, when a void of the batch reverses it. */
  record(event: CardEvent, amountCents: number): void {
    const key = keyOf(event.source, event.eventId)
    if (this.reversedInBatch.has(key)) this.amounts.set(key, amountCents)
  }

  /**
   * The `ledger_voids` rows of the batch's voids (known once replayed): each void and its
   * original. The writer adds them in the batch's transaction; an original voided meanwhile is
   * refused (`alreadyVoided`), or fails a deferred writer's commit.
   */
  get rows(): readonly unknown[][] {
    return this.rows_
  }

  /** The original of one void, checked; throws what is wrong with it. */
  private originalOf(
    v: CardEvent,
    inBatch: Map<string, CardEvent>,
    stored: Map<string, StoredOriginal>,
    voidedBy: Map<string, string>,
    options: PlanOptions,
  ): Original {
    const originalId = v.originalEventId as string
    const key = keyOf(v.source, originalId)
    const name = `void ${quoted(v.eventId)}`
    const target = `event ${quoted(originalId)}`
    const batched = inBatch.get(key)
    const row = batched ? undefined : stored.get(key)
    if (!batched && !row) {
      // Applied earlier in this transaction by a writer this connection cannot read: look again.
      if (options.queued) throw options.again()
      throw refuse(
        `${name} reverses ${target} (${v.source}), which is not in the ledger: a void applies once the event it names has`,
      )
    }
    const original: Original = batched
      ? {
          key,
          eventId: originalId,
          cardId: batched.cardRef,
          type: batched.type,
          occurredAt: batched.occurredAt,
          locationId: batched.locationId ?? null,
          amountCents: undefined,
        }
      : {
          key,
          eventId: originalId,
          cardId: (row as StoredOriginal).card_id ?? '',
          type: (row as StoredOriginal).type,
          occurredAt: (row as StoredOriginal).occurred_at,
          locationId: (row as StoredOriginal).location_id,
          amountCents:
            (row as StoredOriginal).result === 'ok'
              ? Number((row as StoredOriginal).amount_cents)
              : 0,
        }
    if (original.type === 'void')
      throw refuse(`${name}: ${target} is itself a void, and a void cannot be voided`)
    if (movesNoMoney(original.type) || original.amountCents === 0)
      throw refuse(`${name}: ${target} moved no money, so there is nothing to void`)
    if (original.cardId !== v.cardRef)
      throw refuse(
        `${name} is for card ${quoted(v.cardRef)}, but ${target} is on card ${quoted(original.cardId)}`,
      )
    const earlier = voidedBy.get(key)
    if (earlier === v.eventId && options.expectNew) throw options.again()
    if (earlier !== undefined || this.claims(key))
      throw refuse(
        `${name}: ${target} was voided already${earlier ? ` (by ${quoted(earlier)})` : ''}`,
      )
    return original
  }

  /** Whether a void planned before in this batch reverses the event of `key`. */
  private claims(key: string): boolean {
    for (const original of this.originals.values()) if (original.key === key) return true
    return false
  }
}

/** The refusal of a batch one of whose voids' originals was voided meanwhile. */
export function alreadyVoided(): GiftCardError {
  return refuse('an event this batch voids was voided already')
}

function eventsByKey(fresh: readonly CardEvent[]): Map<string, CardEvent> {
  const inBatch = new Map<string, CardEvent>()
  for (const e of fresh) inBatch.set(keyOf(e.source, e.eventId), e)
  return inBatch
}

/**
 * Reads, through the batch's writer, what the ledger holds of the voids' originals (those not
 * in the batch) and who voided them already; nothing when the batch has no void.
 */
export async function lookUpVoids(
  writer: Pick<LedgerWriter, 'voidTargets'>,
  fresh: readonly CardEvent[],
): Promise<VoidTargets> {
  const stored = new Map<string, StoredOriginal>()
  const voidedBy = new Map<string, string>()
  const voids = fresh.filter((e) => e.type === 'void')
  if (voids.length === 0) return { stored, voidedBy }
  const inBatch = eventsByKey(fresh)
  const bySource = new Map<string, { all: string[]; missing: string[] }>()
  for (const v of voids) {
    const id = v.originalEventId as string
    let ids = bySource.get(v.source)
    if (!ids) {
      ids = { all: [], missing: [] }
      bySource.set(v.source, ids)
    }
    ids.all.push(id)
    if (!inBatch.has(keyOf(v.source, id))) ids.missing.push(id)
  }
  for (const [source, ids] of bySource) {
    const found = await writer.voidTargets(source, ids.missing, ids.all)
    for (const r of found.stored) stored.set(keyOf(source, r.event_id), r)
    for (const r of found.voidedBy) voidedBy.set(keyOf(source, r.original), r.by)
  }
  return { stored, voidedBy }
}
