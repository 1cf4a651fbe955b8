import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const manifest = JSON.parse(readFileSync(join(ROOT, 'slack-app', 'manifest.json'), 'utf8'))
// The face is split by feature: what it listens to is read from all of its files.
const source = readdirSync(join(ROOT, 'slack-app'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(ROOT, 'slack-app', f), 'utf8'))
  .join('\n')

describe('the Slack manifest', () => {
  it('subscribes to every event the app listens to, with the scopes they need', () => {
    const events: string[] = manifest.settings.event_subscriptions.bot_events
    const scopes: string[] = manifest.oauth_config.scopes.bot
    expect(source).toContain("app.event('app_mention'")
    expect(events).toContain('app_mention')
    expect(scopes).toContain('app_mentions:read')
    expect(source).toContain("m.channel_type !== 'im'")
    expect(events).toContain('message.im')
    expect(scopes).toEqual(expect.arrayContaining(['im:history', 'chat:write']))
    expect(source).toContain("app.event('app_home_opened'")
    expect(events).toContain('app_home_opened')
    expect(manifest.features.app_home.home_tab_enabled).toBe(true)
    expect(source).toMatch(/usergroups\.users\s*\.list/)
    expect(scopes).toContain('usergroups:read')
  })

  it('is an AI app: the assistant view, its events and the scope of assistant.threads.*', () => {
    const events: string[] = manifest.settings.event_subscriptions.bot_events
    const scopes: string[] = manifest.oauth_config.scopes.bot
    expect(source).toContain('new Assistant(')
    expect(manifest.features.assistant_view.assistant_description).toBeTruthy()
    expect(events).toEqual(
      expect.arrayContaining(['assistant_thread_started', 'assistant_thread_context_changed']),
    )
    expect(scopes).toContain('assistant:write')
    // Charts are shared in the thread through the external upload flow.
    expect(source).toContain('files.uploadV2(')
    expect(scopes).toContain('files:write')
  })

  it('turns on interactivity (the buttons) and Socket Mode, with /slack/events for HTTP', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true)
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/)
    expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/)
    expect(manifest.settings.socket_mode_enabled).toBe(true)
  })

  it('giftcards slack says what is missing without the tokens', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'giftcards.js'), 'slack'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'sqlite::memory:' },
      encoding: 'utf8',
    })
    expect(run.status).toBe(2)
    expect(run.stderr.trim()).toBe(
      'giftcards: CONFIG_INVALID: SLACK_BOT_TOKEN and SLACK_APP_TOKEN must both be set for Socket Mode (see slack-app/manifest.json)',
    )
  })
})
