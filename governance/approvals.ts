import type { Selectable, Transaction } from 'kysely'
import { describeError, GiftCardError, HOUR_MS, toIso } from '../core/index.ts'
import type { ApprovalRequestsTable, Database, DB } from '../db/index.ts'
import { appendAudit } from './audit.ts'
import { type Actor, canDecideApprovals, resolveActor, type Via } from './roles.ts'

export const APPROVAL_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'executed',
  'failed',
] as const
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number]

/**
 * How an approved action runs (docs/approvals.md "Execution, exactly once").
 *
 * - `prepare` reads what it needs outside any transaction and has no side effect: two racing
 *   executions (a recovery and a live one) may both prepare, and only the one that claims the
 *   request applies.
 * - `external`, when there is one, makes the action's call outside the database (a card hold at
 *   the POS), outside any transaction and before the claim, while the request is still
 *   `approved`. It is keyed by the approval id and must be safe to repeat: a process killed
 *   after it and before the commit leaves the request `approved`, and the recovery calls it
 *   again; two racing runs may both call it. What it returns is handed to `apply`.
 * - `apply` does the ledger's work inside the transaction that marks the approval executed, so
 *   the work and its record commit together or not at all.
 * - `undo` gives back what `external` did when `apply` then fails as an action (the card was
 *   held meanwhile by another approval): the request becomes `failed`, and nothing stays moved.
 */
export type ApprovalExecutor = {
  prepare?(database: Database, args: unknown): Promise<unknown>
  external?(
    database: Database,
    args: unknown,
    context: { approvalId: number; prepared: unknown },
  ): Promise<unknown>
  apply(
    database: Database,
    trx: Transaction<DB>,
    args: unknown,
    context: { approvalId: number; prepared: unknown; external?: unknown },
  ): Promise<Record<string, unknown>>
  undo?(
    database: Database,
    args: unknown,
    context: { approvalId: number; prepared: unknown; external: unknown },
  ): Promise<void>
}

export type Approval = {
  id: number
  action: string
  args: Record<string, unknown>
  summary: string
  reason: string | null
  requestedBy: string
  requestedVia: string
  status: ApprovalStatus
  decidedBy: string | null
  decidedAt: string | null
  decisionReason: string | null
  expiresAt: string
  executedAt: string | null
  outcome: Record<string, unknown> | null
  createdAt: string
  details: Record<string, unknown> | null
  /** Who may decide it, and where. */
  approvers: string
}

export type Decision = {
  approval: Approval
  /** False when the request was already decided, expired or taken by a concurrent click. */
  changed: boolean
  message: string
}

export type ApprovalEvent =
  | { kind: 'requested'; approval: Approval }
  | { kind: 'decided'; approval: Approval }

export const ONLY_ANOTHER_MANAGER = 'only a manager other than the requester can approve this'

/**
 * Who may decide a request, the one rule of every face (docs/identity.md#roles): a `manager` or
 * an `admin` (roles grow: an admin may do what a manager may), never the requester. Null when
 * `actor` may decide; otherwise why not, starting with ONLY_ANOTHER_MANAGER. ApprovalService.decide
 * enforces it; faces call it only to say beforehand whether to offer the buttons.
 */
export function whyCannotDecide(
  actor: Actor,
  approval: Pick<Approval, 'id' | 'requestedBy'>,
): string | null {
  if (!canDecideApprovals(actor.role))
    return `${ONLY_ANOTHER_MANAGER} (${actor.id} is ${actor.role}; managers and admins decide approvals)`
  if (actor.id === approval.requestedBy)
    return `${ONLY_ANOTHER_MANAGER} (approval #${approval.id} was requested by ${approval.requestedBy})`
  return null
}

/**
 * Who resumes an approved request an interrupted process left unexecuted: the server at start
 * (`system:serve`), `giftcards approvals resume` (the login running it) or a manager approving it
 * again. Recorded on the `approval_resumed` audit row, beside the execution.
 */
export type Resumer = { id: string; role: string | null; via: Via }

/** What a recovery did with one approved request. */
export type Resumed = {
  approval: Approval
  /** Set when the request could not be run now (the database failed): it stays `approved`. */
  error?: string
}

