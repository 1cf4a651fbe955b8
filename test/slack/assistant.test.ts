import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { grantRole } from '../../governance/index.ts'
import { SUGGESTED_PROMPTS } from '../../slack-app/index.ts'
import { type FakeSlack, slackRequestHeaders, startFakeSlack } from '../fakes/slack-api.ts'
import { setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { eventually } from '../helpers/eventually.ts'

// One engine: these are Slack's protocol flows (the assistant thread, streaming and its
// fallback); the HTTP suite runs the face's data on both engines.
const [dialect] = DIALECTS
if (!dialect) throw new Error('no dialect')

const SIGNING_SECRET = 'slack-assistant-secret'
const BOT_TOKEN = 'xoxb-assistant'

describe('the Slack assistant flow and streamed answers', () => {
  let slack: FakeSlack
  let server: RunningServer
  let n = 0
  beforeAll(async () => {
    slack = await startFakeSlack(BOT_TOKEN)
  })
  let database: Database
  useDatabase(dialect, async (d) => {
    database = d
    await setUpAgentFixture(d, 120)
    await grantRole(d, 'slack:ULP', 'loss_prevention')
    await grantRole(d, 'slack:UMGR', 'manager')
    const config = loadConfig({
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.url,
      PII_TOKEN_KEY: 'test-pii-key',
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

  const send = (event: Record<string, unknown>) => {
    const body = JSON.stringify({
      token: 'x',
      team_id: 'T1',
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `EvA${++n}`,
      event_time: Math.floor(Date.now() / 1000),
      event,
    })
    return fetch(`${server.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...slackRequestHeaders(SIGNING_SECRET, body) },
      body,
    })
  }
  /** A message in an assistant thread: a DM (channel D…) in a thread, as Slack sends it. */
  const inThread = (user: string, text: string, ts: string, threadTs: string) =>
    send({
      type: 'message',
      channel_type: 'im',
      channel: 'DASSIST',
      user,
      text,
      ts,
      thread_ts: threadTs,
      event_ts: ts,
    })

  it('offers a new assistant thread the suggested prompts of the user’s role', async () => {
    for (const [user, ts] of [
      ['ULP', '700.1'],
      ['UMGR', '701.1'],
    ] as const)
      await send({
        type: 'assistant_thread_started',
        assistant_thread: { user_id: user, channel_id: 'DASSIST', thread_ts: ts, context: {} },
        event_ts: ts,
      })
    const offered = await eventually(() => {
      const calls = slack.of('assistant.threads.setSuggestedPrompts')
      expect(calls).toHaveLength(2)
      return calls
    })
    const byThread = Object.fromEntries(offered.map((c) => [c.thread_ts, c.prompts]))
    expect(byThread['700.1']).toEqual(SUGGESTED_PROMPTS.loss_prevention)
    expect(byThread['701.1']).toEqual(SUGGESTED_PROMPTS.manager)
    expect(offered.every((c) => c.channel_id === 'DASSIST')).toBe(true)
  })

  it('titles the thread after its first question, says what it is doing, and streams the answer', async () => {
    await inThread('ULP', 'liability by state', '700.2', '700.1')
    const answer = await eventually(() => {
      const a = slack.answers().find((x) => x.threadTs === '700.1')
      expect(a?.text).toMatch(/^Outstanding liability now/)
      return a as { ts: string }
    })
    expect(slack.of('assistant.threads.setTitle')).toEqual([
      expect.objectContaining({
        channel_id: 'DASSIST',
        thread_ts: '700.1',
        title: 'liability by state',
      }),
    ])
    const statuses = slack
      .of('assistant.threads.setStatus')
      .filter((s) => s.thread_ts === '700.1')
      .map((s) => s.status)
    expect(statuses).toEqual(['is reading your question…', 'is adding up liability…'])
    expect(slack.streams.get(answer.ts)?.state).toBe('stopped')
    // A series answer: its chart follows in the thread once drawn (after the answer).
    await eventually(() =>
      expect(slack.of('files.completeUploadExternal').map((c) => c.thread_ts)).toEqual(['700.1']),
    )

    // A second question in the thread keeps its title.
    await inThread('ULP', 'and Texas?', '700.3', '700.1')
    await eventually(() =>
      expect(slack.answers().filter((x) => x.threadTs === '700.1')).toHaveLength(2),
    )
    expect(slack.of('assistant.threads.setTitle')).toHaveLength(1)
  })

  it('falls back to a posted message updated with each step where streaming is not available', async () => {
    slack.streaming = false
    try {
      await inThread('ULP', 'liability in New York', '702.2', '702.1')
      const final = await eventually(() => {
        const working = slack.of('chat.postMessage').filter((p) => p.thread_ts === '702.1')
        expect(working).toEqual([expect.objectContaining({ text: 'working…' })])
        const updates = slack.of('chat.update').filter((u) => u.channel === 'DASSIST')
        expect(updates.at(-1)?.blocks).toBeDefined()
        return updates
      })
      expect(final.map((u) => u.text)).toEqual([
        'working… adding up liability…',
        expect.stringMatching(/^Outstanding liability now/),
      ])
      expect(slack.of('chat.startStream').filter((s) => s.thread_ts === '702.1')).toHaveLength(1)
      // One state is not a series: no chart follows.
      expect(slack.of('files.getUploadURLExternal')).toHaveLength(1)
      expect(slack.of('files.completeUploadExternal').map((c) => c.thread_ts)).toEqual(['700.1'])
      expect(slack.of('chat.appendStream').filter((s) => s.ts === undefined)).toHaveLength(0)
    } finally {
      slack.streaming = true
    }
  })

  it('posts the answer as a new message when the stream breaks midway', async () => {
    slack.appendsBeforeExpiry = 1
    try {
      await inThread('ULP', 'liability in New York', '703.2', '703.1')
      const reply = await eventually(() => {
        const p = slack
          .of('chat.postMessage')
          .filter((m) => m.thread_ts === '703.1' && Array.isArray(m.blocks))
        expect(p).toHaveLength(1)
        return p[0] as { text: string }
      })
      expect(reply.text).toMatch(/^Outstanding liability now/)
      const [stream] = [...slack.streams.values()].filter((s) => s.threadTs === '703.1')
      expect(stream?.state).toBe('expired')
      // No "working…" message: the stream had started, only its end was lost.
      expect(
        slack
          .of('chat.postMessage')
          .filter((m) => m.text === 'working…' && m.thread_ts === '703.1'),
      ).toEqual([])
    } finally {
      slack.appendsBeforeExpiry = undefined
    }
  })

  it('fits the breakage forecast for App Home when asked, through the executor as the person asking', async () => {
    const click = new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: 'UMGR' },
        team: { id: 'T1' },
        api_app_id: 'A1',
        container: { type: 'view', view_id: 'V1' },
        trigger_id: 't',
        actions: [
          {
            action_id: 'home_forecast',
            block_id: 'home',
            value: 'forecast',
            type: 'button',
            action_ts: '1',
          },
        ],
      }),
    }).toString()
    const res = await fetch(`${server.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...slackRequestHeaders(SIGNING_SECRET, click),
      },
      body: click,
    })
    expect(res.status).toBe(200)
    const view = await eventually(() => {
      const v = slack.of('views.publish').find((p) => p.user_id === 'UMGR')
      expect(v).toBeDefined()
      return JSON.stringify(v)
    })
    expect(view).toMatch(
      /Breakage forecast\* \(12 months, as of \d{4}-\d{2}-\d{2}\): \$[\d,.]+ expected redemptions/,
    )
    expect(view).toContain('Forecast again')
    expect(
      await database.db
        .selectFrom('audit_log')
        .select(['actor', 'role'])
        .where('tool', '=', 'forecast_breakage')
        .execute(),
    ).toEqual([{ actor: 'slack:UMGR', role: 'manager' }])
  })
})
