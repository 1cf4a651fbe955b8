import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely'
import { type Config, DEVELOPMENT_AUDIT_KEY, GiftCardError, toIso } from '../core/index.ts'
import { type AuditLogTable, type Database, type DB, isUniqueViolation } from '../db/index.ts'
import {
  type AuditCheckpoint,
  type AuditHead,
  appendCheckpointFile,
  postCheckpoint,
  readCheckpointFile,
  type StoredCheckpoint,
  signCheckpoint,
} from './audit-checkpoints.ts'

/*
 * The audit trail (docs/audit.md): every row is chained to the one before it by an
 * HMAC-SHA256 under AUDIT_KEY, and the head of the chain is anchored outside the table by
 * signed checkpoints (governance/audit-checkpoints.ts), so an edited row, a rewritten chain and
 * rows deleted from the end are all found by `verifyAudit`.
 */

/** What one audit row records. `input` is stored as JSON; summaries are kept short. */
export type AuditEntry = {
  actor: string
  role: string | null
  via: string
  /** `tool_call`, `approval_requested`, `approval_decided`, `approval_executed`, `role_changed`… */
  action: string
  tool?: string | null
  input?: unknown
  resultSummary?: string | null
  approvalId?: number | null
  model?: string | null
  dataWatermark?: string | null
}

/** A row of `audit_log` as read back. */
export type AuditRow = Selectable<AuditLogTable>

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64)
const MAX_SUMMARY = 500

/** A keyed row's hash starts with this; a row hashed before keys (plain SHA-256) has none. */
export const KEYED_HASH_PREFIX = 'hmac-sha256:'

// ─── Hashes ────────────────────────────────────────────────────────────────────────────────

type HashedFields = Omit<AuditRow, 'hash'>

function fieldsOf(row: HashedFields): unknown[] {
  return [
    row.id,
    row.at,
    row.actor,
    row.role,
    row.via,
    row.action,
    row.tool,
    row.input,
    row.result_summary,
    row.approval_id,
    row.model,
    row.data_watermark,
    row.prev_hash,
  ]
}

/**
 * The hash every row gets: HMAC-SHA256 under AUDIT_KEY over a tag and the row's fields in a
 * fixed order, the previous row's hash included, written `hmac-sha256:<hex>`.
 */
export function keyedRowHash(row: HashedFields, key: string): string {
  const message = JSON.stringify(['giftcards.audit_log.v2', ...fieldsOf(row)])
  return KEYED_HASH_PREFIX + createHmac('sha256', key).update(message, 'utf8').digest('hex')
}

/**
 * The hash of a row written before the chain was keyed: a plain SHA-256 over the same fields
 * (64 hex digits, no prefix). Such rows still verify; they may only come first (docs/audit.md).
 */
export function legacyRowHash(row: HashedFields): string {
  return createHash('sha256')
    .update(JSON.stringify(fieldsOf(row)))
    .digest('hex')
}

