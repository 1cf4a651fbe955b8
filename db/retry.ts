import { GiftCardError } from '../core/index.ts'

/**
 * Retrying transactions that lost a race to another writer (docs/concurrency.md). Several
 * processes may share one database; when two transactions want the same rows, the engine
 * sometimes aborts one of them, and the only right answer is to run it again:
 *
 * - PostgreSQL `40P01` deadlock_detected and `40001` serialization_failure (PostgreSQL's
 *   "Serialization Failure Handling" section of the manual: retry both);
 * - SQLite `SQLITE_BUSY` and its extended codes (`SQLITE_BUSY_SNAPSHOT`, …, "database is
 *   locked"), once the connection's busy timeout has run out, and `SQLITE_LOCKED`.
 *
 * A unique violation (PostgreSQL `23505`, SQLite `SQLITE_CONSTRAINT_UNIQUE` /
 * `_PRIMARYKEY`) is a lost race only where the writer is idempotent (it would have skipped
 * the row had it seen it): such writers opt in with `retryUniqueViolations`.
 */

/** Why the engine aborted a transaction that may succeed when run again. */
export type TransientKind = 'deadlock' | 'serialization' | 'busy'

const PG_TRANSIENT: Record<string, TransientKind> = {
  '40P01': 'deadlock',
  '40001': 'serialization',
}

/** The driver's error code on `err` or anything in its `cause` chain (a wrapped driver error). */
function codesOf(err: unknown): string[] {
  const codes: string[] = []
  let current: unknown = err
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
    current = (current as { cause?: unknown }).cause
  }
  return codes
}

/** The kind of transient failure `err` is (deadlock, serialization, busy), or undefined. */
export function transientKind(err: unknown): TransientKind | undefined {
  for (const code of codesOf(err)) {
    const pg = PG_TRANSIENT[code]
    if (pg) return pg
    if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_')) return 'busy'
    if (code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_LOCKED_')) return 'busy'
  }
  return undefined
}

/** Whether the engine aborted the work for contention alone: running it again may succeed. */
export function isTransientDbError(err: unknown): boolean {
  return transientKind(err) !== undefined
}

/** Whether `err` is a unique (or primary key) violation, on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  return codesOf(err).some(
    (code) =>
      code === '23505' ||
      code === 'SQLITE_CONSTRAINT_UNIQUE' ||
      code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  )
}

export type RetryOptions = {
  /** Tries in all, the first included (default 8). */
  attempts?: number
  /** The first back-off's ceiling in ms (default 10); it doubles each retry. */
  baseDelayMs?: number
  /** The largest back-off in ms (default 400). */
  maxDelayMs?: number
  /** Also retry unique violations (idempotent writers only; see the module comment). */
  retryUniqueViolations?: boolean
  /** Called before each retry (the caller logs it). */
  onRetry?: (info: { attempt: number; delayMs: number; kind: string; err: unknown }) => void
  /** A number in [0, 1): the jitter (tests pin it). */
  random?: () => number
  /** Waits `ms` (tests replace it). */
  sleep?: (ms: number) => Promise<void>
}

/** Default tries: at most 10 + 20 + 40 + … + 400 ≈ 1.4 s of waiting in all. */
export const DEFAULT_ATTEMPTS = 8

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Runs `work` (a whole transaction: it must start its own, so each try starts afresh) and
 * runs it again when the engine aborted it for contention, after a random back-off that
 * doubles each time ("full jitter": two processes that collided do not collide again in step).
 * Any other error is thrown at once. After `attempts` tries it throws a `DB_ERROR` whose
 * message names the kind of contention and no database text; the last driver error is its
 * `cause`, for the server log.
 */
export async function withDbRetry<T>(
  work: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS)
  const sleep = options.sleep ?? wait
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt)
    } catch (err) {
      const kind =
        transientKind(err) ??
        (options.retryUniqueViolations && isUniqueViolation(err) ? 'unique violation' : undefined)
      if (!kind) throw err
      if (attempt >= attempts) throw tooBusy(kind, attempts, err)
      const delayMs = retryDelayMs(attempt, options)
      options.onRetry?.({ attempt, delayMs, kind, err })
      await sleep(delayMs)
    }
  }
}

/**
 * The back-off before retry number `attempt` (1-based): random up to a ceiling that starts at
 * `baseDelayMs` and doubles, capped at `maxDelayMs`. For writers that retry on their own terms
 * (an import rolls back and reads again from its checkpoint).
 */
export function retryDelayMs(
  attempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'> = {},
): number {
  const base = options.baseDelayMs ?? 10
  const max = options.maxDelayMs ?? 400
  const random = options.random ?? Math.random
  return Math.round(random() * Math.min(max, base * 2 ** (attempt - 1)))
}

/** The error of a write given up after `attempts` tries: no database text; the cause kept. */
export function tooBusy(kind: string, attempts: number, cause: unknown): GiftCardError {
  return new GiftCardError(
    'DB_ERROR',
    `the database was too busy to complete the write (${kind}, ${attempts} attempts); try again`,
    { cause, details: { transient: true, kind, attempts } },
  )
}