/**
 * The one road to a write. A write tool files a request; a manager who is not the requester
 * approves or rejects it; an approved request is executed exactly once (the approval id keys the
 * execution and the POS calls); a request not decided before it expires never runs. Deciding
 * twice, or two managers clicking at once, is harmless: one decision wins, the other is told.
 */
export class ApprovalService {
  readonly #listeners: ((event: ApprovalEvent) => void | Promise<void>)[] = []

  constructor(
    private readonly database: Database,
    private readonly options: {
      executors: Readonly<Record<string, ApprovalExecutor>>
      ttlHours: number
      now?: () => number
      /**
       * Applied to what the audit rows record of a request (its arguments, summary and decision
       * reason): the toolkit passes the pseudonymiser, so an email or phone number typed into a
       * reason never lands in the audit log (docs/privacy.md). The request itself keeps it verbatim.
       */
      redact?: <T>(value: T) => T
    },
  ) {}

  #now(): number {
    return this.options.now?.() ?? Date.now()
  }

  #redact<T>(value: T): T {
    return this.options.redact ? this.options.redact(value) : value
  }

  /** Called after each request and decision (Slack posts and updates approval cards here). */
  subscribe(listener: (event: ApprovalEvent) => void | Promise<void>): () => void {
    this.#listeners.push(listener)
    return () => {
      const i = this.#listeners.indexOf(listener)
      if (i >= 0) this.#listeners.splice(i, 1)
    }
  }

  async #emit(event: ApprovalEvent): Promise<void> {
    for (const listener of this.#listeners) {
      try {
        await listener(event)
      } catch {
        // A face that cannot show the event must not undo it.
      }
    }
  }

  async request(input: {
    action: string
    args: Record<string, unknown>
    summary: string
    reason?: string | null
    /** What the approval card shows: card, balance, alert evidence. */
    details?: Record<string, unknown>
    actor: Actor
    via: Via
    model?: string | null
  }): Promise<Approval> {
    if (!this.options.executors[input.action])
      throw new GiftCardError('FORBIDDEN', `${input.action} is not an action that can be approved`)
    const now = this.#now()
    const approval = await this.database.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('approval_requests')
        .values({
          action: input.action,
          args: JSON.stringify(input.args),
          summary: input.summary,
          reason: input.reason ?? null,
          requested_by: input.actor.id,
          requested_via: input.via,
          status: 'pending',
          decided_by: null,
          decided_at: null,
          decision_reason: null,
          expires_at: toIso(now + this.options.ttlHours * HOUR_MS),
          executed_at: null,
          outcome: null,
          created_at: toIso(now),
          details: input.details ? JSON.stringify(input.details) : null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      const id = Number(row.id)
      await appendAudit(
        this.database,
        {
          actor: input.actor.id,
          role: input.actor.role,
          via: input.via,
          action: 'approval_requested',
          tool: input.action,
          input: this.#redact(input.args),
          resultSummary: this.#redact(input.summary),
          approvalId: id,
          model: input.model ?? null,
        },
        trx,
      )
      return id
    })
    const view = await this.get(approval)
    await this.#emit({ kind: 'requested', approval: view })
    return view
  }

  async get(id: number): Promise<Approval> {
    const row = await this.database.db
      .selectFrom('approval_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw new GiftCardError('NOT_FOUND', `no approval request #${id}`)
    return toApproval(row)
  }

  async list(
    /** `since`: an ISO instant; requests filed at or after it. */
    filters: { status?: ApprovalStatus; since?: string; limit?: number; offset?: number } = {},
  ): Promise<Approval[]> {
    await this.expireDue()
    let query = this.database.db.selectFrom('approval_requests').selectAll()
    if (filters.status) query = query.where('status', '=', filters.status)
    if (filters.since) query = query.where('created_at', '>=', filters.since)
    const rows = await query
      .orderBy('id', 'desc')
      .limit(filters.limit ?? 50)
      .offset(filters.offset ?? 0)
      .execute()
    return rows.map(toApproval)
  }

  /** Marks pending requests past their expiry `expired`; returns how many. */
  async expireDue(): Promise<number> {
    const result = await this.database.db
      .updateTable('approval_requests')
      .set({ status: 'expired' })
      .where('status', '=', 'pending')
      .where('expires_at', '<=', toIso(this.#now()))
      .executeTakeFirst()
    return Number(result.numUpdatedRows)
  }

  async decide(
    id: number,
    input: { actor: Actor; via: Via; decision: 'approve' | 'reject'; reason?: string | null },
  ): Promise<Decision> {
    const current = await this.get(id)
    const refusal = whyCannotDecide(input.actor, current)
    if (refusal) {
      await appendAudit(this.database, {
        actor: input.actor.id,
        role: input.actor.role,
        via: input.via,
        action: 'approval_refused',
        tool: current.action,
        input: { decision: input.decision },
        resultSummary: ONLY_ANOTHER_MANAGER,
        approvalId: id,
      })
      throw new GiftCardError('FORBIDDEN', refusal)
    }
    if (current.status === 'pending' && current.expiresAt <= toIso(this.#now())) {
      await this.expireDue()
      const expired = await this.get(id)
      return {
        approval: expired,
        changed: false,
        message: `approval #${id} expired at ${expired.expiresAt}; it will not run`,
      }
    }
    if (current.status === 'approved') return this.#decideApproved(current, input)
    if (current.status !== 'pending')
      return { approval: current, changed: false, message: alreadyDecided(current) }

    const status = input.decision === 'approve' ? 'approved' : 'rejected'
    const decided = await this.database.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('approval_requests')
        .set({
          status,
          decided_by: input.actor.id,
          decided_at: toIso(this.#now()),
          decision_reason: input.reason ?? null,
        })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst()
      if (Number(result.numUpdatedRows) === 0) return false
      await appendAudit(
        this.database,
        {
          actor: input.actor.id,
          role: input.actor.role,
          via: input.via,
          action: 'approval_decided',
          tool: current.action,
          input: this.#redact({ decision: status, reason: input.reason ?? null }),
          resultSummary: `${status} approval #${id}`,
          approvalId: id,
        },
        trx,
      )
      return true
    })
    if (!decided) {
      const now = await this.get(id)
      return { approval: now, changed: false, message: alreadyDecided(now) }
    }
    if (status === 'rejected') {
      const approval = await this.get(id)
      await this.#emit({ kind: 'decided', approval })
      return {
        approval,
        changed: true,
        message: `approval #${id} rejected by ${input.actor.id}; nothing was changed`,
      }
    }
    const { approval, error } = await this.#executeNow(id, input.actor, input.via)
    await this.#emit({ kind: 'decided', approval })
    const approved = `approval #${id} approved by ${input.actor.id}`
    return {
      approval,
      changed: true,
      message: afterExecution(approved, approval, error !== undefined),
    }
  }

  /** `execute`, with a database failure reported (the request stays `approved`) rather than thrown. */
  async #executeNow(id: number, actor: Actor, via: Via, resumedBy?: Resumer): Promise<Resumed> {
    try {
      return { approval: await this.execute(id, actor, via, resumedBy ? { resumedBy } : {}) }
    } catch (err) {
      return { approval: await this.get(id), error: describeError(err) }
    }
  }

  /**
   * A decision on a request already approved but not yet executed (its execution is running, or
   * the process running it died): approving again resumes it, exactly once; rejecting is refused,
   * since the approval stands.
   */
  async #decideApproved(
    current: Approval,
    input: { actor: Actor; via: Via; decision: 'approve' | 'reject' },
  ): Promise<Decision> {
    if (input.decision === 'reject')
      return {
        approval: current,
        changed: false,
        message: `${alreadyDecided(current)} and cannot be rejected now; it runs once (\`giftcards approvals resume\` resumes it if its process stopped)`,
      }
    const { approval, error } = await this.#resume(current, { ...input.actor, via: input.via })
    const approved = `approval #${approval.id} was already approved by ${approval.decidedBy}`
    return {
      approval,
      changed: false,
      message: afterExecution(approved, approval, error !== undefined),
    }
  }

  /**
   * Runs every request left `approved` — decided, but its process stopped before the execution
   * committed — oldest first, each exactly once (the claim in `execute`), as `by`. Called at
   * server start and by `giftcards approvals resume`; racing another recovery or a live
   * execution is harmless. A request that cannot be run now (the database failed) stays
   * `approved`, with the error in its result, for the next recovery.
   */
  async resumeApproved(by: Resumer): Promise<Resumed[]> {
    const rows = await this.database.db
      .selectFrom('approval_requests')
      .select('id')
      .where('status', '=', 'approved')
      .orderBy('id')
      .execute()
    const resumed: Resumed[] = []
    for (const row of rows) resumed.push(await this.#resume(await this.get(Number(row.id)), by))
    return resumed
  }

  /** Executes one approved request on behalf of its decider, recording who resumed it. */
  async #resume(approval: Approval, by: Resumer): Promise<Resumed> {
    const decider = await resolveActor(this.database, approval.decidedBy ?? approval.requestedBy)
    return this.#executeNow(approval.id, decider, by.via, by)
  }

  /**
   * Runs an approved request, once: the row is claimed (approved → executed) in the same
   * transaction as the action, so a second caller finds nothing to claim. A failure of the
   * action (its preparation or its work) rolls the work back and leaves the request `failed`
   * with its error. A failure of the database itself (the claim or the commit) is thrown and
   * leaves the request `approved`: nothing committed, and a recovery runs it later, its external
   * calls keyed by the approval id as before. The execution's audit row names `actor` (the
   * decider); `resumedBy`, when a recovery runs it, adds an `approval_resumed` row in the same
   * transaction, so only the run that took effect records it.
   */
  async execute(
    id: number,
    actor: Actor,
    via: Via,
    options: { resumedBy?: Resumer } = {},
  ): Promise<Approval> {
    const approval = await this.get(id)
    if (approval.status !== 'approved') return approval
    const executor = this.options.executors[approval.action]
    if (!executor) throw new GiftCardError('INTERNAL', `no executor for ${approval.action}`)
    const record = { actor, via, resumedBy: options.resumedBy }
    let external: { done: boolean; value: unknown } = { done: false, value: undefined }
    let prepared: unknown
    try {
      prepared = await actionStep(async () => executor.prepare?.(this.database, approval.args))
      if (executor.external) {
        // A run that lost the race (the request was settled meanwhile) calls nothing outside.
        if ((await this.get(id)).status !== 'approved') return this.get(id)
        const call = executor.external.bind(executor)
        const value = await actionStep(() =>
          call(this.database, approval.args, { approvalId: id, prepared }),
        )
        external = { done: true, value }
      }
      await this.database.db.transaction().execute(async (trx) => {
        const claim = await trx
          .updateTable('approval_requests')
          .set({ status: 'executed', executed_at: toIso(this.#now()) })
          .where('id', '=', id)
          .where('status', '=', 'approved')
          .executeTakeFirst()
        if (Number(claim.numUpdatedRows) === 0) return
        const outcome = await actionStep(() =>
          executor.apply(this.database, trx, approval.args, {
            approvalId: id,
            prepared,
            ...(external.done ? { external: external.value } : {}),
          }),
        )
        await trx
          .updateTable('approval_requests')
          .set({ outcome: JSON.stringify(outcome) })
          .where('id', '=', id)
          .execute()
        await this.#recordExecution(trx, approval, record, 'approval_executed', outcome)
      })
    } catch (err) {
      if (!(err instanceof ActionFailure)) throw err
      let error = describeError(err.cause)
      if (external.done && executor.undo) {
        try {
          await executor.undo(this.database, approval.args, {
            approvalId: id,
            prepared,
            external: external.value,
          })
          error += '; what the POS had done was undone'
        } catch (undoErr) {
          error += `; undoing what the POS had done failed too (${describeError(undoErr)}): check the card at the POS`
        }
      }
      await this.#markFailed(approval, record, error)
    }
    return this.get(id)
  }

  /** Settles a request whose action failed as `failed`, unless another run settled it first. */
  async #markFailed(approval: Approval, record: ExecutionRecord, error: string): Promise<void> {
    await this.database.db.transaction().execute(async (trx) => {
      const marked = await trx
        .updateTable('approval_requests')
        .set({
          status: 'failed',
          outcome: JSON.stringify({ error }),
          executed_at: toIso(this.#now()),
        })
        .where('id', '=', approval.id)
        .where('status', '=', 'approved')
        .executeTakeFirst()
      if (Number(marked.numUpdatedRows) === 0) return
      await this.#recordExecution(trx, approval, record, 'approval_failed', error)
    })
  }

  /** The audit rows of a settled execution: who resumed it, if a recovery did, then the result. */
  async #recordExecution(
    trx: Transaction<DB>,
    approval: Approval,
    { actor, via, resumedBy }: ExecutionRecord,
    action: 'approval_executed' | 'approval_failed',
    result: Record<string, unknown> | string,
  ): Promise<void> {
    await this.#recordResumption(trx, approval, resumedBy)
    await appendAudit(
      this.database,
      {
        actor: actor.id,
        role: actor.role,
        via,
        action,
        tool: approval.action,
        input: this.#redact(approval.args),
        resultSummary: this.#redact(typeof result === 'string' ? result : JSON.stringify(result)),
        approvalId: approval.id,
      },
      trx,
    )
  }

  /** The `approval_resumed` row of a recovered execution, in the transaction that settles it. */
  async #recordResumption(
    trx: Transaction<DB>,
    approval: Approval,
    by: Resumer | undefined,
  ): Promise<void> {
    if (!by) return
    await appendAudit(
      this.database,
      {
        actor: by.id,
        role: by.role,
        via: by.via,
        action: 'approval_resumed',
        tool: approval.action,
        input: { decidedBy: approval.decidedBy, decidedAt: approval.decidedAt },
        resultSummary: `resumed approval #${approval.id}, approved by ${approval.decidedBy} at ${approval.decidedAt} and left unexecuted`,
        approvalId: approval.id,
      },
      trx,
    )
  }
}

/** Who an execution's audit rows name. */
type ExecutionRecord = { actor: Actor; via: Via; resumedBy: Resumer | undefined }

/** An error thrown by the action itself (not by the database around it): the request fails. */
class ActionFailure extends Error {
  constructor(cause: unknown) {
    super('the approved action failed', { cause })
  }
}

/** Runs one step of an action, marking what it throws as the action's failure. */
async function actionStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (err) {
    throw new ActionFailure(err)
  }
}

