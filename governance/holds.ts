import type { Kysely, Transaction } from 'kysely'
import { describeError, formatCents, GiftCardError, toIso } from '../core/index.ts'
import type { Database, DB } from '../db/index.ts'
import {
  describeEnforcement,
  type Enforcement,
  LEDGER_ONLY,
  type PosCard,
  type PosMove,
  type PosRouter,
  PosUnanswered,
} from './pos/index.ts'

export type HoldOutcome = {
  holdId: number
  cardId: string
  status: 'active' | 'released'
  amountCents: number
  amount: string
  connector: string
  posReference: string
  /** True when the hold took effect at the POS (the balance moved there). */
  enforced: boolean
  /** One line: how the hold is enforced, or why it is ledger only (`describeEnforcement`). */
  enforcement: string
  /** The POS balance read before the call (null: ledger only). */
  posBalanceBeforeCents: number | null
  /** Set when the POS balance and the ledger's differed: the alert raised for it. */
  mismatch?: { alertId: number; detail: string }
}

/**
 * What a hold's or release's call to the POS did, made outside any transaction before the
 * ledger records it (docs/approvals.md "Holds at the POS").
 */
export type HoldCall = {
  key: string
  enforcement: Enforcement
  ledgerBalanceCents: number
  posBalanceBeforeCents: number | null
  /** What the hold took at the POS (its POS balance), or what the release gave back. */
  amountCents: number
  reference: string
  /** True when money moved at the POS: a failure to record it must give it back. */
  moved: boolean
}

type CardRow = Awaited<ReturnType<typeof readCard>>

/** What the POS connector is told about a card. */
function posCard(card: CardRow): PosCard {
  return {
    id: card.id,
    source: card.source,
    balanceCents: Number(card.balance_cents),
    currency: card.currency,
    locationId: card.issuing_location_id,
  }
}

const CARD_COLUMNS = [
  'id',
  'source',
  'status',
  'balance_cents',
  'currency',
  'issuing_location_id',
] as const

async function readCard(db: Kysely<DB> | Transaction<DB>, cardId: string, lock = false) {
  let query = db.selectFrom('gift_cards').select(CARD_COLUMNS).where('id', '=', cardId)
  if (lock) query = query.forUpdate()
  const card = await query.executeTakeFirst()
  if (!card) throw new GiftCardError('CARD_NOT_FOUND', `no gift card with id ${cardId}`)
  return card
}

const lockCard = (database: Database, trx: Transaction<DB>, cardId: string) =>
  readCard(trx, cardId, database.adapter.supportsRowLocks)

async function activeHoldRow(db: Kysely<DB> | Transaction<DB>, cardId: string) {
  return db
    .selectFrom('card_holds')
    .selectAll()
    .where('card_id', '=', cardId)
    .where('status', '=', 'active')
    .executeTakeFirst()
}

function refuseToHold(card: CardRow, active: { id: number } | undefined): void {
  if (active)
    throw new GiftCardError('CONFLICT', `card ${card.id} is already on hold (hold #${active.id})`)
  if (card.status === 'deactivated')
    throw new GiftCardError('CONFLICT', `card ${card.id} is deactivated; there is nothing to hold`)
}

/**
 * The intent of one POS call, recorded before the call: the first run reads the POS balance and
 * stores the amount; a retried run (a recovery, a race) finds the row and repeats the same call
 * with the same key and amount, so the POS is never asked for a different move under one key.
 */
