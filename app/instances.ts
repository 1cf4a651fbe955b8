import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { describeError, type Logger, toIso } from '../core/index.ts'
import { type Database, LEADER_LOCK_KEYS, SessionLock } from '../db/index.ts'

/** How often an instance renews its heartbeat and, when not leading, tries to lead. */
const TICK_MS = 1_000
/** A heartbeat older than this is an instance that stopped; its row is deleted. */
const STALE_MS = 10_000

/** What `/healthz` says about this process among the others (docs/concurrency.md). */
export type InstanceStatus = {
  id: string
  /** `single`: SQLite, one instance, no election. `leader` / `follower`: PostgreSQL. */
  role: 'single' | 'leader' | 'follower'
  /** Instances whose heartbeat is fresh (this one included); 1 on SQLite. */
  instances: number
}

/**
 * One `giftcards serve` process among others on one database. On PostgreSQL it keeps a row in
 * `service_instances` with a heartbeat, and competes for one session advisory lock
 * (db/engines/postgres-leases.ts): the holder is the **leader**, and runs what must run once
 * across instances (the fraud stream, the Slack publisher, the auto-hold sweep). When the leader
 * dies its session ends, the lock is free, and another instance takes it within a tick. On
 * SQLite (one instance) it is always the leader and touches nothing.
 */
export class InstanceCoordinator {
  readonly id: string
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> = Promise.resolve()
  private leading = false
  private stopped = false
  private readonly lock: SessionLock | undefined
  private readonly listeners: ((leading: boolean) => void)[] = []

  private constructor(
    private readonly database: Database,
    private readonly options: { logger?: Logger; tickMs?: number; id?: string },
  ) {
    this.id = options.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    if (database.engine === 'postgres' && database.target.engine === 'postgres')
      this.lock = new SessionLock(database.target.url, LEADER_LOCK_KEYS.leader, database.searchPath)
    else this.leading = true
  }

  /** Registers this instance and makes the first attempt to lead before returning. */
  static async start(
    database: Database,
    options: { logger?: Logger; tickMs?: number; id?: string } = {},
  ): Promise<InstanceCoordinator> {
    const coordinator = new InstanceCoordinator(database, options)
    if (!coordinator.lock) return coordinator
    const now = toIso(Date.now())
    await database.db
      .insertInto('service_instances')
      .values({
        id: coordinator.id,
        host: hostname().slice(0, 255),
        pid: process.pid,
        started_at: now,
        heartbeat_at: now,
        leader_of: null,
      })
      .execute()
    await coordinator.tick()
    coordinator.timer = setInterval(() => {
      coordinator.ticking = coordinator.ticking.then(() => coordinator.tick())
    }, options.tickMs ?? TICK_MS)
    coordinator.timer.unref()
    return coordinator
  }

  /** True while this instance leads (always on SQLite). */
  get isLeader(): boolean {
    return this.leading
  }

  /** Called with true when this instance starts leading, false when it stops. */
  onLeadership(listener: (leading: boolean) => void): void {
    this.listeners.push(listener)
    if (this.leading) listener(true)
  }

  async status(): Promise<InstanceStatus> {
    if (!this.lock) return { id: this.id, role: 'single', instances: 1 }
    const alive = await this.database.db
      .selectFrom('service_instances')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('heartbeat_at', '>=', toIso(Date.now() - STALE_MS))
      .executeTakeFirstOrThrow()
    return {
      id: this.id,
      role: this.leading ? 'leader' : 'follower',
      instances: Number(alive.n),
    }
  }

  /** Stops leading (the lock goes with its session) and deletes this instance's row. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await this.ticking
    if (!this.lock) return
    this.setLeading(false)
    await this.lock.release()
    await this.database.db
      .deleteFrom('service_instances')
      .where('id', '=', this.id)
      .execute()
      .catch(() => undefined)
  }

  /** Renews the heartbeat, forgets stopped instances, and tries to lead (or checks it still does). */
  private async tick(): Promise<void> {
    if (this.stopped || !this.lock) return
    let leading = false
    try {
      leading = await this.lock.tryAcquire()
    } catch (err) {
      this.options.logger?.warn({ err: describeError(err) }, 'could not reach the leader lock')
    }
    this.setLeading(leading)
    try {
      const now = Date.now()
      await this.database.db
        .updateTable('service_instances')
        .set({ heartbeat_at: toIso(now), leader_of: leading ? 'leader' : null })
        .where('id', '=', this.id)
        .execute()
      await this.database.db
        .deleteFrom('service_instances')
        .where('heartbeat_at', '<', toIso(now - STALE_MS))
        .execute()
    } catch (err) {
      this.options.logger?.warn({ err: describeError(err) }, 'could not renew the heartbeat')
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return
    this.leading = leading
    this.options.logger?.info(
      { instance: this.id, leading },
      leading ? 'leading: the fraud stream and the Slack publisher run here' : 'no longer leading',
    )
    for (const listener of this.listeners) listener(leading)
  }
}