/** True when the hash is of the keyed scheme. */
export function isKeyedHash(hash: string): boolean {
  return hash.startsWith(KEYED_HASH_PREFIX)
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

// ─── The trail of one open ledger: its key, its tail and its checkpoints ──────────────────────

/** How one open ledger keys its audit chain and anchors its head (docs/audit.md). */
export type AuditTrailSettings = {
  /** AUDIT_KEY. */
  key: string
  /** The append-only file of signed checkpoints; unset: no file. */
  checkpointFile?: string
  /** Set: each checkpoint is also POSTed there. */
  checkpointUrl?: string
  /** A checkpoint after this many appends by this process. */
  checkpointEvery: number
  /** And this often while appends happen; 0 for no timer. */
  checkpointIntervalMs: number
  /** Where a checkpoint written in the background reports a failure (default: stderr). */
  onCheckpointError?: (err: unknown) => void
}

/** The settings the configuration asks for (AUDIT_KEY, AUDIT_CHECKPOINT_*). */
export function auditTrailSettings(config: Config): AuditTrailSettings {
  return {
    key: config.auditKey,
    ...(config.audit.checkpointFile ? { checkpointFile: config.audit.checkpointFile } : {}),
    ...(config.audit.checkpointUrl ? { checkpointUrl: config.audit.checkpointUrl } : {}),
    checkpointEvery: config.audit.checkpointEvery,
    checkpointIntervalMs: config.audit.checkpointIntervalSeconds * 1000,
  }
}

/** A ledger nobody attached a trail to: the development key, and no checkpoints. */
const UNATTACHED: AuditTrailSettings = {
  key: DEVELOPMENT_AUDIT_KEY,
  checkpointEvery: Number.POSITIVE_INFINITY,
  checkpointIntervalMs: 0,
}

/**
 * Per open ledger: the key, the last row this process wrote with a queue so its appends go one
 * at a time, and when to write the next checkpoint.
 */
class AuditTrail {
  last: { id: number; hash: string } | undefined
  queue: Promise<unknown> = Promise.resolve()
  private appendsSinceCheckpoint = 0
  /** The highest row id this process appended (a head at or past it covers all of them). */
  private lastAppendedId = 0
  private appendedAny = false
  private backgroundQueued = false
  private lastWritten: AuditHead | undefined
  /** The head as last read: the next count starts from it. */
  private lastRead: AuditHead | undefined
  /** The first keyed row, once there is one (it never moves on an honest ledger). */
  private firstKeyed: number | undefined
  private writing: Promise<unknown> = Promise.resolve()
  private readonly timer: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Kysely<DB>,
    readonly settings: AuditTrailSettings,
  ) {
    if (this.anchored && settings.checkpointIntervalMs > 0) {
      this.timer = setInterval(() => {
        if (this.appendsSinceCheckpoint > 0) this.checkpointInBackground(1)
      }, settings.checkpointIntervalMs)
      this.timer.unref()
    }
  }

  /** True when checkpoints go somewhere (a file, a webhook or both). */
  get anchored(): boolean {
    return Boolean(this.settings.checkpointFile || this.settings.checkpointUrl)
  }

  /** Counts an append; every `checkpointEvery` appends, a checkpoint is written in the background. */
  noteAppend(id: number): void {
    if (!this.anchored) return
    this.appendedAny = true
    this.appendsSinceCheckpoint++
    this.lastAppendedId = Math.max(this.lastAppendedId, id)
    if (this.appendsSinceCheckpoint >= this.settings.checkpointEvery)
      this.checkpointInBackground(this.settings.checkpointEvery)
  }

  /** Writes a checkpoint of the head now, after any being written (`giftcards audit checkpoint`). */
  checkpointNow(): Promise<AuditCheckpoint> {
    const run = this.writing.then(async () => this.write(await this.readHead()))
    this.writing = run.catch(() => undefined)
    return run
  }

  /** Stops the timer and, if this process appended since its last checkpoint, writes one. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.writing
    if (this.appendedAny) await this.writeIfMoved().catch((err) => this.report(err))
  }

  /**
   * Queues a checkpoint behind any being written. It runs only if, by then, at least `atLeast`
   * appends are still uncovered: one already in flight may have covered the appends that asked.
   */
  private checkpointInBackground(atLeast: number): void {
    if (this.backgroundQueued) return
    this.backgroundQueued = true
    this.writing = this.writing
      .then(() => {
        this.backgroundQueued = false
        if (this.appendsSinceCheckpoint < atLeast) return
        return this.writeIfMoved()
      })
      .catch((err) => this.report(err))
  }

  /** A checkpoint unless the head is where the last one this process wrote left it. */
  private async writeIfMoved(): Promise<void> {
    const head = await this.readHead()
    const previous = this.lastWritten
    if (previous?.lastId === head.lastId && previous.lastHash === head.lastHash) return
    await this.write(head)
  }

  /**
   * The head to sign. The appends counted before the read are covered by it, and so are those
   * counted during the read whose rows it already sees (at most the rows past the head remain).
   */
  private async readHead(): Promise<AuditHead> {
    const counted = this.appendsSinceCheckpoint
    const head = { ...(await readHead(this.db, this.lastRead)), keyedFrom: await this.keyedFrom() }
    this.appendsSinceCheckpoint = Math.min(
      Math.max(0, this.appendsSinceCheckpoint - counted),
      Math.max(0, this.lastAppendedId - head.lastId),
    )
    this.lastRead = head
    return head
  }

  /** Signs the head and writes it to every target; fails if any target failed. */
  private async write(head: AuditHead): Promise<AuditCheckpoint> {
    const checkpoint = signCheckpoint(head, this.settings.key, toIso(Date.now()))
    const { checkpointFile: file, checkpointUrl: url, key } = this.settings
    const results = await Promise.allSettled([
      file ? appendCheckpointFile(file, checkpoint) : Promise.resolve(),
      url ? postCheckpoint(url, checkpoint, key) : Promise.resolve(),
    ])
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    if (failures.length > 0)
      throw new GiftCardError(
        'INTERNAL',
        `the audit checkpoint was not written everywhere: ${failures.map(messageOf).join('; ')}`,
        { cause: failures[0] },
      )
    this.lastWritten = head
    return checkpoint
  }

  private async keyedFrom(): Promise<number | null> {
    this.firstKeyed ??= (await readKeyedFrom(this.db)) ?? undefined
    return this.firstKeyed ?? null
  }

  private report(err: unknown): void {
    if (this.settings.onCheckpointError) this.settings.onCheckpointError(err)
    else process.stderr.write(`audit checkpoint failed: ${messageOf(err)}\n`)
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

const trails = new WeakMap<Database, AuditTrail>()

function trailOf(database: Database): AuditTrail {
  let trail = trails.get(database)
  if (!trail) {
    trail = new AuditTrail(database.db, UNATTACHED)
    trails.set(database, trail)
  }
  return trail
}

/**
 * Gives an open ledger its audit key and checkpoints (every face does it once, at open). The
 * ledger returned is the one to use: its `close` writes a last checkpoint (a clean shutdown)
 * before closing. A ledger never attached chains with the development key and writes no
 * checkpoints (tests, benches).
 */
export function attachAuditTrail(database: Database, settings: AuditTrailSettings): Database {
  const attached: Database = {
    ...database,
    close: async () => {
      try {
        await trail.close()
      } finally {
        await database.close()
      }
    },
  }
  const trail = new AuditTrail(database.db, settings)
  trails.set(attached, trail)
  return attached
}

/** Where this ledger's checkpoints go (the file, the webhook), to say so. */
export function auditCheckpointTargets(database: Database): { file?: string; url?: string } {
  const { checkpointFile, checkpointUrl } = trailOf(database).settings
  return {
    ...(checkpointFile ? { file: checkpointFile } : {}),
    ...(checkpointUrl ? { url: checkpointUrl } : {}),
  }
}

/**
 * Writes a signed checkpoint of the head now, to the file and the webhook
 * (`giftcards audit checkpoint`); throws when neither is configured or one fails.
 */
export async function writeAuditCheckpoint(database: Database): Promise<AuditCheckpoint> {
  const trail = trailOf(database)
  if (!trail.anchored)
    throw new GiftCardError(
      'CONFIG_INVALID',
      'no audit checkpoint target: set AUDIT_CHECKPOINT_FILE (or leave it unset for the default) or AUDIT_CHECKPOINT_URL',
    )
  return trail.checkpointNow()
}

// ─── Appending ──────────────────────────────────────────────────────────────────────────────

function buildRow(
  entry: AuditEntry,
  last: { id: number; hash: string } | undefined,
  key: string,
): AuditRow {
  const row = {
    id: (last?.id ?? 0) + 1,
    at: toIso(Date.now()),
    actor: entry.actor,
    role: entry.role,
    via: entry.via,
    action: entry.action,
    tool: entry.tool ?? null,
    input: entry.input === undefined ? null : JSON.stringify(entry.input),
    result_summary: entry.resultSummary ? entry.resultSummary.slice(0, MAX_SUMMARY) : null,
    approval_id: entry.approvalId ?? null,
    model: entry.model ?? null,
    data_watermark: entry.dataWatermark ?? null,
    prev_hash: last?.hash ?? GENESIS_HASH,
  }
  return { ...row, hash: keyedRowHash(row, key) }
}

async function readTail(db: Kysely<DB>): Promise<{ id: number; hash: string } | undefined> {
  const last = await db
    .selectFrom('audit_log')
    .select(['id', 'hash'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return last ? { id: Number(last.id), hash: last.hash } : undefined
}

/**
 * The last row and the number of rows, in one statement (so from one snapshot). Given the head
 * as this process last read it, only the rows after it are counted (a range of the primary key,
 * so a checkpoint of a long log does not stall a SQLite server on a full count); a count that
 * was wrong then (rows deleted before it since) shows at verify against the earlier checkpoint.
 */
async function readHead(
  db: Kysely<DB>,
  since?: Pick<AuditHead, 'lastId' | 'count'>,
): Promise<Omit<AuditHead, 'keyedFrom'>> {
  const after = since?.lastId ?? 0
  const { rows } = await sql<{ id: number | string; hash: string; count: number | string }>`
    select id, hash, (select count(*) from audit_log where id > ${after}) as count
    from audit_log order by id desc limit 1`.execute(db)
  const last = rows[0]
  if (!last) return { lastId: 0, lastHash: GENESIS_HASH, count: 0 }
  const lastId = Number(last.id)
  // The tail moved back (rows deleted): count again from the start.
  if (since && lastId < since.lastId) return readHead(db)
  return { lastId, lastHash: last.hash, count: (since?.count ?? 0) + Number(last.count) }
}

/**
 * The first keyed row. Read in id order, it stops there: a new ledger answers at row 1, an old
 * one after its unkeyed rows (once per process; the trail keeps the answer).
 */
async function readKeyedFrom(db: Kysely<DB>): Promise<number | null> {
  const { rows } = await sql<{ id: number | string }>`
    select id from audit_log where substr(hash, 1, ${KEYED_HASH_PREFIX.length}) = ${KEYED_HASH_PREFIX}
    order by id limit 1`.execute(db)
  return rows[0] ? Number(rows[0].id) : null
}

/**
 * Appends one row to the audit log, chained to the previous one by HMAC-SHA256 under AUDIT_KEY
 * (the hash covers the row's id, every field and the previous hash), so the chain never forks,
 * whether one process writes or several share the database:
 * - inside `trx` (an approval's decision or execution) the tail is read under the engine's
 *   append lock and the row commits or rolls back with the work it describes;
 * - on its own (every tool call) the row is written as id = last + 1 from the tail this process
 *   remembers: the primary key refuses it if any other writer (this process's transactions or
 *   another process) got there first, and then the tail is read again and the append retried.
 *   One statement on the hot path.
 * Every `checkpointEvery` appends, a signed checkpoint of the head is written in the background.
 */
/** How often an append outside a transaction retries after another writer took its id. */
const MAX_APPEND_ATTEMPTS = 100

export async function appendAudit(
  database: Database,
  entry: AuditEntry,
  trx?: Transaction<DB>,
): Promise<AuditRow> {
  const trail = trailOf(database)
  const { key } = trail.settings
  if (trx) {
    await database.adapter.serializeAppends(trx, 'audit_log')
    const row = buildRow(entry, await readTail(trx), key)
    await trx.insertInto('audit_log').values(row).execute()
    trail.last = undefined // the transaction may still roll back
    trail.noteAppend(row.id)
    return row
  }
  const append = trail.queue.then(async () => {
    for (let attempt = 0; ; attempt++) {
      trail.last ??= await readTail(database.db)
      const row = buildRow(entry, trail.last, key)
      try {
        await database.db.insertInto('audit_log').values(row).execute()
        trail.last = { id: row.id, hash: row.hash }
        trail.noteAppend(row.id)
        return row
      } catch (err) {
        trail.last = undefined
        // Another writer took the id first (db/retry.ts knows how each engine words it). Against
        // a writer appending in a tight loop, a bare retry can lose again and again: wait a
        // random, growing moment before reading the tail once more.
        if (attempt >= MAX_APPEND_ATTEMPTS || !isUniqueViolation(err)) throw err
        await new Promise((resolve) =>
          setTimeout(resolve, Math.random() * Math.min(50, 2 ** Math.min(attempt, 6))),
        )
      }
    }
  })
  trail.queue = append.catch(() => undefined)
  return append
}

// ─── Verifying ──────────────────────────────────────────────────────────────────────────────

/** What verification can find; `problem` says it in words, `id` names the row when there is one. */
export const AUDIT_PROBLEM_KINDS = [
  /** A row's contents changed, its hash left as it was. */
  'edited',
  /** Rows re-hashed consistently but not with AUDIT_KEY: another key, or no key at all. */
  'rewritten',
  /** Rows that neither link to the row before them nor match their hashes. */
  'replaced',
  /** A gap in the ids: rows deleted from the middle. */
  'missing',
  /** A row that does not link to the one before it. */
  'unlinked',
  /** The table ends before the last row a checkpoint saw. */
  'tail_deleted',
  /** The table is empty, though a checkpoint saw rows. */
  'all_deleted',
  /** A checkpoint disagrees with the row it names (its hash or the count up to it). */
  'checkpoint_mismatch',
  /** No checkpoint file (or no valid line in it) for a log that has rows. */
  'checkpoint_missing',
  /** Lines of the checkpoint file that do not parse or whose signature does not hold. */
  'checkpoint_invalid',
] as const

export type AuditProblemKind = (typeof AUDIT_PROBLEM_KINDS)[number]
export type AuditProblem = { kind: AuditProblemKind; id: number | null; problem: string }

export type AuditVerification = {
  ok: boolean
  /** One line: `intact: …` or `BROKEN: …`. */
  summary: string
  rows: number
  /** The last id in the table (0 when empty). */
  lastId: number
  /** True when the chain is keyed with the public development key (AUDIT_KEY unset). */
  developmentKey: boolean
  /** What the checkpoint file held; null when no file was checked. */
  checkpoints: {
    file: string
    found: boolean
    valid: number
    invalid: number
    /** The checkpoint with the highest row id: the head is anchored up to there. */
    newest?: { at: string; lastId: number }
  } | null
  /** The first MAX_PROBLEMS problems, file problems first, then by row. */
  problems: AuditProblem[]
  /** How many problems there are in all (more than listed when the log is badly damaged). */
  problemCount: number
}

/** How many problems a verification lists. */
const MAX_PROBLEMS = 1000
const PAGE = 5000

/** The problems found so far, the list bounded. */
class ProblemList {
  readonly items: AuditProblem[] = []
  count = 0
  add(kind: AuditProblemKind, id: number | null, problem: string): void {
    this.count++
    if (this.items.length < MAX_PROBLEMS) this.items.push({ kind, id, problem })
  }
}

const span = (from: number, to: number) => (from === to ? `row ${from}` : `rows ${from}–${to}`)

/** `row 5 is` / `rows 5–7 are`, and the like for other verbs. */
const spanDoes = (from: number, to: number, one: string, many: string) =>
  `${span(from, to)} ${from === to ? one : many}`

/** A run of rows whose hashes fail, each linking to the one before it. */
type FailingRun = { from: number; to: number; startLinked: boolean; unkeyed: boolean }

/** How a failing run ended: the next row links to it, does not, follows a gap, or none follows. */
type RunEnd = 'linked' | 'broken' | 'gap' | 'end'

/**
 * Walks the chain in id order, one row at a time, and names what it finds. The kinds of
 * failure are told apart by their shape: an edited row fails its hash but the next row still
 * links to it; a chain rewritten with another key fails every hash from some row on while the
 * links hold; a replaced row breaks the link before it too.
 */
class ChainWalk {
  rows = 0
  lastId = 0
  private prevHash = GENESIS_HASH
  private sawKeyed = false
  private run: FailingRun | undefined

  constructor(
    private readonly key: string,
    private readonly checkpoints: Map<number, StoredCheckpoint[]>,
    /** Rows hashed without a key are accepted up to this id (docs/audit.md, "Old ledgers"). */
    private readonly legacyUpTo: number,
    private readonly problems: ProblemList,
  ) {}

  visit(row: AuditRow): void {
    const gap = row.id !== this.lastId + 1
    if (gap)
      this.problems.add(
        'missing',
        row.id,
        `${spanDoes(this.lastId + 1, row.id - 1, 'is', 'are')} missing (deleted)`,
      )
    const linked = !gap && row.prev_hash === this.prevHash
    const hash = this.checkHash(row)
    this.rows++
    let linkExplained = gap
    if (this.run) {
      if (linked && !hash.holds) {
        this.run.to = row.id
        this.run.unkeyed ||= hash.unkeyed
      } else {
        this.closeRun(gap ? 'gap' : linked ? 'linked' : 'broken')
        if (!linked) linkExplained = true
      }
    }
    if (!this.run && !hash.holds)
      this.run = { from: row.id, to: row.id, startLinked: linked, unkeyed: hash.unkeyed }
    else if (hash.holds && !linked && !linkExplained)
      this.problems.add(
        'unlinked',
        row.id,
        'does not link to the row before it (a row was deleted, inserted or re-hashed)',
      )
    this.compareCheckpoints(row)
    this.prevHash = row.hash
    this.lastId = row.id
  }

  /** Closes the last run; the chain has been walked. */
  finish(): void {
    if (this.run) this.closeRun('end')
  }

  /** Whether the row's hash holds under its scheme, and whether it is unkeyed where it may not be. */
  private checkHash(row: AuditRow): { holds: boolean; unkeyed: boolean } {
    const { hash, ...fields } = row
    if (isKeyedHash(hash)) {
      this.sawKeyed = true
      return { holds: sameText(hash, keyedRowHash(fields, this.key)), unkeyed: false }
    }
    // An unkeyed row after a keyed one, or after checkpoints began, was re-hashed without the key.
    if (this.sawKeyed || row.id > this.legacyUpTo) return { holds: false, unkeyed: true }
    return { holds: sameText(hash, legacyRowHash(fields)), unkeyed: false }
  }

  private closeRun(end: RunEnd): void {
    const run = this.run
    if (!run) return
    this.run = undefined
    const { from, to } = run
    if (!run.startLinked) {
      this.problems.add(
        'replaced',
        from,
        from === to
          ? `row ${from} neither links to the row before nor matches its hash (inserted or replaced)`
          : `rows ${from}–${to} neither link to the row before nor match their hashes (inserted or replaced)`,
      )
    } else if (run.unkeyed) {
      this.problems.add(
        'rewritten',
        from,
        `${spanDoes(from, to, 'is', 'are')} hashed without a key after keyed rows: the chain was rewritten from row ${from} without AUDIT_KEY`,
      )
    } else if (end === 'linked' || (from === to && end !== 'broken')) {
      for (let id = from; id <= to; id++)
        this.problems.add('edited', id, 'its contents do not match its hash (the row was edited)')
    } else if (from === 1 && end === 'end') {
      this.problems.add(
        'rewritten',
        1,
        `every row (1–${to}) fails under AUDIT_KEY while the links hold: the chain was written or rewritten with a different key`,
      )
    } else if (from === to) {
      this.problems.add(
        'rewritten',
        from,
        `the row was edited and re-hashed with another key (row ${from + 1} no longer links to it)`,
      )
    } else {
      this.problems.add(
        'rewritten',
        from,
        `${span(from, to)} were re-hashed with a different key: the chain was rewritten from row ${from}`,
      )
    }
  }

  /** One problem per row however many checkpoints disagree with it (the first is named). */
  private compareCheckpoints(row: AuditRow): void {
    const checkpoints = this.checkpoints.get(row.id) ?? []
    const otherHash = checkpoints.filter((c) => !sameText(c.lastHash, row.hash))
    const otherCount = checkpoints.filter((c) => c.count !== this.rows)
    const more = (n: number) => (n > 1 ? ` (and ${n - 1} more checkpoints)` : '')
    const [hashFirst] = otherHash
    const [countFirst] = otherCount
    if (hashFirst)
      this.problems.add(
        'checkpoint_mismatch',
        row.id,
        `differs from the checkpoint of ${hashFirst.at} (line ${hashFirst.line})${more(otherHash.length)}: the rows up to it were rewritten, or deleted and written again`,
      )
    else if (countFirst)
      this.problems.add(
        'checkpoint_mismatch',
        row.id,
        `the checkpoint of ${countFirst.at}${more(otherCount.length)} counted ${countFirst.count} rows up to here, the table has ${this.rows}`,
      )
  }
}

/**
 * Verifies the audit log: walks the chain from the first row (in pages, so a long log is
 * checked in constant memory) and, given the checkpoint file, holds the table against every
 * signed checkpoint. Finds an edited row, a chain rewritten with another key (or none), rows
 * missing from the middle, inserted or replaced rows, rows deleted from the end or all of them,
 * and a checkpoint file that is missing or whose lines are not signed with the key.
 * `key` defaults to the development key, as `appendAudit` on a ledger never attached.
 */
export async function verifyAudit(
  db: Kysely<DB>,
  options: { key?: string; checkpointFile?: string } = {},
): Promise<AuditVerification> {
  const key = options.key ?? DEVELOPMENT_AUDIT_KEY
  const problems = new ProblemList()
  const file = options.checkpointFile
  const reading = file ? await readCheckpointFile(file, key) : undefined
  const valid = reading?.exists ? reading.valid : []
  if (file && reading?.exists && reading.invalid.length > 0)
    problems.add(
      'checkpoint_invalid',
      null,
      describeInvalidLines(file, reading.invalid, valid.length),
    )

  const byRow = new Map<number, StoredCheckpoint[]>()
  for (const c of valid) byRow.set(c.lastId, [...(byRow.get(c.lastId) ?? []), c])
  const walk = new ChainWalk(key, byRow, legacyLimit(valid), problems)
  for (let after = 0; ; ) {
    const page = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute()
    for (const raw of page) {
      const row = {
        ...raw,
        id: Number(raw.id),
        approval_id: raw.approval_id === null ? null : Number(raw.approval_id),
      }
      walk.visit(row)
      after = row.id
    }
    if (page.length < PAGE) break
  }
  walk.finish()

  const newest = valid.reduce<StoredCheckpoint | undefined>(
    (best, c) => (!best || c.lastId > best.lastId ? c : best),
    undefined,
  )
  if (file && walk.rows > 0 && !newest)
    problems.add(
      'checkpoint_missing',
      null,
      `${reading?.exists ? 'no valid checkpoint in' : 'the checkpoint file is missing:'} ${file}: the head cannot be checked, so rows deleted from the end would go unseen (giftcards audit checkpoint writes one)`,
    )
  if (newest && newest.lastId > walk.lastId) {
    if (walk.rows === 0)
      problems.add(
        'all_deleted',
        null,
        `all rows were deleted: the checkpoint of ${newest.at} says the log reached row ${newest.lastId} (${newest.count} rows), the table is empty`,
      )
    else
      problems.add(
        'tail_deleted',
        newest.lastId,
        `rows ${walk.lastId + 1}–${newest.lastId} were deleted from the end: the checkpoint of ${newest.at} says the log reached row ${newest.lastId}, the table ends at row ${walk.lastId}`,
      )
  }
  const result = {
    ok: problems.count === 0,
    rows: walk.rows,
    lastId: walk.lastId,
    developmentKey: key === DEVELOPMENT_AUDIT_KEY,
    checkpoints: file
      ? {
          file,
          found: reading?.exists ?? false,
          valid: valid.length,
          invalid: reading?.exists ? reading.invalid.length : 0,
          ...(newest ? { newest: { at: newest.at, lastId: newest.lastId } } : {}),
        }
      : null,
    problems: sortProblems(problems.items),
    problemCount: problems.count,
  }
  return { ...result, summary: summarise(result) }
}

/**
 * Verifies the ledger's audit log with its own key and checkpoint file (as attached), or with
 * the checkpoint file given (a copy kept elsewhere, e.g. what the webhook received).
 */
export function verifyAuditTrail(
  database: Database,
  options: { checkpointFile?: string } = {},
): Promise<AuditVerification> {
  const { key, checkpointFile: attachedFile } = trailOf(database).settings
  const checkpointFile = options.checkpointFile ?? attachedFile
  return verifyAudit(database.db, { key, ...(checkpointFile ? { checkpointFile } : {}) })
}

/**
 * Unkeyed rows are accepted only before the keyed ones began, as the checkpoints saw it: each
 * says where keyed rows begin (`keyedFrom`), and a checkpoint is written by code that keys every
 * row, so no unkeyed row may come after a row a checkpoint saw, nor at or after `keyedFrom`.
 */
function legacyLimit(checkpoints: StoredCheckpoint[]): number {
  let limit = Number.POSITIVE_INFINITY
  for (const c of checkpoints) {
    limit = Math.min(limit, isKeyedHash(c.lastHash) ? c.lastId - 1 : c.lastId)
    if (c.keyedFrom !== null) limit = Math.min(limit, c.keyedFrom - 1)
  }
  return limit
}

function describeInvalidLines(
  file: string,
  invalid: { line: number; reason: 'malformed' | 'signature' }[],
  validCount: number,
): string {
  const lines = invalid.slice(0, 10).map((i) => i.line)
  const more = invalid.length > lines.length ? ` and ${invalid.length - lines.length} more` : ''
  const where = `line${invalid.length === 1 ? '' : 's'} ${lines.join(', ')}${more} of ${file}`
  if (invalid.every((i) => i.reason === 'signature'))
    return validCount === 0
      ? `no checkpoint in ${file} is signed with this AUDIT_KEY (${invalid.length} line${invalid.length === 1 ? '' : 's'}): the key changed, or the file was forged`
      : `checkpoint ${where}: the signature does not hold under AUDIT_KEY (forged, edited, or signed with another key)`
  return `checkpoint ${where}: not a checkpoint, or its signature does not hold (the file was edited)`
}

/** File-level problems first, then by row, a row's own problems before the checkpoints'. */
function sortProblems(problems: AuditProblem[]): AuditProblem[] {
  const checkpointLast = (p: AuditProblem) => (p.kind === 'checkpoint_mismatch' ? 1 : 0)
  return [...problems].sort(
    (a, b) => (a.id ?? -1) - (b.id ?? -1) || checkpointLast(a) - checkpointLast(b),
  )
}

const KIND_WORDS: Record<AuditProblemKind, string> = {
  edited: 'rows edited',
  rewritten: 'chain rewritten',
  replaced: 'rows inserted or replaced',
  missing: 'rows deleted from the middle',
  unlinked: 'broken links',
  tail_deleted: 'rows deleted from the end',
  all_deleted: 'all rows deleted',
  checkpoint_mismatch: 'rows differ from a checkpoint',
  checkpoint_missing: 'no checkpoint',
  checkpoint_invalid: 'checkpoint signature wrong',
}

/** Kinds whose summary names the rows (a deleted tail is named by its sentence). */
const ROW_KINDS = new Set<AuditProblemKind>([
  'edited',
  'rewritten',
  'replaced',
  'missing',
  'unlinked',
])

function unanchored(rows: number): string {
  return rows > 0 ? ` (${rows.toLocaleString('en-US')} newer rows rest on the key alone)` : ''
}

function summarise(v: Omit<AuditVerification, 'summary'>): string {
  const rows = `${v.rows.toLocaleString('en-US')} row${v.rows === 1 ? '' : 's'}`
  if (!v.ok) {
    const kinds = [...new Set(v.problems.map((p) => p.kind))].map((k) => {
      const ids = ROW_KINDS.has(k)
        ? v.problems.filter((p) => p.kind === k && p.id !== null).map((p) => p.id)
        : []
      return ids.length > 0 && ids.length <= 5
        ? `${KIND_WORDS[k]} (${ids.join(', ')})`
        : KIND_WORDS[k]
    })
    return `BROKEN: ${v.problemCount} problem(s) in ${rows}: ${kinds.join('; ')}`
  }
  const anchor = !v.checkpoints
    ? 'head not anchored (no checkpoint file)'
    : v.checkpoints.newest
      ? `head anchored at row ${v.checkpoints.newest.lastId} by the checkpoint of ${v.checkpoints.newest.at}${unanchored(v.lastId - v.checkpoints.newest.lastId)}`
      : 'no checkpoint yet (the log is empty)'
  return `intact: ${rows}, chain verified; ${anchor}`
}

/** Audit rows, newest first, filtered. */
export async function readAudit(
  db: Kysely<DB>,
  filters: {
    actor?: string
    tool?: string
    action?: string
    approvalId?: number
    since?: string
    limit?: number
    offset?: number
  } = {},
): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll()
  if (filters.actor) query = query.where('actor', '=', filters.actor)
  if (filters.tool) query = query.where('tool', '=', filters.tool)
  if (filters.action) query = query.where('action', '=', filters.action)
  if (filters.approvalId !== undefined) query = query.where('approval_id', '=', filters.approvalId)
  if (filters.since) query = query.where('at', '>=', filters.since)
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filters.limit ?? 50)
    .offset(filters.offset ?? 0)
    .execute()
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    approval_id: r.approval_id === null ? null : Number(r.approval_id),
  }))
}
