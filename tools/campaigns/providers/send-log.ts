import type { Transaction } from 'kysely'
import { toIso } from '../../../core/index.ts'
import type { Database, DB } from '../../../db/index.ts'

/**
 * What a launch's sends to a platform without an idempotency key (Braze) have done so far, kept
 * outside the launch's transaction so it survives a crash (docs/campaigns.md#recovery): one row
 * of `sync_state` per batch, `campaign-send:approval-N:K`, whose cursor holds the batch's state
 * and recipients. A batch is written `sending` before its request and `sent` when the platform
 * answers; a recovered launch sends neither again. The rows are deleted in the transaction that
 * records the launch, so they exist only while a launch is in flight.
 *
 * `sync_state` is the table of "where a sender or poller stopped"; these rows name no event
 * source, so source freshness (db/queries/freshness.ts) never reads them.
 */
export type SendLog = {
  /** The recipients of every batch a previous run started, sent or in flight, and its dispatch ids. */
  started(): Promise<{
    recipients: Set<string>
    dispatchIds: string[]
    /** Batches started and never answered (the process stopped during their request). */
    inFlight: number
    /** The number the next batch takes. */
    nextBatch: number
  }>
  /** Before a batch's request: its recipients. */
  sending(batch: number, recipients: readonly string[]): Promise<void>
  /** After the platform accepted it. */
  sent(batch: number, recipients: readonly string[], dispatchId: string): Promise<void>
  /** The platform refused it: nothing was sent, a later run may send it. */
  refused(batch: number): Promise<void>
}

type Row = { state: 'sending' | 'sent'; recipients: string[]; dispatchId?: string }

const prefix = (approvalId: number) => `campaign-send:approval-${approvalId}:`

/** The send log of one launch's approval. */
export function sendLog(database: Database, approvalId: number): SendLog {
  const { db } = database
  const key = (batch: number) => `${prefix(approvalId)}${String(batch).padStart(6, '0')}`
  const write = async (batch: number, row: Row) => {
    const now = toIso(Date.now())
    const cursor = JSON.stringify(row)
    await db
      .insertInto('sync_state')
      .values({ source: key(batch), cursor, last_event_at: null, updated_at: now })
      .onConflict((oc) => oc.column('source').doUpdateSet({ cursor, updated_at: now }))
      .execute()
  }
  return {
    async started() {
      const rows = await db
        .selectFrom('sync_state')
        .select(['source', 'cursor'])
        .where('source', '>=', prefix(approvalId))
        .where('source', '<', `${prefix(approvalId)}~`)
        .orderBy('source')
        .execute()
      const recipients = new Set<string>()
      const dispatchIds: string[] = []
      let inFlight = 0
      let nextBatch = 0
      for (const r of rows) {
        nextBatch = Math.max(nextBatch, Number(r.source.slice(prefix(approvalId).length)) + 1)
        const row = JSON.parse(r.cursor ?? '{}') as Row
        for (const id of row.recipients ?? []) recipients.add(id)
        if (row.state === 'sent' && row.dispatchId !== undefined) dispatchIds.push(row.dispatchId)
        if (row.state === 'sending') inFlight++
      }
      return { recipients, dispatchIds, inFlight, nextBatch }
    },
    sending: (batch, recipients) => write(batch, { state: 'sending', recipients: [...recipients] }),
    sent: (batch, recipients, dispatchId) =>
      write(batch, { state: 'sent', recipients: [...recipients], dispatchId }),
    async refused(batch) {
      await db.deleteFrom('sync_state').where('source', '=', key(batch)).execute()
    },
  }
}

/** Ends a launch's send log, in the transaction that records the launch. */
export async function clearSendLog(trx: Transaction<DB>, approvalId: number): Promise<void> {
  await trx
    .deleteFrom('sync_state')
    .where('source', '>=', prefix(approvalId))
    .where('source', '<', `${prefix(approvalId)}~`)
    .execute()
}
