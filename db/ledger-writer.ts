import { type Kysely, sql, type Transaction } from 'kysely'
import type { CardStatus, EventSource, TransactionType } from '../core/index.ts'
import { insertMany, selectIn } from './batch-sql.ts'
import type { Database } from './connection.ts'
import type { CopySession, DeferredWriter, EngineAdapter } from './engines/engine.ts'
import { LEDGER_COLUMNS } from './queries/ledger.ts'
import { isUniqueViolation, type RetryOptions, withDbRetry } from './retry.ts'
import { type DailyRollup, knownTimezone, settleTimezone } from './rollup.ts'
import type { DB } from './schema.ts'

/**
 * The ledger write path's I/O (docs/ingest.md, "The write path"): what the ledger rules
 * (ingest/ledger-core.ts) need read, and the rows they produce written, inside one open write
 * transaction. Two writers:
 *
 * - `TransactionalLedgerWriter`: reads and writes on one transaction (SQLite or PostgreSQL),
 *   the one webhooks, the inbox and the pollers use, and an import's careful re-reads. Card
 *   rows are read in id order and locked on PostgreSQL (`for update`); `runTransactional`
 *   runs a transaction of its own again when the engine aborts it for contention
 *   (docs/concurrency.md).
 * - `DeferredLedgerWriter` (SQLite on a file, the import): writes are queued on the engine's
 *   deferred writer (db/engines/sqlite-writer.ts), a worker thread with its own connection,
 *   and reads go to this thread's connection, which sees the ledger as committed: the
 *   transaction's own rows cannot be read back (`readsOwnWrites` false), and what an insert
 *   did is known at commit.
 * - `CopyLedgerWriter` (PostgreSQL, the import): the transactional writer on a connection of
 *   its own (`CopySession`), whose bulk rows (new ledger rows, new cards, order items) go in
 *   by COPY, as the seed's do.
 */

/** A card's stored state, as the rules start from it. */
export type StoredCard = {
  id: string
  source: EventSource
  gan_last4: string
  currency: string
  balance_cents: number
  balance_as_of: string | null
  last_activity_at: string | null
  status: CardStatus
  initial_value_cents: number
  issued_at: string
  issuing_location_id: string | null
  occasion: string | null
  channel: string | null
}

/** A card's new state as written back (`writeCards`); `issuedMoved`: rewrite `issued_at`. */
export type CardWrite = Omit<StoredCard, 'issuing_location_id' | 'occasion' | 'channel'> & {
  issuedMoved: boolean
}

/** A card the ledger has not seen, with the facts it is created with. */
export type CardInsert = {
  state: Omit<StoredCard, 'occasion' | 'channel'>
  locationId: string | null
  purchaserId: string | null
}

/** One ledger row's move (a late card's history, for the rollup's holders). */
export type LedgerMove = { card_id: string; occurred_at: string; amount_cents: number }

/** A void's original, from the ledger. */
export type StoredOriginal = {
  event_id: string
  card_id: string | null
  type: TransactionType
  result: string
  amount_cents: number
  occurred_at: string
  location_id: string | null
}

/** The card fields a POS's snapshot sets outright. */
export type SnapshotFields = {
  gan_last4?: string
  holder_customer_id?: string | null
  expires_at?: string | null
}

/** What the ledger rules need read and written, inside one open write transaction. */
export interface LedgerWriter {
  readonly adapter: EngineAdapter
  /**
   * Whether rows written in this transaction can be read back in it. False for the deferred
   * writer: an exact insert that meets its key then fails the commit, not the statement.
   */
  readonly readsOwnWrites: boolean
  /** The rollup's time zone (fixed in this transaction if this is the ledger's first write). */
  timezone(): Promise<string>
  /** The cards' rows that exist, read in id order (and locked, where the engine has row locks). */
  lockCards(ids: readonly string[]): Promise<StoredCard[]>
  /** Of these events, the ids the ledger holds, by source. */
  existingEventIds(
    bySource: ReadonlyMap<string, readonly string[]>,
  ): Promise<Map<string, Set<string>>>
  /** Voids' originals the ledger holds (`missing`), and who voided any of `all` already. */
  voidTargets(
    source: string,
    missing: readonly string[],
    all: readonly string[],
  ): Promise<{ stored: StoredOriginal[]; voidedBy: { original: string; by: string }[] }>
  /** The `ok` ledger rows of these cards (before this transaction's, on the deferred writer). */
  ledgerMoves(cardIds: readonly string[]): Promise<LedgerMove[]>
  /** Stub locations and customers (rows in key order), skipped where they exist. */
  insertStubs(locations: readonly unknown[][], customers: readonly unknown[][]): Promise<void>
  /**
   * New cards; returns how many were inserted (fewer: another transaction made one first,
   * and the caller rolls back what it did: on the COPY writer the statement failed).
   */
  insertCards(cards: readonly CardInsert[], now: string): Promise<number>
  /**
   * Ledger rows (`LEDGER_COLUMNS`); `exact`: every one must be new, and if one is not, the
   * count returned falls short and the caller rolls back what it did (on the COPY writer
   * the statement failed). Returns the rows inserted.
   */
  insertLedgerRows(rows: readonly unknown[][], exact: boolean): Promise<number>
  /** `ledger_voids` rows, each original once; returns the rows inserted. */
  insertVoids(rows: readonly unknown[][]): Promise<number>
  addRollup(rollup: DailyRollup): Promise<void>
  insertOrderItems(rows: readonly unknown[][]): Promise<void>
  /** Cards' new state (every row exists). */
  writeCards(cards: readonly CardWrite[], now: string): Promise<void>
  writeSnapshotFields(cardId: string, fields: SnapshotFields): Promise<void>
  /** `fraud_alerts` rows, one per card and rule. */
  insertAlerts(rows: readonly unknown[][]): Promise<void>
}

