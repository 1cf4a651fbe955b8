import type { Agent } from '../agent/index.ts'
import { type Config, type Logger, toIso } from '../core/index.ts'
import type { Database } from '../db/index.ts'
import { resolveActor } from '../governance/index.ts'
import type { PostedAt, SlackDeps, SlackStore } from '../slack-app/index.ts'

/** Approval states a card is brought up to date with once reached. */
const DECIDED = ['executed', 'rejected', 'expired', 'failed'] as const

/** The sync_state row holding the id of the last alert considered for the alerts channel. */
const ALERT_CURSOR = 'slack-alerts'

/**
 * The Slack face's store over the ledger database (docs/slack.md): its own table
 * `slack_messages` (migration 0019) for where cards and alerts were posted, the inbox for
 * Slack's retried events, and the alerts channel's cursor. The new alerts themselves are read
 * through the executor (tools/alerts-to-post.ts). The Slack face itself holds no SQL; the
 * composition root hands it this.
 */
export function openSlackStore(database: Database): SlackStore {
  const { db } = database
  const posted = async (kind: 'approval' | 'alert', id: number, at: PostedAt, thread?: string) => {
    const row = {
      kind,
      ref_id: id,
      channel: at.channel,
      ts: at.ts,
      shown_status: kind === 'approval' ? 'pending' : null,
      agent_thread: thread ?? null,
      posted_at: toIso(Date.now()),
    }
    await db
      .insertInto('slack_messages')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['kind', 'ref_id']).doUpdateSet({
          channel: row.channel,
          ts: row.ts,
          shown_status: row.shown_status,
          agent_thread: row.agent_thread,
        }),
      )
      .execute()
  }
  return {
    async claimEvent(eventId, body) {
      const result = await db
        .insertInto('webhook_inbox')
        .values({
          source: 'slack',
          event_id: eventId.slice(0, 200),
          event_type: 'event_callback',
          received_at: toIso(Date.now()),
          status: 'processed',
          error: null,
          raw_body: body.slice(0, 20_000),
          processed_at: toIso(Date.now()),
        })
        .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
    },
    approvalPosted: (id, at, thread) => posted('approval', id, at, thread),
    async approvalShown(id, status) {
      await db
        .updateTable('slack_messages')
        .set({ shown_status: status })
        .where('kind', '=', 'approval')
        .where('ref_id', '=', id)
        .execute()
    },
    async approvalMessage(id) {
      const row = await db
        .selectFrom('slack_messages')
        .select(['channel', 'ts', 'agent_thread', 'shown_status'])
        .where('kind', '=', 'approval')
        .where('ref_id', '=', id)
        .executeTakeFirst()
      return row
        ? {
            channel: row.channel,
            ts: row.ts,
            agentThread: row.agent_thread,
            shownStatus: row.shown_status,
          }
        : undefined
    },
    async unsyncedApprovals(limit) {
      const rows = await db
        .selectFrom('slack_messages as m')
        .innerJoin('approval_requests as r', 'r.id', 'm.ref_id')
        .select(['m.ref_id', 'm.channel', 'm.ts', 'm.agent_thread', 'm.shown_status'])
        .where('m.kind', '=', 'approval')
        .where('r.status', 'in', DECIDED)
        .where((eb) =>
          eb.or([eb('m.shown_status', 'is', null), eb('m.shown_status', '!=', eb.ref('r.status'))]),
        )
        .orderBy('m.ref_id')
        .limit(limit)
        .execute()
      return rows.map((r) => ({
        approvalId: Number(r.ref_id),
        message: {
          channel: r.channel,
          ts: r.ts,
          agentThread: r.agent_thread,
          shownStatus: r.shown_status,
        },
      }))
    },
    async unpostedApprovals(limit) {
      const rows = await db
        .selectFrom('approval_requests as r')
        .leftJoin('slack_messages as m', (join) =>
          join.onRef('m.ref_id', '=', 'r.id').on('m.kind', '=', 'approval'),
        )
        .select('r.id')
        .where('r.status', '=', 'pending')
        .where('r.requested_via', '!=', 'slack')
        .where('m.ts', 'is', null)
        .orderBy('r.id')
        .limit(limit)
        .execute()
      return rows.map((r) => Number(r.id))
    },
    alertPosted: (id, at) => posted('alert', id, at),
    async alertMessage(id) {
      const row = await db
        .selectFrom('slack_messages')
        .select(['channel', 'ts'])
        .where('kind', '=', 'alert')
        .where('ref_id', '=', id)
        .executeTakeFirst()
      return row ? { channel: row.channel, ts: row.ts } : undefined
    },
    async alertCursor() {
      const state = await db
        .selectFrom('sync_state')
        .select('cursor')
        .where('source', '=', ALERT_CURSOR)
        .executeTakeFirst()
      return state ? Number(state.cursor ?? 0) : undefined
    },
    async setAlertCursor(id) {
      const now = toIso(Date.now())
      await db
        .insertInto('sync_state')
        .values({ source: ALERT_CURSOR, cursor: String(id), last_event_at: null, updated_at: now })
        .onConflict((oc) =>
          oc.column('source').doUpdateSet({ cursor: String(id), updated_at: now }),
        )
        .execute()
    },
    async alert(id) {
      const row = await db
        .selectFrom('fraud_alerts as a')
        .innerJoin('gift_cards as c', 'c.id', 'a.card_id')
        .select(['a.id', 'a.card_id', 'a.rule', 'a.score', 'a.evidence', 'c.balance_cents'])
        .where('a.id', '=', id)
        .executeTakeFirst()
      if (!row) return undefined
      let reason: string | null = null
      try {
        const evidence = JSON.parse(row.evidence) as { reason?: unknown }
        if (typeof evidence.reason === 'string') reason = evidence.reason
      } catch {
        // Evidence that is not JSON has no reason to show.
      }
      return {
        id: Number(row.id),
        cardId: row.card_id,
        rule: row.rule,
        score: row.score,
        reason,
        balanceCents: Number(row.balance_cents),
      }
    },
  }
}

/** What the Slack face is built from: the agent, its store and how actors are resolved. */
export function slackDeps(
  database: Database,
  config: Config,
  agent: Agent,
  logger?: Logger,
): SlackDeps {
  return {
    config,
    agent,
    store: openSlackStore(database),
    resolveActor: (id) => resolveActor(database, id),
    ...(logger ? { logger } : {}),
  }
}