/**
 * What a decider is told once the execution was attempted: executed, failed, or still approved.
 * A database failure is named, not quoted: the decider may be a Slack user, and database text
 * never goes to a client.
 */
function afterExecution(approved: string, a: Approval, databaseFailed: boolean): string {
  if (a.status === 'executed') return `${approved} and executed`
  if (a.status === 'failed')
    return `${approved} but failed: ${String(a.outcome?.error ?? 'unknown error')}`
  const why = databaseFailed ? 'the database failed' : 'its execution is in progress elsewhere'
  return `${approved}; it could not run now (${why}) and stays approved: \`giftcards approvals resume\` runs it once`
}

function alreadyDecided(a: Approval): string {
  if (a.status === 'expired') return `approval #${a.id} expired at ${a.expiresAt}; it will not run`
  const by = a.decidedBy ? ` by ${a.decidedBy}` : ''
  return `approval #${a.id} was already ${a.status}${by}${a.decidedAt ? ` at ${a.decidedAt}` : ''}`
}

type ApprovalRow = Selectable<ApprovalRequestsTable>

function toApproval(row: ApprovalRow): Approval {
  return {
    id: Number(row.id),
    action: row.action,
    args: JSON.parse(row.args) as Record<string, unknown>,
    summary: row.summary,
    reason: row.reason,
    requestedBy: row.requested_by,
    requestedVia: row.requested_via,
    status: row.status,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    decisionReason: row.decision_reason,
    expiresAt: row.expires_at,
    executedAt: row.executed_at,
    outcome: row.outcome ? (JSON.parse(row.outcome) as Record<string, unknown>) : null,
    createdAt: row.created_at,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
    approvers: `a manager other than ${row.requested_by}, in Slack or with \`giftcards approvals approve ${row.id}\` from the manager's own login`,
  }
}