const CARD_COLUMNS =
  'id, source, gan_last4, currency, balance_cents, balance_as_of, last_activity_at, status, initial_value_cents, issued_at, issuing_location_id, occasion, channel'

/**
 * The write path's statements, on `db` (an open transaction, or the connection a deferred
 * writer reads on) and through `adapter` (whose `runEach` a deferred writer redirects).
 */
abstract class SqlLedgerWriter implements LedgerWriter {
  abstract readonly readsOwnWrites: boolean

  constructor(
    protected readonly db: Kysely<DB>,
    readonly adapter: EngineAdapter,
    /** The root database handle, whose committed rollup time zone is remembered. */
    private readonly root: Kysely<DB>,
  ) {}

  async timezone(): Promise<string> {
    return knownTimezone(this.root) ?? (await settleTimezone(this.db, this.adapter))
  }

  /**
   * Locks rows where the engine has row locks (PostgreSQL), so concurrent deliveries for one
   * card apply one after the other. On SQLite the write transaction already excludes every
   * other writer.
   */
  lockCards(ids: readonly string[]): Promise<StoredCard[]> {
    return selectIn<StoredCard>(
      this.db,
      this.adapter,
      {
        select: `select ${CARD_COLUMNS} from gift_cards`,
        column: 'id',
        extra: this.adapter.supportsRowLocks ? 'order by id for update' : 'order by id',
      },
      [...ids].sort(),
    )
  }

  async existingEventIds(
    bySource: ReadonlyMap<string, readonly string[]>,
  ): Promise<Map<string, Set<string>>> {
    const found = new Map<string, Set<string>>()
    for (const [source, ids] of bySource) {
      const rows = await selectIn<{ event_id: string }>(
        this.db,
        this.adapter,
        {
          select: 'select event_id from gift_card_transactions',
          column: 'source = $L1 and event_id',
          leading: [source],
        },
        ids,
      )
      found.set(source, new Set(rows.map((row) => row.event_id)))
    }
    return found
  }

  async voidTargets(
    source: string,
    missing: readonly string[],
    all: readonly string[],
  ): Promise<{ stored: StoredOriginal[]; voidedBy: { original: string; by: string }[] }> {
    const stored = await selectIn<StoredOriginal>(
      this.db,
      this.adapter,
      {
        select:
          'select event_id, card_id, type, result, amount_cents, occurred_at, location_id from gift_card_transactions',
        column: 'source = $L1 and event_id',
        leading: [source],
      },
      missing,
    )
    const voided = await selectIn<{ original_event_id: string; void_event_id: string }>(
      this.db,
      this.adapter,
      {
        select: 'select original_event_id, void_event_id from ledger_voids',
        column: 'source = $L1 and original_event_id',
        leading: [source],
      },
      all,
    )
    return {
      stored,
      voidedBy: voided.map((r) => ({ original: r.original_event_id, by: r.void_event_id })),
    }
  }

  async ledgerMoves(cardIds: readonly string[]): Promise<LedgerMove[]> {
    const rows = await selectIn<LedgerMove>(
      this.db,
      this.adapter,
      {
        select: 'select card_id, occurred_at, amount_cents from gift_card_transactions',
        column: 'card_id',
        extra: "and result = 'ok'",
      },
      cardIds,
    )
    for (const r of rows) r.amount_cents = Number(r.amount_cents)
    return rows
  }

