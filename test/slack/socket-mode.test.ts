import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Agent } from '../../agent/index.ts'
import { openAgent, slackDeps } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { grantRole } from '../../governance/index.ts'
import { createSlackApp, type SlackApp } from '../../slack-app/index.ts'
import { type FakeSlack, startFakeSlack } from '../fakes/slack-api.ts'
import { type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { eventually } from '../helpers/eventually.ts'

// One engine is enough here: this suite is about the transport; the HTTP suite runs on both.
const [dialect] = DIALECTS
if (!dialect) throw new Error('no dialect')

describe('the Slack app in Socket Mode (giftcards slack)', () => {
  let database: Database
  let fixture: AgentFixture
  let slack: FakeSlack
  let app: SlackApp
  let agent: Agent
  beforeAll(async () => {
    slack = await startFakeSlack('xoxb-socket', 'xapp-socket')
  })
  useDatabase(dialect, async (d) => {
    database = d
    fixture = await setUpAgentFixture(d, 200)
    await grantRole(d, 'slack:ULP', 'loss_prevention')
    await grantRole(d, 'slack:UMGR', 'manager')
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-socket',
      SLACK_APP_TOKEN: 'xapp-socket',
      SLACK_API_URL: slack.url,
      PII_TOKEN_KEY: 'test-pii-key',
    })
    agent = await openAgent(d, config)
    app = createSlackApp(slackDeps(d, config, agent), { socketMode: true })
    await app.app.start()
    await slack.connected()
  })
  afterAll(async () => {
    await app?.app.stop()
    await agent?.close()
    await slack?.close()
  })

  it('connects with the app token, acks each envelope, and answers a mention in its thread', async () => {
    expect(slack.of('apps.connections.open')).toHaveLength(1)
    const ack = await slack.sendEnvelope('events_api', {
      team_id: 'T1',
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: 'EvSocket1',
      event_time: 1,
      event: {
        type: 'app_mention',
        user: 'ULP',
        text: `<@UBOT> hold ${fixture.activeCard} because of card testing`,
        ts: '900.1',
        channel: 'CSOCK',
        event_ts: '900.1',
      },
    })
    expect(ack.envelope_id).toBe('env-1')
    const card = await eventually(() => {
      const posted = slack
        .of('chat.postMessage')
        .find((a) => a.thread_ts === '900.1' && String(a.text).startsWith('Approval #'))
      expect(posted).toBeDefined()
      return posted as Record<string, unknown>
    })
    const approvalId = Number(/#(\d+)/.exec(String(card.text))?.[1])
    // The app records the card's ts once Slack has answered the post: wait for it.
    const request = await eventually(async () => {
      const row = await database.db
        .selectFrom('approval_requests as r')
        .innerJoin('slack_messages as m', (j) =>
          j.onRef('m.ref_id', '=', 'r.id').on('m.kind', '=', 'approval'),
        )
        .select(['m.ts as slack_ts', 'r.requested_by'])
        .where('r.id', '=', approvalId)
        .executeTakeFirstOrThrow()
      expect(row.slack_ts).not.toBeNull()
      return row
    })
    expect(request.requested_by).toBe('slack:ULP')

    // The manager's click arrives as an interactive envelope.
    await slack.sendEnvelope('interactive', {
      type: 'block_actions',
      user: { id: 'UMGR' },
      team: { id: 'T1' },
      channel: { id: 'CSOCK' },
      container: { type: 'message', message_ts: request.slack_ts, channel_id: 'CSOCK' },
      message: { type: 'message', ts: request.slack_ts, thread_ts: '900.1', text: '' },
      trigger_id: 't',
      actions: [
        {
          action_id: 'approval_approve',
          block_id: 'b',
          value: String(approvalId),
          type: 'button',
          action_ts: '1',
        },
      ],
    })
    await eventually(async () => {
      const c = await database.db
        .selectFrom('gift_cards')
        .select('status')
        .where('id', '=', fixture.activeCard)
        .executeTakeFirstOrThrow()
      expect(c.status).toBe('held')
      expect(
        slack
          .of('chat.update')
          .some((u) => u.ts === request.slack_ts && JSON.stringify(u.blocks).includes('executed')),
      ).toBe(true)
    })
  })
})
