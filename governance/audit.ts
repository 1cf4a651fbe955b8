import { createHash } from 'node:crypto'
import type { Kysely, Selectable, Transaction } from 'kysely'
import { toIso } from '../core/index.ts'
import type { AuditLogTable, Database, DB } from '../db/index.ts'

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

/** Per open ledger: the last row this process wrote, and a queue so its appends go one at a time. */
const tails = new WeakMap<
  Database,
  { last?: { id: number; hash: string }; queue: Promise<unknown> }
>()

function tailOf(database: Database) {
  let tail = tails.get(database)
  if (!tail) {
    tail = { queue: Promise.resolve() }
    tails.set(database, tail)
  }
  return tail
}

function buildRow(entry: AuditEntry, last: { id: number; hash: string } | undefined): AuditRow {
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
  return { ...row, hash: hashRow(row) }
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
 * Appends one row to the audit log, chained to the previous one by SHA-256 (the hash covers the
 * row's id, every field and the previous hash), so the chain never forks:
 * - inside `trx` (an approval's decision or execution) the tail is read under the engine's
 *   append lock and the row commits or rolls back with the work it describes;
 * - on its own (every tool call) the row is written as id = last + 1 from the tail this process
 *   remembers: the primary key refuses it if any other writer got there first, and then the
 *   tail is read again and the append retried. One statement on the hot path.
 */
export async function appendAudit(
  database: Database,
  entry: AuditEntry,
  trx?: Transaction<DB>,
): Promise<AuditRow> {
  const tail = tailOf(database)
  if (trx) {
    await database.adapter.serializeAppends(trx, 'audit_log')
    const row = buildRow(entry, await readTail(trx))
    await trx.insertInto('audit_log').values(row).execute()
    tail.last = undefined // the transaction may still roll back
    return row
  }
  const append = tail.queue.then(async () => {
    for (let attempt = 0; ; attempt++) {
      tail.last ??= await readTail(database.db)
      const row = buildRow(entry, tail.last)
      try {
        await database.db.insertInto('audit_log').values(row).execute()
        tail.last = { id: row.id, hash: row.hash }
        return row
      } catch (err) {
        tail.last = undefined
        if (attempt >= 20 || !isUniqueViolation(err)) throw err
      }
    }
  })
  tail.queue = append.catch(() => undefined)
  return append
}

/** Another writer took the id first (SQLite and PostgreSQL word it differently). */
function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return (
    e.code === '23505' ||
    e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    /UNIQUE constraint failed/.test(e.message ?? '')
  )
}

/** The hash of a row: SHA-256 over its fields in a fixed order, the previous hash included. */
export function hashRow(row: Omit<AuditRow, 'hash'>): string {
  const fields = [
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
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex')
}

export type AuditProblem = { id: number; problem: string }
export type AuditVerification = { ok: boolean; rows: number; problems: AuditProblem[] }

/**
 * Walks the chain from the first row: an edited row no longer matches its hash, a deleted row
 * leaves a gap in the ids and a broken link, an inserted row breaks the link of the row after
 * it. Reads in pages, so a long log is checked in constant memory.
 */
export async function verifyAudit(db: Kysely<DB>): Promise<AuditVerification> {
  const problems: AuditProblem[] = []
  let prevHash = GENESIS_HASH
  let expectedId = 1
  let rows = 0
  let after = 0
  for (;;) {
    const page = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(5000)
      .execute()
    for (const raw of page) {
      const row = {
        ...raw,
        id: Number(raw.id),
        approval_id: raw.approval_id === null ? null : Number(raw.approval_id),
      }
      rows++
      if (row.id !== expectedId)
        problems.push({ id: row.id, problem: `rows ${expectedId}–${row.id - 1} are missing` })
      if (row.prev_hash !== prevHash)
        problems.push({
          id: row.id,
          problem: 'does not link to the row before it (a row was deleted or inserted)',
        })
      const { hash, ...rest } = row
      if (hashRow(rest) !== hash)
        problems.push({
          id: row.id,
          problem: 'its contents do not match its hash (the row was edited)',
        })
      prevHash = hash
      expectedId = row.id + 1
      after = row.id
    }
    if (page.length < 5000) break
  }
  return { ok: problems.length === 0, rows, problems }
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
