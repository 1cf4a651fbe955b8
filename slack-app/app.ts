import { App, type HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt'
import type { WebClient } from '@slack/web-api'
import { type Agent, describeOutcome } from '../agent/index.ts'
import {
  type Config,
  describeError,
  formatCents,
  isGiftCardError,
  type Logger,
  toIso,
} from '../core/index.ts'
import { type Database, liabilityAsOf } from '../db/index.ts'
import {
  type Actor,
  type Approval,
  ONLY_ANOTHER_MANAGER,
  type Role,
  resolveActor,
  Scope,
} from '../governance/index.ts'
import {
  ALERT_DISMISS_ACTION,
  ALERT_HOLD_ACTION,
  type AlertForSlack,
  APPROVE_ACTION,
  alertMessage,
  approvalCard,
  homeContext as context,
  decidedCard,
  handledAlertMessage,
  type KnownBlock,
  REJECT_ACTION,
  replyBlocks,
  homeSection as section,
} from './blocks.ts'

export type SlackDeps = { database: Database; config: Config; agent: Agent; logger?: Logger }

/** Slack's way to reach us: the HTTP receiver under `giftcards serve`, or Socket Mode. */
export type SlackMode = { receiver: HTTPReceiver } | { socketMode: true }

const ROLE_RANK: Record<Role, number> = { analyst: 0, loss_prevention: 1, manager: 2, admin: 3 }

export type SlackApp = {
  app: App
  /** Posts approval requests made outside Slack (MCP, CLI) to SLACK_APPROVALS_CHANNEL. */
  publishPendingApprovals(): Promise<number>
  /** Posts new open alerts at or above SLACK_ALERT_MIN_SCORE to SLACK_ALERTS_CHANNEL. */
  publishNewAlerts(): Promise<number>
  /** Updates cards of requests decided elsewhere (the CLI, MCP's managers) and resumes their threads. */
  syncDecidedApprovals(): Promise<number>
}

/**
 * The Slack face (docs/architecture.md §5), a Bolt app: mentions and DMs go to the agent and are answered in
 * the thread (the Slack thread is the LangGraph thread); approval cards with Approve / Reject,
 * decided by managers other than the requester, updated in place; fraud alerts with "Request
 * hold" / "Dismiss"; App Home. Every action goes through the same executor and approval service
 * as the other faces, with via = slack.
 */
export function createSlackApp(deps: SlackDeps, mode: SlackMode): SlackApp {
  const { config, database, agent } = deps
  const { botToken, apiUrl, appToken } = config.slack
  if (!botToken) throw new Error('SLACK_BOT_TOKEN is required for the Slack app')
  const logLevel = process.env.SLACK_DEBUG ? LogLevel.DEBUG : LogLevel.ERROR
  const clientOptions = apiUrl ? { slackApiUrl: apiUrl } : {}
  // Socket Mode's own client (apps.connections.open) takes the same Web API base URL.
  const receiver =
    'receiver' in mode
      ? mode.receiver
      : new SocketModeReceiver({
          appToken: appToken ?? '',
          logLevel,
          installerOptions: { clientOptions },
        })
  const app = new App({ token: botToken, receiver, clientOptions, logLevel })
  const { toolkit } = agent

  const groupCache = new Map<string, { at: number; users: Set<string> }>()
  /** `slack:<user id>` with the role the roles table gives, or a configured user group does. */
  async function actorOf(client: WebClient, userId: string): Promise<Actor> {
    const actor = await resolveActor(database, `slack:${userId}`)
    let role = actor.role
    for (const [group, groupRole] of Object.entries(config.slack.roleGroups)) {
      if (ROLE_RANK[groupRole] <= ROLE_RANK[role]) continue
      let cached = groupCache.get(group)
      if (!cached || Date.now() - cached.at > 300_000) {
        const members = await client.usergroups.users
          .list({ usergroup: group })
          .catch(() => ({ users: [] as string[] }))
        cached = { at: Date.now(), users: new Set(members.users ?? []) }
        groupCache.set(group, cached)
      }
      if (cached.users.has(userId)) role = groupRole
    }
    return { id: actor.id, role }
  }

  /** A Slack event is handled once, however often Slack retries it (X-Slack-Retry-Num). */
  async function claim(eventId: string, body: unknown): Promise<boolean> {
    const result = await database.db
      .insertInto('webhook_inbox')
      .values({
        source: 'slack',
        event_id: eventId,
        event_type: 'event_callback',
        received_at: toIso(Date.now()),
        status: 'processed',
        error: null,
        raw_body: JSON.stringify(body).slice(0, 20_000),
        processed_at: toIso(Date.now()),
      })
      .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
  }

  async function postApprovalCard(
    client: WebClient,
    approval: Approval,
    channel: string,
    threadTs?: string,
    agentThread?: string,
  ) {
    const posted = await client.chat.postMessage({
      channel,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      text: `Approval #${approval.id} requested: ${approval.summary}`,
      blocks: approvalCard(approval),
    })
    if (posted.ts && posted.channel)
      await toolkit.approvals.setSlackMessage(approval.id, posted.channel, posted.ts, agentThread)
  }

  async function converse(
    client: WebClient,
    input: {
      teamId: string
      channel: string
      user: string
      text: string
      ts: string
      threadTs?: string
    },
  ) {
    const threadTs = input.threadTs ?? input.ts
    const threadId = `slack:${input.teamId}:${input.channel}:${threadTs}`
    const actor = await actorOf(client, input.user)
    const working = await client.chat.postMessage({
      channel: input.channel,
      thread_ts: threadTs,
      text: 'working…',
    })
    let reply: string
    let pending: Approval[] = []
    try {
      const turn = await agent.ask(input.text, { threadId, actor, via: 'slack' })
      reply = turn.reply || 'Done.'
      pending = await Promise.all(turn.pending.map((p) => toolkit.approvals.get(p.approvalId)))
    } catch (err) {
      deps.logger?.error({ err: describeError(err) }, 'the agent failed in Slack')
      reply = `Sorry, that failed: ${describeError(err)}`
    }
    if (working.ts)
      await client.chat.update({
        channel: input.channel,
        ts: working.ts,
        text: reply,
        blocks: replyBlocks(reply),
      })
    else
      await client.chat.postMessage({
        channel: input.channel,
        thread_ts: threadTs,
        text: reply,
        blocks: replyBlocks(reply),
      })
    for (const approval of pending)
      await postApprovalCard(client, approval, input.channel, threadTs, threadId)
  }

  app.event('app_mention', async ({ event, body, client }) => {
    if (!(await claim(body.event_id, body))) return
    await converse(client, {
      teamId: body.team_id,
      channel: event.channel,
      user: event.user ?? '',
      text: (event.text ?? '').replace(/<@[A-Z0-9]+>/g, '').trim(),
      ts: event.ts,
      ...(event.thread_ts ? { threadTs: event.thread_ts } : {}),
    })
  })

  app.message(async ({ message, body, client }) => {
    const m = message as {
      channel_type?: string
      subtype?: string
      bot_id?: string
      user?: string
      text?: string
      channel: string
      ts: string
      thread_ts?: string
    }
    if (m.channel_type !== 'im' || m.subtype || m.bot_id || !m.user) return
    const envelope = body as { event_id: string; team_id: string }
    if (!(await claim(envelope.event_id, body))) return
    await converse(client, {
      teamId: envelope.team_id,
      channel: m.channel,
      user: m.user,
      text: m.text ?? '',
      ts: m.ts,
      ...(m.thread_ts ? { threadTs: m.thread_ts } : {}),
    })
  })

  type ButtonBody = {
    user: { id: string }
    team?: { id: string } | null
    channel?: { id: string }
    container?: { channel_id?: string; message_ts?: string }
    message?: { ts: string; thread_ts?: string }
  }
  const whereClicked = (body: ButtonBody) => ({
    channel: body.channel?.id ?? body.container?.channel_id ?? '',
    ts: body.message?.ts ?? body.container?.message_ts ?? '',
    threadTs: body.message?.thread_ts,
    teamId: body.team?.id ?? 'T',
  })

  for (const [actionId, decision] of [
    [APPROVE_ACTION, 'approve'],
    [REJECT_ACTION, 'reject'],
  ] as const) {
    app.action(actionId, async ({ ack, body, action, client }) => {
      await ack()
      const b = body as unknown as ButtonBody
      const approvalId = Number((action as { value?: string }).value)
      const where = whereClicked(b)
      const actor = await actorOf(client, b.user.id)
      const threadId = where.threadTs
        ? `slack:${where.teamId}:${where.channel}:${where.threadTs}`
        : undefined
      try {
        const { decision: result, turn } = await agent.decide(
          approvalId,
          { actor, via: 'slack', ...(threadId ? { threadId } : {}) },
          decision,
        )
        if (!result.changed) {
          // Someone decided first: their click updates the card (a late one would show a stale state).
          await client.chat.postEphemeral({
            channel: where.channel,
            user: b.user.id,
            text: result.message,
          })
          return
        }
        await client.chat.update({
          channel: where.channel,
          ts: where.ts,
          text: `Approval #${approvalId}: ${result.approval.status}`,
          blocks: decidedCard(result.approval, describeOutcome(result.approval)),
        })
        await toolkit.approvals.markSlackShown(approvalId, result.approval.status)
        if (turn?.reply && where.threadTs)
          await client.chat.postMessage({
            channel: where.channel,
            thread_ts: where.threadTs,
            text: turn.reply,
            blocks: replyBlocks(turn.reply),
          })
      } catch (err) {
        const text = isGiftCardError(err, 'FORBIDDEN')
          ? `Sorry: ${ONLY_ANOTHER_MANAGER}.`
          : `Sorry, that failed: ${describeError(err)}`
        await client.chat.postEphemeral({ channel: where.channel, user: b.user.id, text })
      }
    })
  }

  async function alertFor(alertId: number): Promise<AlertForSlack | undefined> {
    const row = await database.db
      .selectFrom('fraud_alerts as a')
      .innerJoin('gift_cards as c', 'c.id', 'a.card_id')
      .select(['a.id', 'a.card_id', 'a.rule', 'a.score', 'a.evidence', 'c.balance_cents'])
      .where('a.id', '=', alertId)
      .executeTakeFirst()
    if (!row) return undefined
    const reason = (JSON.parse(row.evidence) as { reason?: string }).reason ?? null
    return {
      id: Number(row.id),
      cardId: row.card_id,
      rule: row.rule,
      score: row.score,
      reason: reason ? toolkit.pii.scrubText(reason) : null,
      balance: formatCents(row.balance_cents),
    }
  }

  app.action(ALERT_HOLD_ACTION, async ({ ack, body, action, client }) => {
    await ack()
    const b = body as unknown as ButtonBody
    const where = whereClicked(b)
    const alertId = Number((action as { value?: string }).value)
    const actor = await actorOf(client, b.user.id)
    const alert = await alertFor(alertId)
    const outcome = await toolkit.executor.call(
      'place_card_hold',
      {
        alertId,
        reason: `fraud alert #${alertId}${alert ? ` (${alert.rule}, score ${alert.score})` : ''}`,
      },
      { actor, via: 'slack' },
    )
    if (!outcome.ok || !outcome.approval) {
      const text = outcome.ok ? 'No approval was filed.' : outcome.error.message
      await client.chat.postEphemeral({
        channel: where.channel,
        user: b.user.id,
        text: `Could not request a hold: ${text}`,
      })
      return
    }
    await postApprovalCard(client, outcome.approval, where.channel, where.ts)
  })

  app.action(ALERT_DISMISS_ACTION, async ({ ack, body, action, client }) => {
    await ack()
    const b = body as unknown as ButtonBody
    const where = whereClicked(b)
    const alertId = Number((action as { value?: string }).value)
    const actor = await actorOf(client, b.user.id)
    const outcome = await toolkit.executor.call(
      'update_fraud_alert',
      { alertId, status: 'dismissed', note: 'dismissed in Slack' },
      { actor, via: 'slack' },
    )
    if (!outcome.ok) {
      await client.chat.postEphemeral({
        channel: where.channel,
        user: b.user.id,
        text: `Could not dismiss: ${outcome.error.message}`,
      })
      return
    }
    const alert = await alertFor(alertId)
    if (alert)
      await client.chat.update({
        channel: where.channel,
        ts: where.ts,
        text: `Fraud alert #${alertId} dismissed`,
        blocks: handledAlertMessage(
          alert,
          `Dismissed by <@${b.user.id}> at ${toIso(Date.now()).slice(0, 16).replace('T', ' ')} UTC`,
        ),
      })
  })

  app.event('app_home_opened', async ({ event, client }) => {
    if ((event as { tab?: string }).tab && (event as { tab?: string }).tab !== 'home') return
    await client.views.publish({
      user_id: event.user,
      view: { type: 'home', blocks: await homeBlocks() },
    })
  })

  /**
   * App Home: liability, the latest 12-month breakage forecast, open alerts by severity, pending
   * approvals; under a pilot, its stores' (docs/pilot.md), and a forecast saved for them.
   */
  async function homeBlocks(): Promise<KnownBlock[]> {
    const scope = await Scope.resolve(database, config.pilot)
    const byState = await liabilityAsOf(database.db, {
      groupBy: 'jurisdiction',
      ...(scope.pilot ? { locations: scope.locationIds } : {}),
    })
    const total = byState.reduce((s, r) => s + r.liabilityCents, 0)
    const forecasts = await database.db
      .selectFrom('forecasts')
      .select(['result', 'created_at', 'params'])
      .where('kind', '=', 'breakage')
      .orderBy('id', 'desc')
      .limit(scope.pilot ? 50 : 1)
      .execute()
    const forecast = forecasts.find(
      (f) =>
        !scope.pilot ||
        JSON.stringify((JSON.parse(f.params) as { pilotStores?: unknown }).pilotStores) ===
          JSON.stringify(scope.locationIds),
    )
    const bands = await database.db
      .selectFrom('fraud_alerts')
      .select((eb) => [
        eb.fn.sum<number>(eb.case().when('score', '>=', 0.9).then(1).else(0).end()).as('high'),
        eb.fn
          .sum<number>(
            eb
              .case()
              .when(eb.and([eb('score', '<', 0.9), eb('score', '>=', 0.7)]))
              .then(1)
              .else(0)
              .end(),
          )
          .as('medium'),
        eb.fn.sum<number>(eb.case().when('score', '<', 0.7).then(1).else(0).end()).as('low'),
      ])
      .where('status', '=', 'open')
      .where((eb) =>
        scope.pilot
          ? eb(
              'card_id',
              'in',
              eb
                .selectFrom('gift_cards')
                .select('gift_cards.id')
                .where('gift_cards.issuing_location_id', 'in', scope.inList),
            )
          : eb.lit(true),
      )
      .executeTakeFirstOrThrow()
    const pending = await toolkit.approvals.list({ status: 'pending', limit: 10 })
    const blocks: KnownBlock[] = [
      { type: 'header', text: { type: 'plain_text', text: 'Gift card ledger' } },
      ...(scope.pilot ? [context(`Pilot scope: ${scope.describe()}`)] : []),
      section(
        `*Outstanding liability*: ${formatCents(total)} on ${byState.reduce((s, r) => s + r.cards, 0).toLocaleString('en-US')} cards`,
      ),
      {
        type: 'section',
        fields: byState.slice(0, 10).map((r) => ({
          type: 'mrkdwn' as const,
          text: `*${r.key}*\n${formatCents(r.liabilityCents)}`,
        })),
      },
    ]
    if (forecast) {
      const f = JSON.parse(forecast.result) as {
        horizonMonths?: number
        outstandingBreakageCents?: number
        outstandingBreakageRate?: number
        monthly?: { expectedCents: number }[]
      }
      const expected = (f.monthly ?? []).reduce((s, m) => s + m.expectedCents, 0)
      blocks.push(
        section(
          `*Breakage forecast* (${f.horizonMonths ?? 12} months, made ${forecast.created_at.slice(0, 10)}): ${formatCents(expected)} expected redemptions; ${((f.outstandingBreakageRate ?? 0) * 100).toFixed(1)}% of outstanding (${formatCents(f.outstandingBreakageCents ?? 0)}) expected never redeemed`,
        ),
      )
    } else blocks.push(section('*Breakage forecast*: none yet. Ask me "forecast breakage".'))
    blocks.push(
      section(
        `*Open fraud alerts*: ${Number(bands.high ?? 0)} high (≥ 0.9), ${Number(bands.medium ?? 0)} medium, ${Number(bands.low ?? 0)} low`,
      ),
      section(`*Pending approvals*: ${pending.length === 0 ? 'none' : ''}`),
      ...pending.map((a) =>
        context(
          `#${a.id} ${a.summary} (by ${a.requestedBy}, expires ${a.expiresAt.slice(0, 16).replace('T', ' ')} UTC)`,
        ),
      ),
      context(`Refreshed ${toIso(Date.now()).slice(0, 16).replace('T', ' ')} UTC`),
    )
    return blocks
  }

  return {
    app,
    async syncDecidedApprovals() {
      const stale = await toolkit.approvals.unsyncedSlackCards()
      for (const approval of stale) {
        if (!approval.slack) continue
        await app.client.chat.update({
          channel: approval.slack.channel,
          ts: approval.slack.ts,
          text: `Approval #${approval.id}: ${approval.status}`,
          blocks: decidedCard(approval, describeOutcome(approval)),
        })
        await toolkit.approvals.markSlackShown(approval.id, approval.status)
        // The thread that asked is told, as if the decision had been made in it.
        const thread = approval.agentThread
        if (!thread || !(await agent.waitingOn(thread)).some((p) => p.approvalId === approval.id))
          continue
        const decider = await resolveActor(database, approval.decidedBy ?? approval.requestedBy)
        const turn = await agent.resume(
          { threadId: thread, actor: decider, via: 'slack' },
          {
            decisions: [
              {
                approvalId: approval.id,
                status: approval.status,
                decidedBy: approval.decidedBy,
                outcome: approval.outcome,
                message: describeOutcome(approval),
              },
            ],
          },
        )
        const threadTs = thread.split(':').at(-1)
        if (turn.reply && threadTs)
          await app.client.chat.postMessage({
            channel: approval.slack.channel,
            thread_ts: threadTs,
            text: turn.reply,
            blocks: replyBlocks(turn.reply),
          })
      }
      return stale.length
    },
    async publishPendingApprovals() {
      const channel = config.slack.approvalsChannel
      if (!channel) return 0
      const rows = await database.db
        .selectFrom('approval_requests')
        .select('id')
        .where('status', '=', 'pending')
        .where('slack_ts', 'is', null)
        .where('requested_via', '!=', 'slack')
        .orderBy('id')
        .limit(50)
        .execute()
      for (const r of rows)
        await postApprovalCard(app.client, await toolkit.approvals.get(Number(r.id)), channel)
      return rows.length
    },
    async publishNewAlerts() {
      const channel = config.slack.alertsChannel
      if (!channel) return 0
      const state = await database.db
        .selectFrom('sync_state')
        .select('cursor')
        .where('source', '=', 'slack-alerts')
        .executeTakeFirst()
      const max = await database.db
        .selectFrom('fraud_alerts')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow()
      if (!state) {
        // The first start posts nothing from before it: the channel is for new alerts.
        await database.db
          .insertInto('sync_state')
          .values({
            source: 'slack-alerts',
            cursor: String(max.id ?? 0),
            last_event_at: null,
            updated_at: toIso(Date.now()),
          })
          .execute()
        return 0
      }
      // Under a pilot only alerts on its cards are posted (docs/pilot.md); the others are passed.
      const scope = await Scope.resolve(database, config.pilot)
      let query = database.db
        .selectFrom('fraud_alerts as a')
        .innerJoin('gift_cards as c', 'c.id', 'a.card_id')
        .select('a.id')
        .where('a.id', '>', Number(state.cursor ?? 0))
        .where('a.status', '=', 'open')
        .where('a.score', '>=', config.slack.alertMinScore)
        .where('a.slack_ts', 'is', null)
      if (scope.pilot) query = query.where('c.issuing_location_id', 'in', scope.inList)
      const rows = await query.orderBy('a.id').limit(50).execute()
      for (const r of rows) {
        const alert = await alertFor(Number(r.id))
        if (!alert) continue
        const posted = await app.client.chat.postMessage({
          channel,
          text: `Fraud alert #${alert.id}: ${alert.rule} on ${alert.cardId}`,
          blocks: alertMessage(alert),
        })
        await database.db
          .updateTable('fraud_alerts')
          .set({ slack_channel: posted.channel ?? channel, slack_ts: posted.ts ?? null })
          .where('id', '=', alert.id)
          .execute()
      }
      const last = rows.at(-1)
      if (last)
        await database.db
          .updateTable('sync_state')
          .set({ cursor: String(last.id), updated_at: toIso(Date.now()) })
          .where('source', '=', 'slack-alerts')
          .execute()
      return rows.length
    },
  }
}
