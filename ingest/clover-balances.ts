import { createHash } from 'node:crypto'
import { type CardEvent, describeError, type Logger, toIso } from '../core/index.ts'
import { BALANCE_DRIFT_PREFIX, type Database, getCard } from '../db/index.ts'
import { applyBatch } from './apply.ts'
import type { CloverClient } from './clover-api.ts'
import type { CloverCard, CloverCardMap } from './clover-cards.ts'
import type { EventListener } from './hooks.ts'
import { saveSyncState } from './sync-state.ts'

/** Where `giftcards sync clover` notes its last balance read (the cursor is unused). */
export const CLOVER_BALANCES_STATE = 'clover:balances'

/** The event-id prefix of the adjustments a balance read raises (db/queries/drift.ts). */
export { BALANCE_DRIFT_PREFIX }

export type CloverBalanceOptions = {
  client: CloverClient
  cards: CloverCardMap
  currency: string
  /** Report the differences without applying adjustments. */
  dryRun?: boolean
  listeners?: readonly EventListener[]
  logger?: Logger
  now?: () => number
}

/** One card whose Clover balance differs from the ledger's. */
export type CloverDrift = {
  cardId: string
  ledgerCents: number | null
  cloverCents: number
  /** The labelled adjustment raised (absent on a dry run). */
  eventId?: string
}

export type CloverBalanceReport = {
  cards: number
  /** Cards with no token in the file: their balance cannot be read. */
  noToken: number
  read: number
  unchanged: number
  drifts: CloverDrift[]
  applied: number
  /** Cards whose balance could not be read (an expired token, a refused card), with why. */
  failed: { cardId: string; error: string }[]
  readAt: string
}

/**
 * `giftcards sync clover`: reads each gift card's balance from Clover's gift card API (Clover
 * has no gift card activity feed; docs/pos-sources.md) and compares it with the ledger. A
 * balance that moved with no event in the ledger raises an adjustment (`adjust_up` /
 * `adjust_down`, source `clover`) whose event id starts `balance-drift:` and names the card,
 * the ledger's balance and time and Clover's balance, and which carries Clover's balance as
 * the balance after: the card ends at Clover's figure, and a second read of the same state
 * (another sync running alongside) is the same event, applied once.
 */
export async function syncCloverBalances(
  database: Database,
  options: CloverBalanceOptions,
): Promise<CloverBalanceReport> {
  const now = options.now ?? Date.now
  const report: CloverBalanceReport = {
    cards: options.cards.cards.length,
    noToken: 0,
    read: 0,
    unchanged: 0,
    drifts: [],
    applied: 0,
    failed: [],
    readAt: toIso(now()),
  }
  for (const card of options.cards.cards) {
    if (!card.token) {
      report.noToken++
      continue
    }
    const merchantId = card.merchantId ?? options.client.defaultMerchant
    let cloverCents: number
    try {
      if (!merchantId) throw new Error('CLOVER_MERCHANTS names no merchant to read balances with')
      cloverCents = (await options.client.balance(merchantId, card.token)).balanceCents
    } catch (err) {
      report.failed.push({ cardId: card.cardId, error: describeError(err) })
      options.logger?.warn(
        { cardId: card.cardId, err: describeError(err) },
        'could not read a Clover balance',
      )
      continue
    }
    report.read++
    const readAt = toIso(now())
    const ledger = await getCard(database.db, card.cardId)
    const ledgerCents = ledger ? ledger.balance_cents : null
    if ((ledgerCents ?? 0) === cloverCents) {
      report.unchanged++
      continue
    }
    const drift: CloverDrift = { cardId: card.cardId, ledgerCents, cloverCents }
    report.drifts.push(drift)
    if (options.dryRun) continue
    const event = driftEvent(
      card,
      ledger?.balance_as_of ?? null,
      ledgerCents,
      cloverCents,
      readAt,
      options.currency,
    )
    drift.eventId = event.eventId
    const result = await applyBatch(
      database,
      {
        events: [event],
        cards: [{ source: 'clover', cardRef: card.cardId, occurredAt: readAt, last4: card.last4 }],
      },
      { within: (trx) => saveSyncState(trx, CLOVER_BALANCES_STATE, null, readAt) },
    )
    report.applied += result.applied.length
    for (const applied of result.applied)
      for (const listener of options.listeners ?? []) await listener.onEvent(applied)
    options.logger?.info(
      { cardId: card.cardId, ledgerCents, cloverCents, eventId: event.eventId },
      'Clover balance moved with no event in the ledger: adjusted',
    )
  }
  return report
}

/** The labelled adjustment that brings a card from the ledger's balance to Clover's. */
function driftEvent(
  card: CloverCard,
  ledgerAsOf: string | null,
  ledgerCents: number | null,
  cloverCents: number,
  readAt: string,
  currency: string,
): CardEvent {
  const from = ledgerCents ?? 0
  const type = cloverCents > from ? 'adjust_up' : 'adjust_down'
  const magnitude = Math.abs(cloverCents - from)
  const key = `${card.cardId}:${from}@${ledgerAsOf ?? 'new'}->${cloverCents}`
  return {
    source: 'clover',
    // Event ids are at most 200 characters: a long card id is hashed.
    eventId:
      BALANCE_DRIFT_PREFIX.length + key.length <= 200
        ? `${BALANCE_DRIFT_PREFIX}${key}`
        : `${BALANCE_DRIFT_PREFIX}${createHash('sha256').update(key).digest('hex').slice(0, 48)}`,
    cardRef: card.cardId,
    type,
    amountCents: type === 'adjust_up' ? magnitude : -magnitude,
    balanceAfterCents: cloverCents,
    currency,
    occurredAt: readAt,
  }
}
