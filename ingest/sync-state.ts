import type { Kysely, Transaction } from 'kysely'
import { toIso } from '../core/index.ts'
import type { DB } from '../db/index.ts'

/** One source's row of `sync_state`: a cursor (text) and the newest event time it brought. */
export async function readSyncState(db: Kysely<DB>, source: string) {
  return db.selectFrom('sync_state').selectAll().where('source', '=', source).executeTakeFirst()
}

/** Upserts one `sync_state` row, inside the caller's transaction (with what it applied). */
export async function saveSyncState(
  trx: Transaction<DB>,
  source: string,
  cursor: string | null,
  lastEventAt: string | null,
): Promise<void> {
  const now = toIso(Date.now())
  await trx
    .insertInto('sync_state')
    .values({ source, cursor, last_event_at: lastEventAt, updated_at: now })
    .onConflict((oc) =>
      oc.column('source').doUpdateSet({ cursor, last_event_at: lastEventAt, updated_at: now }),
    )
    .execute()
}