  async insertStubs(locations: readonly unknown[][], customers: readonly unknown[][]) {
    await insertMany(
      this.db,
      this.adapter,
      'locations',
      ['id', 'name', 'city', 'region', 'jurisdiction', 'timezone', 'opened_at'],
      locations,
      { key: ['id'], action: 'nothing' },
    )
    await insertMany(
      this.db,
      this.adapter,
      'customers',
      ['id', 'pseudonym', 'created_at'],
      customers,
      { key: ['id'], action: 'nothing' },
    )
  }

  /** Inserted with their state after the batch, before their ledger rows (which refer to them). */
  insertCards(cards: readonly CardInsert[], now: string): Promise<number> {
    return insertMany(
      this.db,
      this.adapter,
      'gift_cards',
      CARD_INSERT_COLUMNS,
      cardInsertRows(cards, now),
      { key: ['id'], action: 'nothing' },
      { exact: true },
    )
  }

  insertLedgerRows(rows: readonly unknown[][], exact: boolean): Promise<number> {
    return insertMany(
      this.db,
      this.adapter,
      'gift_card_transactions',
      LEDGER_COLUMNS,
      rows,
      { key: ['source', 'event_id'], action: 'nothing' },
      { exact },
    )
  }

  insertVoids(rows: readonly unknown[][]): Promise<number> {
    return insertMany(
      this.db,
      this.adapter,
      'ledger_voids',
      ['source', 'original_event_id', 'void_event_id', 'card_id', 'original_type', 'voided_at'],
      rows,
      { key: ['source', 'original_event_id'], action: 'nothing' },
      { exact: true },
    )
  }

  addRollup(rollup: DailyRollup): Promise<void> {
    return rollup.write(this.db, this.adapter)
  }

  async insertOrderItems(rows: readonly unknown[][]): Promise<void> {
    await insertMany(
      this.db,
      this.adapter,
      'order_items',
      ['order_id', 'sku', 'category', 'amount_cents'],
      rows,
    )
  }

  /**
   * `issued_at` is indexed, so it is only written for the few cards whose issue date an
   * earlier activation moved: rewriting an indexed column costs an index update per card even
   * when its value is unchanged.
   */
  async writeCards(cards: readonly CardWrite[], now: string): Promise<void> {
    const columns = [
      'id',
      'source',
      'gan_last4',
      'currency',
      'initial_value_cents',
      'balance_cents',
      'status',
      'issued_at',
      'last_activity_at',
      'balance_as_of',
      'updated_at',
    ]
    const set = [
      'initial_value_cents',
      'balance_cents',
      'status',
      'last_activity_at',
      'balance_as_of',
      'updated_at',
    ]
    const row = (s: CardWrite) => [
      s.id,
      s.source,
      s.gan_last4,
      s.currency,
      s.initial_value_cents,
      s.balance_cents,
      s.status,
      s.issued_at,
      s.last_activity_at,
      s.balance_as_of,
      now,
    ]
    for (const moved of [false, true]) {
      await insertMany(
        this.db,
        this.adapter,
        'gift_cards',
        columns,
        cards.filter((s) => (s.issuedMoved ?? false) === moved).map(row),
        { key: ['id'], action: 'update', set: moved ? [...set, 'issued_at'] : set },
      )
    }
  }

  async writeSnapshotFields(cardId: string, fields: SnapshotFields): Promise<void> {
    await this.db.updateTable('gift_cards').set(fields).where('id', '=', cardId).execute()
  }

  async insertAlerts(rows: readonly unknown[][]): Promise<void> {
    await insertMany(
      this.db,
      this.adapter,
      'fraud_alerts',
      ['card_id', 'rule', 'score', 'status', 'evidence', 'detected_at', 'updated_at'],
      rows,
      { key: ['card_id', 'rule'], action: 'nothing' },
    )
  }
}

/** The columns of a new card's row (`cardInsertRows`). */
const CARD_INSERT_COLUMNS = [
  'id',
  'source',
  'external_id',
  'gan_last4',
  'initial_value_cents',
  'balance_cents',
  'currency',
  'status',
  'issued_at',
  'issuing_location_id',
  'purchaser_customer_id',
  'last_activity_at',
  'balance_as_of',
  'updated_at',
]

function cardInsertRows(cards: readonly CardInsert[], now: string): unknown[][] {
  return cards.map(({ state: s, locationId, purchaserId }) => [
    s.id,
    s.source,
    s.id,
    s.gan_last4,
    s.initial_value_cents,
    s.balance_cents,
    s.currency,
    s.status,
    s.issued_at,
    locationId,
    purchaserId,
    s.last_activity_at,
    s.balance_as_of,
    now,
  ])
}

