import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../app/index.ts'
import { loadConfig, toIso } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { grantRole } from '../../governance/index.ts'
import { createToolkit } from '../../tools/index.ts'
import { type FakeSlack, slackRequestHeaders, startFakeSlack } from '../fakes/slack-api.ts'
import { type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { eventually } from '../helpers/eventually.ts'

const SIGNING_SECRET = 'slack-test-signing-secret'
const BOT_TOKEN = 'xoxb-test-token'

for (const dialect of DIALECTS) {
  describe(`the Slack app over HTTP on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let slack: FakeSlack
    let server: RunningServer
    let n = 0
    beforeAll(async () => {
      slack = await startFakeSlack(BOT_TOKEN)
      slack.groups.S0MANAGERS = ['UGROUPMGR']
    })
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 300)
      await grantRole(d, 'slack:ULP', 'loss_prevention')
      await grantRole(d, 'slack:UMGR', 'manager')
      await grantRole(d, 'slack:UMGR2', 'manager')
      const config = loadConfig({
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: slack.url,
        SLACK_APPROVALS_CHANNEL: 'CAPPROVALS',
        SLACK_ALERTS_CHANNEL: 'CALERTS',
        SLACK_ROLE_GROUPS: 'S0MANAGERS=manager',
        PII_TOKEN_KEY: 'test-pii-key',
        CAMPAIGN_EXPORT_DIR: fixture.config.campaigns.exportDir,
      })
      server = await startServer(
        { database: d, config, listeners: [] },
        { port: 0, host: '127.0.0.1' },
      )
    })
    afterAll(async () => {
      await server?.close()
      await slack?.close()
    })

    /**
     * A request signed as Slack signs it (v0 HMAC-SHA256 of "v0:timestamp:body"), timestamped
     * now, or `skewSeconds` from now.
     */
    const post = (
      body: string,
      contentType: string,
      headers: Record<string, string> = {},
      secret = SIGNING_SECRET,
      skewSeconds = 0,
    ) => {
      return fetch(`${server.url}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          ...slackRequestHeaders(secret, body, skewSeconds),
          ...headers,
        },
        body,
      })
    }
    const event = (e: Record<string, unknown>, eventId = `Ev${++n}`) =>
      JSON.stringify({
        token: 'x',
        team_id: 'T1',
        api_app_id: 'A1',
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        event: e,
      })
    const mention = (user: string, text: string, ts: string, threadTs?: string) =>
      event({
        type: 'app_mention',
        user,
        text: `<@UBOT> ${text}`,
        ts,
        channel: 'CLP',
        event_ts: ts,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      })
    const click = (
      user: string,
      actionId: string,
      value: string,
      message: { ts: string; thread_ts?: string },
      channel = 'CLP',
    ) =>
      post(
        new URLSearchParams({
          payload: JSON.stringify({
            type: 'block_actions',
            user: { id: user },
            team: { id: 'T1' },
            api_app_id: 'A1',
            channel: { id: channel },
            container: { type: 'message', message_ts: message.ts, channel_id: channel },
            message: {
              type: 'message',
              ts: message.ts,
              ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
              text: '',
            },
            trigger_id: 't',
            response_url: 'https://hooks.slack.invalid/x',
            actions: [
              { action_id: actionId, block_id: 'b', value, type: 'button', action_ts: '1' },
            ],
          }),
        }).toString(),
        'application/x-www-form-urlencoded',
      )
    /** The hold modal submitted (a view_submission, as Slack posts it). */
    const submitHoldReason = (user: string, metadata: string, reason: string) =>
      post(
        new URLSearchParams({
          payload: JSON.stringify({
            type: 'view_submission',
            team: { id: 'T1' },
            user: { id: user },
            api_app_id: 'A1',
            trigger_id: 't2',
            view: {
              id: 'VMODAL',
              type: 'modal',
              callback_id: 'alert_hold_reason',
              private_metadata: metadata,
              state: {
                values: { reason: { reason_input: { type: 'plain_text_input', value: reason } } },
              },
            },
          }),
        }).toString(),
        'application/x-www-form-urlencoded',
      )
    const posts = (pred: (a: Record<string, unknown>) => boolean) =>
      slack.of('chat.postMessage').filter(pred)
    /** Streams opened in a thread (each answer is one). */
    const streamsIn = (threadTs: string) =>
      slack.of('chat.startStream').filter((a) => a.thread_ts === threadTs)
    /** The final answers whose text matches. */
    const answered = (pred: (text: string) => boolean) =>
      slack.answers().filter((a) => pred(a.text))
    /** Where the Slack face posted an approval card or an alert (its own table). */
    const postedAt = (kind: 'approval' | 'alert', id: number) =>
      database.db
        .selectFrom('slack_messages')
        .selectAll()
        .where('kind', '=', kind)
        .where('ref_id', '=', id)
        .executeTakeFirst()

    it('rejects a request with a bad signature', async () => {
      const res = await post(
        mention('ULP', 'liability', '100.1'),
        'application/json',
        {},
        'not-the-secret',
      )
      expect(res.status).toBe(401)
      expect(posts((a) => a.thread_ts === '100.1')).toHaveLength(0)
    })

    it('streams the answer to a mention into its thread, once, however often Slack retries it', async () => {
      const body = mention('UANA', 'liability by state', '200.1')
      expect((await post(body, 'application/json')).status).toBe(200)
      expect(
        (
          await post(body, 'application/json', {
            'x-slack-retry-num': '1',
            'x-slack-retry-reason': 'http_timeout',
          })
        ).status,
      ).toBe(200)
      const answer = await eventually(() => {
        const a = answered((t) => t.startsWith('Outstanding liability now'))
        expect(a).toHaveLength(1)
        return a[0] as { ts: string; blocks: unknown[] }
      })
      // A stream in the thread, to the person who asked (a channel needs the recipient).
      expect(streamsIn('200.1')).toEqual([
        expect.objectContaining({
          channel: 'CLP',
          recipient_user_id: 'UANA',
          recipient_team_id: 'T1',
        }),
      ])
      const stream = slack.streams.get(answer.ts)
      expect(stream?.state).toBe('stopped')
      // A task per tool call, started then completed, between the turn's own task.
      const tasks = (stream?.chunks ?? []).filter((c) => c.type === 'task_update')
      expect(tasks.map((t) => [t.title, t.status])).toEqual([
        ['Reading your question', 'in_progress'],
        ['adding up liability…', 'in_progress'],
        ['adding up liability…', 'complete'],
        ['Answered', 'complete'],
      ])
      const blocks = answer.blocks as { type: string; fields?: { text: string }[] }[]
      expect(blocks[0]?.type).toBe('section')
      expect(
        blocks.some((b) =>
          b.fields?.some((f) => /^US-[A-Z]{2}: \$[\d,.]+ \([\d,]+ cards\)$/.test(f.text)),
        ),
      ).toBe(true)
      // Liability by state is a series: its chart follows in the thread, uploaded the way
      // files.uploadV2 does it (an upload URL, the bytes, then completeUploadExternal).
      const shared = await eventually(() => {
        const done = slack.of('files.completeUploadExternal').filter((c) => c.thread_ts === '200.1')
        expect(done).toHaveLength(1)
        return done[0] as { channel_id: string; files: { id: string; title: string }[] }
      })
      expect(shared.channel_id).toBe('CLP')
      const file = slack.uploads.get(shared.files[0]?.id ?? '')
      expect(file?.filename).toBe('liability-by-state.png')
      expect(file?.bytes?.subarray(0, 8)).toEqual(
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      )
      expect(file?.shared).toMatchObject({ channel: 'CLP', threadTs: '200.1' })
      expect(shared.files[0]?.title).toMatch(/state/i)
      await new Promise((r) => setTimeout(r, 300))
      expect(streamsIn('200.1')).toHaveLength(1)
      expect(posts((a) => a.thread_ts === '200.1')).toHaveLength(0)
    })

    it('keeps the thread: a follow-up in it knows what "it" was', async () => {
      await post(mention('UANA', `balance of ${fixture.piiCard}`, '300.1'), 'application/json')
      await eventually(() =>
        expect(answered((t) => t.includes(`Card ${fixture.piiCard}`)).length).toBeGreaterThan(0),
      )
      await post(mention('UANA', 'why is it flagged?', '300.2', '300.1'), 'application/json')
      await eventually(() =>
        expect(answered((t) => t.startsWith('Alert #1 (refund_abuse')).length).toBe(1),
      )
      expect(streamsIn('300.1')).toHaveLength(2)
    })

    it('runs a hold request through an approval card: refused for non-managers, placed once for a manager', async () => {
      const card = fixture.activeCard
      await post(
        mention('ULP', `hold ${card} because of card testing`, '400.1'),
        'application/json',
      )
      const cardPost = await eventually(() => {
        const p = posts((a) => a.thread_ts === '400.1' && String(a.text).startsWith('Approval #'))
        expect(p).toHaveLength(1)
        return p[0] as Record<string, unknown>
      })
      const approvalId = Number(/#(\d+)/.exec(String(cardPost.text))?.[1])
      const blocks = JSON.stringify(cardPost.blocks)
      for (const fact of [
        card,
        'Balance',
        'Requested by',
        '<@ULP>',
        'card testing',
        'Expires',
        'approval_approve',
        'approval_reject',
        // The manager is told this hold will not stop the card at the till (issue 23).
        '*At the POS*: :warning: *ledger only*: the card still works at the till; a redemption will raise an alert (a demo card has no POS)',
      ])
        expect(blocks).toContain(fact)
      // The app records where the card went once Slack has answered the post: wait for it.
      const request = await database.db
        .selectFrom('approval_requests')
        .selectAll()
        .where('id', '=', approvalId)
        .executeTakeFirstOrThrow()
      expect(request).toMatchObject({ requested_by: 'slack:ULP', requested_via: 'slack' })
      const posted = await eventually(async () => {
        const row = await postedAt('approval', approvalId)
        expect(row).toMatchObject({ channel: 'CLP', shown_status: 'pending' })
        return row as { ts: string }
      })
      const cardTs = posted.ts

      // The requester and an analyst are refused, privately; nothing happens.
      for (const user of ['ULP', 'UANA']) {
        expect(
          (
            await click(user, 'approval_approve', String(approvalId), {
              ts: cardTs,
              thread_ts: '400.1',
            })
          ).status,
        ).toBe(200)
        await eventually(() =>
          expect(
            slack
              .of('chat.postEphemeral')
              .some(
                (a) =>
                  a.user === user &&
                  String(a.text).includes(
                    'only a manager other than the requester can approve this',
                  ),
              ),
          ).toBe(true),
        )
      }
      expect(
        await database.db
          .selectFrom('card_holds')
          .selectAll()
          .where('card_id', '=', card)
          .execute(),
      ).toHaveLength(0)

      // Two managers click at once: one hold, the card updated in place, the thread told.
      await Promise.all([
        click('UMGR', 'approval_approve', String(approvalId), { ts: cardTs, thread_ts: '400.1' }),
        click('UMGR2', 'approval_approve', String(approvalId), { ts: cardTs, thread_ts: '400.1' }),
      ])
      await eventually(async () => {
        const holds = await database.db
          .selectFrom('card_holds')
          .selectAll()
          .where('card_id', '=', card)
          .execute()
        expect(holds).toHaveLength(1)
        const updated = slack.of('chat.update').filter((a) => a.ts === cardTs)
        expect(updated).toHaveLength(1)
        const last = JSON.stringify(updated.at(-1)?.blocks)
        expect(last).not.toContain('approval_approve')
        expect(last).toMatch(/executed\* by <@UMGR2?>/)
        expect(
          posts(
            (a) =>
              a.thread_ts === '400.1' &&
              String(a.text).includes(`Approval #${approvalId} was approved by slack:UMGR`) &&
              String(a.text).includes(
                'Ledger only: the card still works at the till; a redemption will raise an alert',
              ),
          ).length,
        ).toBe(1)
      })
      const audit = await database.db
        .selectFrom('audit_log')
        .select(['action', 'actor', 'via'])
        .where('approval_id', '=', approvalId)
        .orderBy('id')
        .execute()
      expect(audit.filter((r) => r.action === 'approval_executed')).toHaveLength(1)
      expect(
        audit
          .filter((r) => r.action === 'approval_refused')
          .map((r) => r.actor)
          .sort(),
      ).toEqual(['slack:UANA', 'slack:ULP'])
      expect(audit.every((r) => r.via === 'slack')).toBe(true)
    })

    it('updates the card and tells the thread when the request is decided outside Slack (the CLI)', async () => {
      const target = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('status', '=', 'active')
        .where('balance_cents', '>', 500)
        .where('id', '!=', fixture.activeCard)
        .orderBy('id')
        .limit(1)
        .offset(3)
        .executeTakeFirstOrThrow()
      await post(
        mention('ULP', `hold ${target.id} because of refund abuse`, '450.1'),
        'application/json',
      )
      const card = await eventually(() => {
        const p = posts((a) => a.thread_ts === '450.1' && String(a.text).startsWith('Approval #'))
        expect(p).toHaveLength(1)
        return p[0] as Record<string, unknown>
      })
      const approvalId = Number(/#(\d+)/.exec(String(card.text))?.[1])
      const kit = createToolkit(database, fixture.config)
      await kit.approvals.decide(approvalId, {
        actor: { id: 'cli:mgr', role: 'manager' },
        via: 'cli',
        decision: 'approve',
      })
      expect(await server.slack?.syncDecidedApprovals()).toBe(1)
      const row = await postedAt('approval', approvalId)
      expect(row?.shown_status).toBe('executed')
      const updated = slack.of('chat.update').filter((u) => u.ts === row?.ts)
      expect(updated).toHaveLength(1)
      expect(JSON.stringify(updated[0]?.blocks)).not.toContain('approval_approve')
      expect(
        posts(
          (a) =>
            a.thread_ts === '450.1' &&
            String(a.text).includes(`Approval #${approvalId} was approved by cli:mgr`),
        ),
      ).toHaveLength(1)
      expect(await server.slack?.syncDecidedApprovals()).toBe(0)
    })

    it('answers a direct message, and gives a manager from a Slack user group the manager role', async () => {
      await post(
        event({
          type: 'message',
          channel_type: 'im',
          user: 'UGROUPMGR',
          text: 'pending approvals',
          ts: '500.1',
          channel: 'DGM',
        }),
        'application/json',
      )
      await eventually(() => expect(slack.answers().some((a) => a.channel === 'DGM')).toBe(true))
      const turn = await database.db
        .selectFrom('audit_log')
        .select(['actor', 'role', 'tool'])
        .where('actor', '=', 'slack:UGROUPMGR')
        .executeTakeFirstOrThrow()
      expect(turn).toEqual({ actor: 'slack:UGROUPMGR', role: 'manager', tool: 'list_approvals' })
    })

    it('posts requests made over MCP or the CLI to the approvals channel with the same buttons', async () => {
      const kit = createToolkit(database, fixture.config)
      const other = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('status', '=', 'active')
        .where('balance_cents', '>', 500)
        .where('id', '!=', fixture.activeCard)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow()
      const filed = await kit.executor.call(
        'place_card_hold',
        { card: other.id, reason: 'from MCP' },
        { actor: { id: 'mcp:alice', role: 'loss_prevention' }, via: 'mcp' },
      )
      expect(filed.ok).toBe(true)
      expect(await server.slack?.publishPendingApprovals()).toBe(1)
      const p = posts((a) => a.channel === 'CAPPROVALS')
      expect(p).toHaveLength(1)
      expect(JSON.stringify(p[0]?.blocks)).toContain('approval_approve')
      expect(await server.slack?.publishPendingApprovals()).toBe(0)
    })

    it('posts new alerts with Request hold and Dismiss; Request hold files an approval, Dismiss is for loss prevention', async () => {
      await server.slack?.publishNewAlerts() // the first run only sets the cursor
      const now = toIso(Date.now())
      const insert = async (cardId: string, score: number) =>
        Number(
          (
            await database.db
              .insertInto('fraud_alerts')
              .values({
                card_id: cardId,
                rule: 'balance_check_enumeration',
                score,
                status: 'open',
                evidence: JSON.stringify({ reason: '40 balance checks in 3 minutes' }),
                detected_at: now,
                updated_at: now,
                updated_by: null,
                note: null,
              })
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id,
        )
      const cards = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('status', '=', 'active')
        .where('balance_cents', '>', 0)
        .orderBy('id')
        .limit(12)
        .execute()
      const high = await insert(cards[10]?.id as string, 0.95)
      await insert(cards[11]?.id as string, 0.5)
      expect(await server.slack?.publishNewAlerts()).toBe(1)
      // Read through the executor as the alerts channel's system actor, audited like any read.
      const read = await database.db
        .selectFrom('audit_log')
        .select(['actor', 'role', 'via', 'tool', 'result_summary'])
        .where('tool', '=', 'alerts_to_post')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow()
      expect(read).toMatchObject({
        actor: 'system:slack-alerts',
        role: 'loss_prevention',
        via: 'slack',
        result_summary: expect.stringContaining(`"alertId":${high}`),
      })
      expect(await server.slack?.publishNewAlerts()).toBe(0)
      const alertPost = posts((a) => a.channel === 'CALERTS')
      expect(alertPost).toHaveLength(1)
      const blocks = JSON.stringify(alertPost[0]?.blocks)
      for (const fact of [
        `#${high}`,
        '40 balance checks in 3 minutes',
        'alert_request_hold',
        'alert_dismiss',
      ])
        expect(blocks).toContain(fact)
      const stored = await postedAt('alert', high)
      expect(stored?.channel).toBe('CALERTS')
      const alertTs = String(stored?.ts)

      // Request hold opens a modal for the requester's own reason; submitting it files the hold.
      await click('ULP', 'alert_request_hold', String(high), { ts: alertTs }, 'CALERTS')
      const modal = await eventually(() => {
        const v = slack.of('views.open').at(-1)
        expect(v?.trigger_id).toBe('t')
        return (v as { view: { callback_id: string; private_metadata: string } }).view
      })
      expect(modal.callback_id).toBe('alert_hold_reason')
      await submitHoldReason('ULP', modal.private_metadata, 'the same <!here> buyer again')
      await eventually(() =>
        expect(
          posts(
            (a) =>
              a.channel === 'CALERTS' &&
              a.thread_ts === alertTs &&
              String(a.text).startsWith('Approval #'),
          ),
        ).toHaveLength(1),
      )
      const approval = await database.db
        .selectFrom('approval_requests')
        .selectAll()
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow()
      expect(approval).toMatchObject({
        action: 'place_card_hold',
        requested_by: 'slack:ULP',
        requested_via: 'slack',
        status: 'pending',
        // The requester's own words, verbatim.
        reason: 'the same <!here> buyer again',
      })
      const holdCard = posts((a) => a.thread_ts === alertTs).at(-1)
      expect(JSON.stringify(holdCard)).toContain('the same &lt;!here&gt; buyer again')
      expect(JSON.stringify(holdCard)).not.toContain('<!here>')

      await click('UANA', 'alert_dismiss', String(high), { ts: alertTs }, 'CALERTS')
      await eventually(() =>
        expect(
          slack
            .of('chat.postEphemeral')
            .some((a) => a.user === 'UANA' && String(a.text).startsWith('Could not dismiss')),
        ).toBe(true),
      )
      await click('ULP', 'alert_dismiss', String(high), { ts: alertTs }, 'CALERTS')
      await eventually(async () => {
        const a = await database.db
          .selectFrom('fraud_alerts')
          .select(['status', 'updated_by'])
          .where('id', '=', high)
          .executeTakeFirstOrThrow()
        expect(a).toEqual({ status: 'dismissed', updated_by: 'slack:ULP' })
        expect(
          JSON.stringify(slack.of('chat.update').find((u) => u.ts === alertTs)?.blocks),
        ).toContain('Dismissed by <@ULP>')
      })
    })

    it('escapes data for mrkdwn: a card id or a reason holding a mention pings no one from the alert, the approval card or their fallback text', async () => {
      const EVIL = '<!channel> <https://evil.example|URGENT>'
      const source = await database.db
        .selectFrom('gift_cards')
        .selectAll()
        .where('id', '=', fixture.activeCard)
        .executeTakeFirstOrThrow()
      await database.db
        .insertInto('gift_cards')
        .values({ ...source, id: EVIL, balance_cents: 2500, status: 'active' })
        .execute()
      const now = toIso(Date.now())
      const alertId = Number(
        (
          await database.db
            .insertInto('fraud_alerts')
            .values({
              card_id: EVIL,
              rule: 'card_testing',
              score: 0.97,
              status: 'open',
              evidence: JSON.stringify({ reason: '<!here> 12 declines & a <@U999> mention' }),
              detected_at: now,
              updated_at: now,
              updated_by: null,
              note: null,
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      )
      await server.slack?.publishNewAlerts()
      const alertPost = posts(
        (a) => a.channel === 'CALERTS' && String(a.text).startsWith(`Fraud alert #${alertId}:`),
      )
      expect(alertPost).toHaveLength(1)
      const kit = createToolkit(database, fixture.config)
      const filed = await kit.executor.call(
        'place_card_hold',
        { alertId, reason: '<!here> act now' },
        { actor: { id: 'mcp:alice', role: 'loss_prevention' }, via: 'mcp' },
      )
      expect(filed.ok).toBe(true)
      await server.slack?.publishPendingApprovals()
      const cardPost = posts(
        (a) => a.channel === 'CAPPROVALS' && String(a.text).includes('Hold card'),
      ).at(-1)
      expect(cardPost).toBeDefined()
      for (const message of [alertPost[0], cardPost]) {
        // Every text Slack parses (the fallback and each mrkdwn object) has no live token left.
        const parsed = [
          String(message?.text),
          ...Array.from(
            JSON.stringify(message?.blocks).matchAll(/"type":"mrkdwn","text":"((?:[^"\\]|\\.)*)"/g),
            (m) => JSON.parse(`"${m[1]}"`) as string,
          ),
        ]
        for (const text of parsed) {
          expect(text).not.toMatch(/<!(channel|here)>|<https?:|<@U999>/)
        }
        expect(parsed.join(' ')).toContain('&lt;!channel&gt; &lt;https://evil.example|URGENT&gt;')
      }
      expect(String(alertPost[0]?.text)).toContain('&lt;!channel&gt;')
      expect(JSON.stringify(alertPost[0]?.blocks)).toContain(
        '&lt;!here&gt; 12 declines &amp; a &lt;@U999&gt; mention',
      )
      expect(JSON.stringify(cardPost?.blocks)).toContain('&lt;!here&gt; act now')
    })

    it('publishes App Home with liability, the forecast, alerts by severity and pending approvals', async () => {
      await post(
        event({ type: 'app_home_opened', user: 'UMGR', channel: 'DHOME', tab: 'home' }),
        'application/json',
      )
      const view = await eventually(() => {
        const v = slack.of('views.publish').at(-1)
        expect(v).toBeDefined()
        return v as { user_id: string; view: { type: string; blocks: unknown[] } }
      })
      expect(view.user_id).toBe('UMGR')
      expect(view.view.type).toBe('home')
      const text = JSON.stringify(view.view.blocks)
      for (const part of [
        'Outstanding liability',
        'Breakage forecast',
        'Open fraud alerts',
        'Pending approvals',
      ])
        expect(text).toContain(part)
    })

    it('refuses a request timestamped more than five minutes from now, ahead or behind, and takes one within', async () => {
      const refused: [number, string][] = [
        [600, '150.1'],
        [-600, '150.2'],
      ]
      for (const [skew, ts] of refused) {
        const res = await post(
          mention('UANA', 'liability', ts),
          'application/json',
          {},
          SIGNING_SECRET,
          skew,
        )
        expect(res.status, `${skew} s`).toBe(401)
      }
      for (const [skew, ts] of [
        [240, '150.3'],
        [-240, '150.4'],
      ] as const) {
        const res = await post(
          mention('UANA', 'liability', ts),
          'application/json',
          {},
          SIGNING_SECRET,
          skew,
        )
        expect(res.status, `${skew} s`).toBe(200)
      }
      // Both accepted requests are answered; by then the refused ones would have been too.
      await eventually(() => {
        expect(streamsIn('150.3')).toHaveLength(1)
        expect(streamsIn('150.4')).toHaveLength(1)
      })
      for (const [, ts] of refused) expect(streamsIn(ts)).toHaveLength(0)
    })

    it('tells a manager who clicks Approve on an expired request that it expired, and runs nothing', async () => {
      const target = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('status', '=', 'active')
        .where('balance_cents', '>', 500)
        .where('id', '!=', fixture.activeCard)
        .orderBy('id')
        .limit(1)
        .offset(6)
        .executeTakeFirstOrThrow()
      const kit = createToolkit(database, fixture.config)
      const filed = await kit.executor.call(
        'place_card_hold',
        { card: target.id, reason: 'expiry test' },
        { actor: { id: 'slack:ULP', role: 'loss_prevention' }, via: 'slack' },
      )
      const approvalId = (filed as { ok: true; data: { approvalId: number } }).data.approvalId
      await database.db
        .updateTable('approval_requests')
        .set({ expires_at: toIso(Date.now() - 60_000) })
        .where('id', '=', approvalId)
        .execute()
      expect(
        (await click('UMGR', 'approval_approve', String(approvalId), { ts: '160.1' })).status,
      ).toBe(200)
      await eventually(() =>
        expect(
          slack
            .of('chat.postEphemeral')
            .some(
              (a) =>
                a.user === 'UMGR' &&
                String(a.text).startsWith(`approval #${approvalId} expired at `) &&
                String(a.text).endsWith('it will not run'),
            ),
        ).toBe(true),
      )
      const row = await database.db
        .selectFrom('approval_requests')
        .select('status')
        .where('id', '=', approvalId)
        .executeTakeFirstOrThrow()
      expect(row.status).toBe('expired')
      expect(
        await database.db
          .selectFrom('card_holds')
          .select('id')
          .where('card_id', '=', target.id)
          .execute(),
      ).toHaveLength(0)
    })
  })
}
