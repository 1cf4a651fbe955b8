import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const manifest = JSON.parse(readFileSync(join(ROOT, 'slack-app', 'manifest.json'), 'utf8'))
const source = readFileSync(join(ROOT, 'slack-app', 'app.ts'), 'utf8')

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