/**
 * The import's writer on SQLite: every insert and update is queued on `deferred` (a worker
 * thread's connection holding the write transaction), every read runs on `reads`, this
 * thread's connection, which sees the ledger as committed. The worker holds the write lock, so
 * no one else changes the ledger meanwhile; what this transaction wrote, it cannot read back.
 */
export class DeferredLedgerWriter extends SqlLedgerWriter {
  readonly readsOwnWrites = false

  constructor(
    reads: Kysely<DB>,
    adapter: EngineAdapter,
    private readonly deferred: DeferredWriter,
  ) {
    super(
      reads,
      { ...adapter, runEach: (text, rows, exact) => deferred.runEach(text, rows, exact) },
      reads,
    )
  }

  override async writeSnapshotFields(cardId: string, fields: SnapshotFields): Promise<void> {
    const query = this.db.updateTable('gift_cards').set(fields).where('id', '=', cardId).compile()
    this.deferred.execute(query.sql, query.parameters)
  }
}

/** Reads and writes on one open transaction (SQLite or PostgreSQL). */
export class TransactionalLedgerWriter extends SqlLedgerWriter {
  readonly readsOwnWrites = true

  constructor(
    /** The open transaction: the `within` callbacks of the strategies write in it too. */
    readonly trx: Transaction<DB>,
    adapter: EngineAdapter,
    root: Kysely<DB>,
  ) {
    super(trx, adapter, root)
  }
}

/**
 * The import's writer on PostgreSQL (issue 22): the transactional writer on the transaction of
 * a `CopySession`, whose bulk rows go in by COPY (db/engines/postgres-copy.ts, the seed's
 * path: one streamed statement per batch instead of a multi-row INSERT per 500 rows). COPY has
 * no ON CONFLICT, so it takes only rows that must meet no key: new cards, new ledger rows
 * (`exact`, the import going forward) and order items. A row already there fails the COPY with
 * a unique violation, which aborts the transaction back to its last savepoint: the count comes
 * back 0, short, and the caller rolls back as for any exact insert that fell short
 * (`ApplyAgain`), then reads those rows again looking each event up, by INSERT … ON CONFLICT.
 * Any other refusal (a constraint, a trigger) is the statement's error, as an INSERT's would be.
 */
export class CopyLedgerWriter extends TransactionalLedgerWriter {
  constructor(
    trx: Transaction<DB>,
    adapter: EngineAdapter,
    root: Kysely<DB>,
    private readonly session: CopySession,
  ) {
    super(trx, adapter, root)
  }

  override insertCards(cards: readonly CardInsert[], now: string): Promise<number> {
    return this.copyNew('gift_cards', CARD_INSERT_COLUMNS, cardInsertRows(cards, now))
  }

  override insertLedgerRows(rows: readonly unknown[][], exact: boolean): Promise<number> {
    if (!exact) return super.insertLedgerRows(rows, exact)
    return this.copyNew('gift_card_transactions', LEDGER_COLUMNS, rows)
  }

  override async insertOrderItems(rows: readonly unknown[][]): Promise<void> {
    await this.session.copy('order_items', ['order_id', 'sku', 'category', 'amount_cents'], rows)
  }

  /** COPYs rows none of which may meet its key; 0 if one did (the transaction is aborted). */
  private async copyNew(
    table: keyof DB & string,
    columns: readonly string[],
    rows: readonly unknown[][],
  ): Promise<number> {
    try {
      return await this.session.copy(table, columns, rows)
    } catch (err) {
      if (isUniqueViolation(err)) return 0
      throw err
    }
  }
}

/**
 * Runs `work` in a savepoint of the open transaction `trx`: a failure undoes it alone (at a
 * cost on SQLite, which copies every page the work changes into its sub-journal first).
 */
export async function inSavepoint<T>(trx: Transaction<DB>, work: () => Promise<T>): Promise<T> {
  await sql`savepoint apply_batch`.execute(trx)
  try {
    const result = await work()
    await sql`release savepoint apply_batch`.execute(trx)
    return result
  } catch (err) {
    await sql`rollback to savepoint apply_batch`.execute(trx)
    await sql`release savepoint apply_batch`.execute(trx)
    throw err
  }
}

/**
 * Runs `work` with a transactional writer: in a transaction of its own, run again when another
 * writer made the engine abort it (a deadlock, a serialisation failure, SQLite busy:
 * `options.retry`, docs/concurrency.md).
 */
export function runTransactional<T>(
  database: Database,
  work: (writer: TransactionalLedgerWriter) => Promise<T>,
  retry?: RetryOptions,
): Promise<T> {
  const once = () =>
    database.db
      .transaction()
      .execute((trx) => work(new TransactionalLedgerWriter(trx, database.adapter, database.db)))
  return withDbRetry(once, retry)
}
