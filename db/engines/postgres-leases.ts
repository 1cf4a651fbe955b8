import pg from 'pg'

/**
 * PostgreSQL primitives for running a job once across many `giftcards serve` processes
 * (docs/concurrency.md, "Many instances, one database"):
 *
 * - a **session advisory lock** held on a connection of its own: `pg_try_advisory_lock(key)`
 *   (PostgreSQL manual, "Advisory Locks" and "Advisory Lock Functions"). Whoever holds it leads.
 *   A session lock lives as long as its session: when the leader's process dies, even by
 *   `kill -9`, the kernel closes its socket, the server ends the backend and the lock is free
 *   for the next `pg_try_advisory_lock`. It is not held by a pooled connection, because a pool
 *   hands connections to other work (and through PgBouncer in transaction mode a session lock
 *   would stay with a server connection other clients then use: docs/scale-out.md).
 * - the **settled horizon** of an identity column: the highest id below which no row can still
 *   appear. Ids are handed out when a row is inserted, not when it commits, so a reader that
 *   simply remembers the highest id it saw may skip a lower id whose transaction commits later.
 *   `ledgerHorizon` reads, in one snapshot, the highest id visible and the snapshot's `xmax`
 *   (manual, "Transaction ID and Snapshot Information Functions"): every id at or below that
 *   highest one was handed out before the snapshot, to a transaction whose xid is below `xmax`
 *   (the ledger's writers lock or insert card rows before their ledger rows, so they hold an xid
 *   by then). Once a later snapshot's `xmin` (the oldest transaction still running) reaches that
 *   `xmax`, every one of those transactions has committed or rolled back: ids up to the highest
 *   one are settled, and an id missing below it never appears (a rollback, or an insert that
 *   met a conflict).
 */

/** A session advisory lock on a dedicated connection. */
export class SessionLock {
  private client: pg.Client | undefined
  private held = false

  constructor(
    private readonly url: string,
    private readonly key: number,
    private readonly searchPath?: string,
  ) {}

  /** True while this process holds the lock (as far as it last knew). */
  get isHeld(): boolean {
    return this.held
  }

  /**
   * Tries to take the lock without waiting; true when held (already or now). A connection that
   * failed is dropped and the lock counted as lost: the server released it with the session.
   */
  async tryAcquire(): Promise<boolean> {
    try {
      const client = await this.connect()
      if (this.held) {
        // Still ours only if the session is alive: one round trip proves it.
        await client.query('select 1')
        return true
      }
      const { rows } = await client.query<{ ok: boolean }>(
        'select pg_try_advisory_lock(hashtext(current_schema()), $1) as ok',
        [this.key],
      )
      this.held = rows[0]?.ok === true
      return this.held
    } catch (err) {
      await this.drop()
      throw err
    }
  }

  /** Gives the lock up (and its connection). */
  async release(): Promise<void> {
    if (this.client && this.held)
      await this.client
        .query('select pg_advisory_unlock(hashtext(current_schema()), $1)', [this.key])
        .catch(() => undefined)
    await this.drop()
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client
    const client = new pg.Client({
      connectionString: this.url,
      ...(this.searchPath ? { options: `-c search_path=${this.searchPath}` } : {}),
      application_name: 'giftcards-leader',
      // A query the server does not answer in 5 s (a network partition) counts as lost.
      query_timeout: 5_000,
    })
    // A socket error after connecting (the server restarted, the network dropped) must not
    // crash the process: the next tryAcquire sees the broken client and reconnects.
    client.on('error', () => {
      this.held = false
      void this.drop()
    })
    await client.connect()
    // A leader whose host vanished (no FIN, no RST) keeps its session, and so the lock, until
    // the server's TCP keepalive gives up: 2 hours by default. These per-session settings
    // (manual, "Connections and Authentication": tcp_keepalives_*) make it about 11 s. Ignored
    // on a Unix socket.
    await client.query(
      'set tcp_keepalives_idle = 5; set tcp_keepalives_interval = 2; set tcp_keepalives_count = 3',
    )
    this.client = client
    return client
  }

  private async drop(): Promise<void> {
    this.held = false
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => undefined)
  }
}

/**
 * Advisory lock keys, one per job led across instances. The lock is the pair (a hash of the
 * schema, this key): locks are per database, and schemas of one database (the tests', or two
 * chains side by side) each elect their own leader.
 */
export const LEADER_LOCK_KEYS = { leader: 0x6763_2201 } as const

/** What one snapshot says about the ledger's ids: see the module comment. */
export type HorizonReading = {
  /** The highest gift_card_transactions id visible. */
  maxId: number
  /** The oldest transaction still running (xid8, as a bigint). */
  xmin: bigint
  /** One past the newest transaction that had begun (xid8). */
  xmax: bigint
}

/** Reads the ledger's highest id and the current snapshot's bounds in one statement. */
export async function readHorizon(
  query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>,
): Promise<HorizonReading> {
  const { rows } = await query(
    `select coalesce((select max(id) from gift_card_transactions), 0) as max_id,
       pg_snapshot_xmin(pg_current_snapshot())::text as xmin,
       pg_snapshot_xmax(pg_current_snapshot())::text as xmax`,
  )
  const row = rows[0] as { max_id: number | string; xmin: string; xmax: string }
  return { maxId: Number(row.max_id), xmin: BigInt(row.xmin), xmax: BigInt(row.xmax) }
}

/**
 * Turns successive readings into the settled horizon: each reading waits until a later
 * reading's `xmin` reaches its `xmax`, and then every id up to its `maxId` is settled.
 */
export class SettledHorizon {
  private pending: HorizonReading[] = []
  private settled = 0

  /** Adds a reading and returns the highest settled id so far. */
  observe(reading: HorizonReading): number {
    this.pending.push(reading)
    const still: HorizonReading[] = []
    for (const r of this.pending) {
      if (reading.xmin >= r.xmax) this.settled = Math.max(this.settled, r.maxId)
      else still.push(r)
    }
    // Readings that settle later carry higher or equal ids: only the newest few are kept.
    this.pending = still.slice(-64)
    return this.settled
  }
}