async function recordIntent(
  database: Database,
  row: {
    key: string
    approvalId: number
    kind: 'hold' | 'release' | 'undo'
    cardId: string
    connector: string
    ledgerBalanceCents: number
  },
  readAmounts: () => Promise<{ posBalanceBeforeCents: number | null; amountCents: number }>,
) {
  const find = () =>
    database.db
      .selectFrom('pos_hold_calls')
      .selectAll()
      .where('idempotency_key', '=', row.key)
      .executeTakeFirst()
  const earlier = await find()
  if (earlier) return earlier
  const amounts = await readAmounts()
  await database.db
    .insertInto('pos_hold_calls')
    .values({
      idempotency_key: row.key,
      approval_id: row.approvalId,
      kind: row.kind,
      card_id: row.cardId,
      connector: row.connector,
      state: 'started',
      ledger_balance_cents: row.ledgerBalanceCents,
      pos_balance_before_cents: amounts.posBalanceBeforeCents,
      amount_cents: amounts.amountCents,
      pos_reference: null,
      error: null,
      started_at: toIso(Date.now()),
      finished_at: null,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute()
  const stored = await find()
  if (!stored) throw new GiftCardError('INTERNAL', `the POS call ${row.key} was not recorded`)
  return stored
}

/** Makes the POS call; a refusal or a silence is recorded on its intent, then thrown. */
async function settle(
  database: Database,
  key: string,
  call: () => Promise<PosMove>,
): Promise<PosMove> {
  try {
    return await call()
  } catch (err) {
    const state = err instanceof PosUnanswered ? 'unanswered' : 'refused'
    await database.db
      .updateTable('pos_hold_calls')
      .set({ state, error: describeError(err).slice(0, 1000), finished_at: toIso(Date.now()) })
      .where('idempotency_key', '=', key)
      .execute()
      .catch(() => {
        // The approval records the failure too; the POS's answer must not be lost to this.
      })
    throw err
  }
}

/**
 * A hold's POS call, outside any transaction: checks the card can be held, then (when its
 * platform can hold it) reads the POS balance, records the intent and takes that balance out,
 * keyed `hold-approval-N`. A ledger-only card calls nothing.
 */
export async function callPosToHold(
  database: Database,
  router: PosRouter,
  args: { cardId: string; approvalId: number },
): Promise<HoldCall> {
  const card = await readCard(database.db, args.cardId)
  refuseToHold(card, await activeHoldRow(database.db, card.id))
  const key = `hold-approval-${args.approvalId}`
  const ledgerBalanceCents = Number(card.balance_cents)
  const enforcement = router.enforcement(card)
  const connector = enforcement.enforced ? router.connector(enforcement.connector) : undefined
  if (!connector)
    return {
      key,
      enforcement,
      ledgerBalanceCents,
      posBalanceBeforeCents: null,
      amountCents: ledgerBalanceCents,
      reference: `local:${key}`,
      moved: false,
    }
  const pos = posCard(card)
  const intent = await recordIntent(
    database,
    {
      key,
      approvalId: args.approvalId,
      kind: 'hold',
      cardId: card.id,
      connector: connector.name,
      ledgerBalanceCents,
    },
    async () => {
      const balance = await connector.readBalance(pos)
      return { posBalanceBeforeCents: balance, amountCents: balance }
    },
  )
  const amountCents = Number(intent.amount_cents)
  const base = {
    key,
    enforcement,
    ledgerBalanceCents,
    posBalanceBeforeCents:
      intent.pos_balance_before_cents === null ? null : Number(intent.pos_balance_before_cents),
    amountCents,
  }
  if (amountCents <= 0) return { ...base, reference: 'no-balance-to-hold', moved: false }
  const move = await settle(database, key, () => connector.take(pos, amountCents, key))
  return { ...base, reference: move.reference, moved: true }
}

/**
 * Records a hold whose POS call is done, in the transaction that marks the approval executed:
 * the card becomes `held`, the hold row keeps the amount the POS actually moved and how it was
 * enforced, and a POS balance that differed from the ledger's raises an alert.
 */
export async function placeHold(
  database: Database,
  trx: Transaction<DB>,
  call: HoldCall,
  /** `reason`: the requester's words verbatim, or null when they gave none (stored empty). */
  args: { cardId: string; reason: string | null; approvalId: number },
): Promise<HoldOutcome> {
  const card = await lockCard(database, trx, args.cardId)
  refuseToHold(card, await activeHoldRow(trx, card.id))
  const now = toIso(Date.now())
  const hold = await trx
    .insertInto('card_holds')
    .values({
      card_id: card.id,
      reason: args.reason ?? '',
      status: 'active',
      approval_id: args.approvalId,
      amount_cents: call.amountCents,
      placed_at: now,
      released_at: null,
      pos_reference: call.reference,
      release_pos_reference: null,
      pos_connector: call.enforcement.connector,
      pos_balance_before_cents: call.posBalanceBeforeCents,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await trx
    .updateTable('gift_cards')
    .set({ status: 'held', updated_at: now })
    .where('id', '=', card.id)
    .execute()
  const mismatch =
    call.posBalanceBeforeCents !== null && call.posBalanceBeforeCents !== call.ledgerBalanceCents
      ? await raiseMismatch(trx, card.id, now, {
          detail: `the POS balance was ${formatCents(call.posBalanceBeforeCents)} when the hold was placed and the ledger's ${formatCents(call.ledgerBalanceCents)}; the hold took the POS's ${formatCents(call.amountCents)}`,
          key: call.key,
          posBalanceCents: call.posBalanceBeforeCents,
          ledgerBalanceCents: call.ledgerBalanceCents,
        })
      : undefined
  await markCallDone(trx, call, now)
  return {
    holdId: Number(hold.id),
    cardId: card.id,
    status: 'active',
    amountCents: call.amountCents,
    amount: formatCents(call.amountCents),
    connector: call.enforcement.connector,
    posReference: call.reference,
    enforced: call.enforcement.enforced,
    enforcement: describeEnforcement(call.enforcement),
    posBalanceBeforeCents: call.posBalanceBeforeCents,
    ...(mismatch ? { mismatch } : {}),
  }
}

/**
 * A release's POS call, outside any transaction: the hold is undone by the connector that
 * placed it (whatever is configured now), giving back exactly the amount held, keyed
 * `release-approval-N`. The POS balance is read first: after a hold it should be zero.
 */
export async function callPosToRelease(
  database: Database,
  router: PosRouter,
  args: { cardId: string; approvalId: number },
): Promise<HoldCall> {
  const card = await readCard(database.db, args.cardId)
  const hold = await activeHoldRow(database.db, card.id)
  if (!hold) throw new GiftCardError('CONFLICT', `card ${card.id} has no active hold to release`)
  const key = `release-approval-${args.approvalId}`
  const ledgerBalanceCents = Number(card.balance_cents)
  const amountCents = Number(hold.amount_cents)
  if (hold.pos_connector === LEDGER_ONLY)
    return {
      key,
      enforcement: {
        enforced: false,
        connector: LEDGER_ONLY,
        why: `hold #${hold.id} was recorded in the ledger only`,
      },
      ledgerBalanceCents,
      posBalanceBeforeCents: null,
      amountCents,
      reference: `local:${key}`,
      moved: false,
    }
  const connector = router.connector(hold.pos_connector)
  if (!connector)
    throw new GiftCardError(
      'CONFLICT',
      `hold #${hold.id} took ${formatCents(amountCents)} out at ${hold.pos_connector}, which is not configured now; configure it so the release can give that amount back`,
    )
  const enforcement: Enforcement = {
    enforced: true,
    connector: connector.name,
    how: `the ${formatCents(amountCents)} the hold took out is given back`,
  }
  const pos = posCard(card)
  const intent = await recordIntent(
    database,
    {
      key,
      approvalId: args.approvalId,
      kind: 'release',
      cardId: card.id,
      connector: connector.name,
      ledgerBalanceCents,
    },
    async () => ({ posBalanceBeforeCents: await connector.readBalance(pos), amountCents }),
  )
  const base = {
    key,
    enforcement,
    ledgerBalanceCents,
    posBalanceBeforeCents:
      intent.pos_balance_before_cents === null ? null : Number(intent.pos_balance_before_cents),
    amountCents: Number(intent.amount_cents),
  }
  if (base.amountCents <= 0) return { ...base, reference: 'no-balance-to-restore', moved: false }
  const move = await settle(database, key, () => connector.give(pos, base.amountCents, key))
  return { ...base, reference: move.reference, moved: true }
}

/**
 * Gives back what a POS call moved when the ledger then refused to record it (the approval
 * fails): a hold's take is given back, a release's give is taken again, keyed `undo-<key>`.
 */
export async function undoPosCall(
  database: Database,
  router: PosRouter,
  call: HoldCall,
  args: { cardId: string; approvalId: number },
): Promise<void> {
  if (!call.moved || !call.enforcement.enforced) return
  const connector = router.connector(call.enforcement.connector)
  if (!connector) return
  const card = posCard(await readCard(database.db, args.cardId))
  const key = `undo-${call.key}`
  await recordIntent(
    database,
    {
      key,
      approvalId: args.approvalId,
      kind: 'undo',
      cardId: card.id,
      connector: connector.name,
      ledgerBalanceCents: card.balanceCents,
    },
    async () => ({ posBalanceBeforeCents: null, amountCents: call.amountCents }),
  )
  const undo = call.key.startsWith('hold-')
    ? connector.give.bind(connector)
    : connector.take.bind(connector)
  await settle(database, key, () => undo(card, call.amountCents, key))
  await database.db
    .updateTable('pos_hold_calls')
    .set({ state: 'done', finished_at: toIso(Date.now()) })
    .where('idempotency_key', '=', key)
    .execute()
}

/**
 * Records a release whose POS call is done: the hold keeps who asked for the release, their
 * reason verbatim (null: none given), the approval that allowed it and the POS's reference. A
 * POS balance that was not zero while the card was held (something moved it) raises an alert;
 * the release still gives back exactly what was held.
 */
export async function releaseHold(
  database: Database,
  trx: Transaction<DB>,
  call: HoldCall,
  args: { cardId: string; approvalId: number; reason: string | null; releasedBy: string },
): Promise<HoldOutcome> {
  const card = await lockCard(database, trx, args.cardId)
  const hold = await activeHoldRow(trx, card.id)
  if (!hold) throw new GiftCardError('CONFLICT', `card ${card.id} has no active hold to release`)
  const now = toIso(Date.now())
  await trx
    .updateTable('card_holds')
    .set({
      status: 'released',
      released_at: now,
      release_pos_reference: call.reference,
      released_by: args.releasedBy,
      release_reason: args.reason,
      release_approval_id: args.approvalId,
    })
    .where('id', '=', hold.id)
    .execute()
  // The POS gives the held amount back; the ledger learns of it from the POS's own event.
  const usable =
    Number(card.balance_cents) > 0 || (call.enforcement.enforced && call.amountCents > 0)
  await trx
    .updateTable('gift_cards')
    .set({ status: usable ? 'active' : 'redeemed', updated_at: now })
    .where('id', '=', card.id)
    .execute()
  const mismatch =
    call.posBalanceBeforeCents !== null && call.posBalanceBeforeCents !== 0
      ? await raiseMismatch(trx, card.id, now, {
          detail: `the POS balance was ${formatCents(call.posBalanceBeforeCents)} while the card was held (the hold had taken it to $0.00); the release gave back exactly the ${formatCents(call.amountCents)} held`,
          key: call.key,
          posBalanceCents: call.posBalanceBeforeCents,
          ledgerBalanceCents: call.ledgerBalanceCents,
        })
      : undefined
  await markCallDone(trx, call, now)
  return {
    holdId: Number(hold.id),
    cardId: card.id,
    status: 'released',
    amountCents: call.amountCents,
    amount: formatCents(call.amountCents),
    connector: call.enforcement.connector,
    posReference: call.reference,
    enforced: call.enforcement.enforced,
    enforcement: describeEnforcement(call.enforcement, 'release'),
    posBalanceBeforeCents: call.posBalanceBeforeCents,
    ...(mismatch ? { mismatch } : {}),
  }
}

/** The rule of the alert raised when a POS balance differs from what a hold expected. */
export const POS_BALANCE_MISMATCH_RULE = 'pos_balance_mismatch'

/**
 * Raises (or reopens, with the new evidence) the card's POS balance mismatch alert, in the
 * transaction that records the hold or release: a difference is an alert, never silent.
 */
async function raiseMismatch(
  trx: Transaction<DB>,
  cardId: string,
  now: string,
  evidence: { detail: string; key: string; posBalanceCents: number; ledgerBalanceCents: number },
): Promise<{ alertId: number; detail: string }> {
  const body = JSON.stringify({
    reason: evidence.detail,
    idempotencyKey: evidence.key,
    posBalanceCents: evidence.posBalanceCents,
    ledgerBalanceCents: evidence.ledgerBalanceCents,
  })
  const row = await trx
    .insertInto('fraud_alerts')
    .values({
      card_id: cardId,
      rule: POS_BALANCE_MISMATCH_RULE,
      score: 0.5,
      status: 'open',
      evidence: body,
      detected_at: now,
      updated_at: now,
      updated_by: null,
      note: null,
    })
    .onConflict((oc) =>
      oc
        .columns(['card_id', 'rule'])
        .doUpdateSet({ evidence: body, status: 'open', updated_at: now }),
    )
    .returning('id')
    .executeTakeFirstOrThrow()
  return { alertId: Number(row.id), detail: evidence.detail }
}

async function markCallDone(trx: Transaction<DB>, call: HoldCall, now: string): Promise<void> {
  await trx
    .updateTable('pos_hold_calls')
    .set({ state: 'done', pos_reference: call.reference, finished_at: now })
    .where('idempotency_key', '=', call.key)
    .execute()
}
