import { beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { createToken, revokeToken } from '../../governance/index.ts'
import { createToolkit } from '../../tools/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { type DashboardFixture, HTML_CARD, PEOPLE, setUpDashboard } from './fixture.ts'

type App = ReturnType<typeof buildApp>['app']
type Session = { cookie: string; csrf: string }

const ORIGIN = 'http://127.0.0.1'

/** The form token a page carries in its hidden `csrf` field. */
function csrfOf(page: string): string {
  const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1]
  if (!token) throw new Error('no csrf field on the page')
  return token
}

function cookieOf(response: Response, name: string): string | undefined {
  return response.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0]
}

async function signIn(app: App, token: string): Promise<Session & { setCookie: string }> {
  const form = await app.request(`${ORIGIN}/dashboard/sign-in`)
  const signInCookie = cookieOf(form, 'gc_signin') ?? ''
  const response = await app.request(`${ORIGIN}/dashboard/sign-in`, {
    method: 'POST',
    headers: { cookie: signInCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, csrf: csrfOf(await form.text()) }),
  })
  expect(response.status).toBe(303)
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('gc_session=')) ?? ''
  const cookie = setCookie.split(';')[0] ?? ''
  const page = await app.request(`${ORIGIN}/dashboard/cards`, { headers: { cookie } })
  return { cookie, csrf: csrfOf(await page.text()), setCookie }
}

const get = (app: App, path: string, session: Session) =>
  app.request(`${ORIGIN}${path}`, { headers: { cookie: session.cookie } })

const post = (app: App, path: string, session: Session, fields: Record<string, string>) =>
  app.request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  })

for (const dialect of DIALECTS) {
  describe(`the dashboard on ${dialect.name}`, () => {
    let database: Database
    let fixture: DashboardFixture
    let app: App
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpDashboard(d)
    })
    beforeAll(() => {
      // The overview's forecast is checked for its rendering: 20 bootstrap refits, not 200.
      const config = loadConfig({ LOG_LEVEL: 'silent', FORECAST_BOOTSTRAP: '20' })
      const toolkit = createToolkit(database, config)
      app = buildApp({ database, config, toolkit, listeners: [] }).app
    })

    it('serves nothing before sign-in: pages offer the form, assets and charts get 401', async () => {
      const first = await app.request(`${ORIGIN}/dashboard/alerts`)
      expect(first.status).toBe(303)
      expect(first.headers.get('location')).toBe('/dashboard/sign-in?next=%2Fdashboard%2Falerts')
      const page = await app.request(`${ORIGIN}/dashboard/alerts`, {
        headers: { cookie: 'gc_session=made-up' },
      })
      expect(page.status).toBe(401)
      const text = await page.text()
      expect(text).toContain('action="/dashboard/sign-in"')
      expect(text).not.toContain('gc_')
      for (const path of ['/dashboard/assets/vega.min.js', '/dashboard/escheatment.csv']) {
        const refused = await app.request(`${ORIGIN}${path}`)
        expect(refused.status, path).toBe(401)
        expect(await refused.json()).toEqual({ error: 'sign in first' })
      }
    })

    it('signs in with a token: an HttpOnly, SameSite=Strict cookie that expires', async () => {
      const session = await signIn(app, fixture.tokens.analyst)
      expect(session.setCookie).toMatch(/HttpOnly/)
      expect(session.setCookie).toMatch(/SameSite=Strict/)
      expect(session.setCookie).toMatch(/Path=\/dashboard/)
      expect(session.setCookie).toMatch(/Max-Age=28800/)
      expect(session.setCookie).toMatch(/Expires=/)
      expect(session.setCookie).not.toMatch(/Secure/)
      const overview = await get(app, '/dashboard', session)
      expect(overview.status).toBe(200)
      expect(await overview.text()).toContain(`${PEOPLE.analyst} (analyst)`)
      // Behind TLS (a proxy saying so), the cookie is Secure too.
      const form = await app.request(`${ORIGIN}/dashboard/sign-in`)
      const behindTls = await app.request(`${ORIGIN}/dashboard/sign-in`, {
        method: 'POST',
        headers: {
          cookie: cookieOf(form, 'gc_signin') ?? '',
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-proto': 'https',
        },
        body: new URLSearchParams({
          token: fixture.tokens.analyst,
          csrf: csrfOf(await form.text()),
        }),
      })
      expect(cookieOf(behindTls, 'gc_session')).toBeDefined()
      expect(behindTls.headers.getSetCookie().join('\n')).toMatch(/gc_session=[^\n]*Secure/)
    })

    it('refuses a bad token, a sign-in without its form token, and says why', async () => {
      const form = await app.request(`${ORIGIN}/dashboard/sign-in`)
      const cookie = cookieOf(form, 'gc_signin') ?? ''
      const csrf = csrfOf(await form.text())
      const headers = { cookie, 'content-type': 'application/x-www-form-urlencoded' }
      const bad = await app.request(`${ORIGIN}/dashboard/sign-in`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ token: 'gct_not-a-token', csrf }),
      })
      expect(bad.status).toBe(401)
      const badText = await bad.text()
      expect(badText).toContain('that token is unknown or revoked')
      expect(badText).not.toMatch(/at \w+ \(|Error:/)
      expect(cookieOf(bad, 'gc_session')).toBeUndefined()
      const noCsrf = await app.request(`${ORIGIN}/dashboard/sign-in`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ token: fixture.tokens.analyst }),
      })
      expect(noCsrf.status).toBe(403)
      expect(await noCsrf.text()).toContain('the form token is missing or stale')
      const tooLong = await app.request(`${ORIGIN}/dashboard/sign-in`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ token: 'x'.repeat(300), csrf }),
      })
      expect(tooLong.status).toBe(400)
    })

    it('refuses a post without its CSRF token, and changes nothing', async () => {
      const lp = await signIn(app, fixture.tokens.lp)
      const path = `/dashboard/alerts/${fixture.htmlAlertId}/status`
      for (const fields of [
        { status: 'dismissed' },
        { status: 'dismissed', csrf: 'wrong' },
      ] as Record<string, string>[]) {
        const refused = await post(app, path, lp, fields)
        expect(refused.status).toBe(403)
        expect(await refused.text()).toContain('missing its form token (CSRF)')
      }
      const alert = await database.db
        .selectFrom('fraud_alerts')
        .select('status')
        .where('id', '=', fixture.htmlAlertId)
        .executeTakeFirstOrThrow()
      expect(alert.status).toBe('open')
    })

    it('ends a session that expired, was signed out, or whose token was revoked', async () => {
      const session = await signIn(app, fixture.tokens.analyst)
      await database.db
        .updateTable('dashboard_sessions')
        .set({ expires_at: '2020-01-01T00:00:00.000Z' })
        .where('ended_at', 'is', null)
        .where('token_id', '=', (await tokenId(database, PEOPLE.analyst)) ?? -1)
        .execute()
      const expired = await get(app, '/dashboard', session)
      expect(expired.status).toBe(401)
      expect(await expired.text()).toContain('Your session expired. Sign in again.')

      const other = await signIn(app, fixture.tokens.analyst)
      const out = await post(app, '/dashboard/sign-out', other, { csrf: other.csrf })
      expect(out.status).toBe(200)
      const after = await get(app, '/dashboard', other)
      expect(after.status).toBe(401)
      expect(await after.text()).toContain('Your session has ended')
    })

    it('serves a Bearer request without a cookie, and refuses a bad bearer', async () => {
      const ok = await app.request(`${ORIGIN}/dashboard/approvals`, {
        headers: { authorization: `Bearer ${fixture.tokens.manager}` },
      })
      expect(ok.status).toBe(200)
      expect(await ok.text()).toContain(`${PEOPLE.manager} (manager)`)
      // A script posts with its bearer token alone: no cookie, no form token to forge.
      const confirmed = await app.request(
        `${ORIGIN}/dashboard/alerts/${fixture.htmlAlertId}/status`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${fixture.tokens.lp}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ status: 'confirmed', note: 'scripted' }),
        },
      )
      expect(confirmed.status).toBe(200)
      const alert = await database.db
        .selectFrom('fraud_alerts')
        .select(['status', 'updated_by'])
        .where('id', '=', fixture.htmlAlertId)
        .executeTakeFirstOrThrow()
      expect(alert).toEqual({ status: 'confirmed', updated_by: PEOPLE.lp })
      const bad = await app.request(`${ORIGIN}/dashboard/approvals`, {
        headers: { authorization: 'Bearer gct_nope' },
      })
      expect(bad.status).toBe(401)
      expect(await bad.json()).toEqual({ error: 'the bearer token is unknown or revoked' })
    })

    it('lets the role decide what is shown and allowed', async () => {
      const analyst = await signIn(app, fixture.tokens.analyst)
      const overview = await (await get(app, '/dashboard', analyst)).text()
      expect(overview).not.toContain('href="/dashboard/audit"')
      const audit = await get(app, '/dashboard/audit', analyst)
      expect(audit.status).toBe(403)
      expect(await audit.text()).toContain('may not use get_audit_log')
      const alerts = await (
        await get(app, `/dashboard/alerts?alert=${fixture.htmlAlertId}`, analyst)
      ).text()
      expect(alerts).not.toContain('Dismiss</button>')
      expect(alerts).not.toContain('Request a hold')
      const forged = await post(app, `/dashboard/alerts/${fixture.htmlAlertId}/status`, analyst, {
        csrf: analyst.csrf,
        status: 'dismissed',
      })
      expect(forged.status).toBe(403)
      expect(await forged.text()).toContain('may not use update_fraud_alert')
      const lp = await signIn(app, fixture.tokens.lp)
      expect(await (await get(app, '/dashboard', lp)).text()).toContain('href="/dashboard/audit"')
    })

    it('refuses to be framed unless DASHBOARD_FRAME_ANCESTORS names the portal', async () => {
      const session = await signIn(app, fixture.tokens.analyst)
      const page = await get(app, '/dashboard/campaigns', session)
      const csp = page.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-eval')
      expect(page.headers.get('x-frame-options')).toBe('DENY')
      expect(page.headers.get('cache-control')).toBe('no-store')
      const config = loadConfig({
        LOG_LEVEL: 'silent',
        DASHBOARD_FRAME_ANCESTORS: 'https://admin.example.com https://*.shop.example',
      })
      const framed = buildApp({
        database,
        config,
        toolkit: createToolkit(database, config),
        listeners: [],
      }).app
      const embedded = await framed.request(`${ORIGIN}/dashboard/sign-in`)
      expect(embedded.headers.get('content-security-policy')).toContain(
        'frame-ancestors https://admin.example.com https://*.shop.example',
      )
      expect(embedded.headers.get('x-frame-options')).toBeNull()
      expect(() => loadConfig({ DASHBOARD_FRAME_ANCESTORS: "'self'; script-src *" })).toThrow(
        /DASHBOARD_FRAME_ANCESTORS/,
      )
    })

    it('shows each page from the tools, audited as via dashboard', async () => {
      const lp = await signIn(app, fixture.tokens.lp)
      const overview = await (await get(app, '/dashboard', lp)).text()
      const liability = await database.db
        .selectFrom('gift_cards')
        .select((eb) => eb.fn.sum<number | string>('balance_cents').as('cents'))
        .executeTakeFirstOrThrow()
      const dollars = (Number(liability.cents) / 100).toLocaleString('en-US', {
        style: 'currency',
        currency: 'USD',
      })
      expect(overview).toContain(dollars)
      expect(overview).toContain('data-chart="liability-trend"')
      // The forecast's bootstrap fits take seconds on a busy machine: checked on one engine
      // (the forecast itself is tested on both in test/analytics/breakage.test.ts).
      if (dialect === DIALECTS[0]) {
        const forecast = await (await get(app, '/dashboard/overview/forecast', lp)).text()
        expect(forecast).toContain('Breakage recognised')
        expect(forecast.match(/<tr>/g)?.length).toBe(13)
      }

      const alerts = await (await get(app, '/dashboard/alerts?rule=bulk_purchase', lp)).text()
      const bulk = await database.db
        .selectFrom('fraud_alerts')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('rule', '=', 'bulk_purchase')
        .where('status', '=', 'open')
        .executeTakeFirstOrThrow()
      expect(alerts).toContain(`${Number(bulk.n)} open alerts`)
      expect(alerts).not.toContain('>card_testing<')

      const card = await database.db
        .selectFrom('gift_card_transactions')
        .select(['card_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('card_id', 'is not', null)
        .groupBy('card_id')
        .orderBy('card_id')
        .limit(1)
        .executeTakeFirstOrThrow()
      const cardPage = await (await get(app, `/dashboard/cards?card=${card.card_id}`, lp)).text()
      const rows = cardPage.split('<h2>Timeline</h2>')[1]?.split('</table>')[0] ?? ''
      expect(rows.match(/<tr>/g)?.length).toBe(Math.min(50, Number(card.n)) + 1)

      const campaigns = await (await get(app, '/dashboard/campaigns', lp)).text()
      expect(campaigns).toContain('0 draft, 0 pending approval, 0 launched, 0 rejected.')

      const escheat = await get(app, '/dashboard/escheatment.csv?horizonMonths=120', lp)
      expect(escheat.headers.get('content-type')).toBe('text/csv; charset=utf-8')
      const csv = (await escheat.text()).split('\r\n')
      expect(csv[0]).toBe(
        'card_id,jurisdiction,basis,balance_cents,balance,last_activity_at,deadline,overdue',
      )
      expect(csv.length).toBeGreaterThan(2)
      const page = await (await get(app, '/dashboard/escheatment?horizonMonths=120', lp)).text()
      expect(page).toContain(csv[1]?.split(',')[0])

      const audit = await (await get(app, '/dashboard/audit?tool=escheatment_report', lp)).text()
      expect(audit).toContain('Verified')
      const rows2 = await database.db
        .selectFrom('audit_log')
        .select(['via', 'actor'])
        .where('tool', '=', 'escheatment_report')
        .execute()
      expect(rows2.length).toBeGreaterThanOrEqual(2)
      expect(rows2.every((r) => r.via === 'dashboard' && r.actor === PEOPLE.lp)).toBe(true)

      const bad = await get(app, '/dashboard/alerts?minScore=5', lp)
      expect(bad.status).toBe(400)
      expect(await bad.text()).toContain('minScore: Too big')
    })

    it('serves each chart as its spec and as a PNG, through the executor', async () => {
      const analyst = await signIn(app, fixture.tokens.analyst)
      const trend = await get(app, '/dashboard/charts/liability-trend.json', analyst)
      expect(trend.status).toBe(200)
      const body = (await trend.json()) as {
        name: string
        points: number
        spec: { data: { values: unknown[] } }
      }
      const months = await database.db.selectFrom('ledger_daily').select('day').distinct().execute()
      const distinctMonths = new Set(months.map((m) => String(m.day).slice(0, 7))).size
      expect(body.name).toBe('liability-trend')
      expect(body.points).toBe(body.spec.data.values.length)
      expect(body.points).toBeGreaterThanOrEqual(Math.min(12, distinctMonths) - 1)
      const png = await get(app, '/dashboard/charts/liability-by-state.png?width=400', analyst)
      expect(png.headers.get('content-type')).toBe('image/png')
      const bytes = Buffer.from(await png.arrayBuffer())
      expect(bytes.subarray(1, 4).toString()).toBe('PNG')
      expect(bytes.readUInt32BE(16)).toBe(400)
      expect(
        (await get(app, '/dashboard/charts/liability-by-state.png?width=5', analyst)).status,
      ).toBe(400)
      expect((await get(app, '/dashboard/charts/nope.json', analyst)).status).toBe(404)
      expect((await app.request(`${ORIGIN}/dashboard/charts/forecast.json`)).status).toBe(401)
      const audited = await database.db
        .selectFrom('audit_log')
        .select(['via', 'tool'])
        .where('actor', '=', PEOPLE.analyst)
        .where('tool', '=', 'ledger_metrics')
        .execute()
      expect(audited.length).toBeGreaterThan(0)
      expect(audited.every((r) => r.via === 'dashboard')).toBe(true)
    })

    it('says so when a ledger has nothing to chart or list, instead of an empty frame', async () => {
      const empty = await dialect.open()
      try {
        const { token } = await createToken(empty.database, { actorId: 'mcp:new', role: 'manager' })
        const config = loadConfig({ LOG_LEVEL: 'silent' })
        const fresh = buildApp({
          database: empty.database,
          config,
          toolkit: createToolkit(empty.database, config),
          listeners: [],
        }).app
        const bearer = { headers: { authorization: `Bearer ${token}` } }
        const chart = await fresh.request(`${ORIGIN}/dashboard/charts/alerts-by-rule.json`, bearer)
        expect(chart.status).toBe(200)
        const body = (await chart.json()) as { empty?: string; points: number }
        expect(body.points).toBe(0)
        expect(body.empty).toMatch(/\w/)
        const overview = await (await fresh.request(`${ORIGIN}/dashboard`, bearer)).text()
        expect(overview).toContain('Nothing is owed.')
        expect(overview).toContain('No request is waiting.')
        const alerts = await (await fresh.request(`${ORIGIN}/dashboard/alerts`, bearer)).text()
        expect(alerts).toContain('No alert matches these filters.')
      } finally {
        await empty.cleanup()
      }
    })

    it('returns to a dashboard page after sign-in, never to another site', async () => {
      for (const next of ['//evil.example/x', 'https://evil.example', '/dashboard/../x']) {
        const form = await app.request(
          `${ORIGIN}/dashboard/sign-in?next=${encodeURIComponent(next)}`,
        )
        expect(await form.text()).toContain('name="next" value="/dashboard"')
      }
      const form = await app.request(`${ORIGIN}/dashboard/sign-in`)
      const response = await app.request(`${ORIGIN}/dashboard/sign-in`, {
        method: 'POST',
        headers: {
          cookie: cookieOf(form, 'gc_signin') ?? '',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          token: fixture.tokens.analyst,
          csrf: csrfOf(await form.text()),
          next: '/dashboard/cards?card=1111',
        }),
      })
      expect(response.headers.get('location')).toBe('/dashboard/cards?card=1111')
    })

    it('escapes everything from data: a card id that is markup stays text', async () => {
      const lp = await signIn(app, fixture.tokens.lp)
      for (const path of [
        `/dashboard/alerts?alert=${fixture.htmlAlertId}`,
        `/dashboard/cards?card=${encodeURIComponent(HTML_CARD)}`,
        `/dashboard/cards?card=${encodeURIComponent('<img src=x onerror=alert(2)>')}`,
      ]) {
        const text = await (await get(app, path, lp)).text()
        expect(text, path).not.toContain('<script>alert(1)')
        expect(text, path).not.toContain('<img src=x')
        expect(text, path).not.toContain('<b>bold</b>')
      }
      const alerts = await (
        await get(app, `/dashboard/alerts?alert=${fixture.htmlAlertId}`, lp)
      ).text()
      expect(alerts).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
      expect(alerts).toContain('found by &lt;b&gt;bold&lt;/b&gt; probing')
    })

    it('dismisses with a verbatim note, requests a hold, and keeps four eyes on the approval', async () => {
      const lp = await signIn(app, fixture.tokens.lp)
      const top = await database.db
        .selectFrom('fraud_alerts')
        .select(['id', 'card_id'])
        .where('status', '=', 'open')
        .where('card_id', '!=', HTML_CARD)
        .orderBy('id')
        .limit(2)
        .execute()
      const [dismissMe, holdMe] = top
      if (!dismissMe || !holdMe) throw new Error('fixture has too few alerts')
      const tooLong = await post(app, `/dashboard/alerts/${dismissMe.id}/status`, lp, {
        csrf: lp.csrf,
        status: 'dismissed',
        note: 'x'.repeat(501),
      })
      expect(tooLong.status).toBe(400)
      expect(await tooLong.text()).toContain('note: a note is at most 500 characters')
      const note = 'Customer called <twice>; "refund" was legit — see ticket #88'
      const dismissed = await post(app, `/dashboard/alerts/${dismissMe.id}/status`, lp, {
        csrf: lp.csrf,
        status: 'dismissed',
        note,
      })
      expect(dismissed.status).toBe(200)
      expect(await dismissed.text()).toContain(`Alert #${dismissMe.id} dismissed.`)
      const stored = await database.db
        .selectFrom('fraud_alerts')
        .select(['status', 'note', 'updated_by'])
        .where('id', '=', dismissMe.id)
        .executeTakeFirstOrThrow()
      expect(stored).toEqual({ status: 'dismissed', note, updated_by: PEOPLE.lp })

      const hold = await post(app, `/dashboard/alerts/${holdMe.id}/hold`, lp, {
        csrf: lp.csrf,
        reason: 'same terminal as the card testing',
      })
      expect(hold.status).toBe(200)
      const approvalId = Number(/approval #(\d+)/.exec(await hold.text())?.[1])
      expect(approvalId).toBeGreaterThan(0)

      // The requester (loss prevention) sees no buttons and is refused if it posts anyway.
      expect(await (await get(app, '/dashboard/approvals', lp)).text()).not.toContain(
        `Approve #${approvalId}`,
      )
      const selfApproval = await post(app, `/dashboard/approvals/${approvalId}/decide`, lp, {
        csrf: lp.csrf,
        decision: 'approve',
      })
      expect(selfApproval.status).toBe(403)
      expect(await selfApproval.text()).toContain(
        'only a manager other than the requester can approve this',
      )

      const manager = await signIn(app, fixture.tokens.manager)
      const pending = await (await get(app, '/dashboard/approvals', manager)).text()
      expect(pending).toContain(`Approve #${approvalId}`)
      // The manager decides knowing the hold will not stop the card at the till (a demo card).
      expect(pending).toContain(
        'Ledger only: the card still works at the till; a redemption will raise an alert',
      )
      const approved = await post(app, `/dashboard/approvals/${approvalId}/decide`, manager, {
        csrf: manager.csrf,
        decision: 'approve',
        reason: 'ok',
      })
      expect(approved.status).toBe(200)
      expect(await approved.text()).toContain(
        `approval #${approvalId} approved by ${PEOPLE.manager}`,
      )
      const again = await post(app, `/dashboard/approvals/${approvalId}/decide`, manager, {
        csrf: manager.csrf,
        decision: 'approve',
      })
      expect(again.status).toBe(409)
      const holds = await database.db
        .selectFrom('card_holds')
        .select(['card_id', 'approval_id'])
        .where('approval_id', '=', approvalId)
        .execute()
      expect(holds).toEqual([{ card_id: holdMe.card_id, approval_id: approvalId }])
      // The card's page says what the hold does at the POS.
      const cardPage = await (
        await get(app, `/dashboard/cards?card=${encodeURIComponent(holdMe.card_id)}`, manager)
      ).text()
      expect(cardPage).toContain('<th>At the POS</th>')
      expect(cardPage).toContain(
        'ledger only: the card still works at the till; a redemption will raise an alert',
      )
      const decided = await database.db
        .selectFrom('audit_log')
        .select(['via', 'actor'])
        .where('action', '=', 'approval_decided')
        .where('approval_id', '=', approvalId)
        .execute()
      expect(decided).toEqual([{ via: 'dashboard', actor: PEOPLE.manager }])
      const missing = await post(app, '/dashboard/approvals/999999/decide', manager, {
        csrf: manager.csrf,
        decision: 'reject',
      })
      expect(missing.status).toBe(404)
    })

    it('ends the sessions of a revoked token', async () => {
      const session = await signIn(app, fixture.tokens.manager2)
      const id = await tokenId(database, PEOPLE.manager2)
      expect(await revokeToken(database, id ?? -1)).toBe(true)
      const after = await get(app, '/dashboard', session)
      expect(after.status).toBe(401)
      expect(await after.text()).toContain('its token was revoked')
    })
  })
}

async function tokenId(database: Database, actor: string): Promise<number | undefined> {
  const row = await database.db
    .selectFrom('api_tokens')
    .select('id')
    .where('actor_id', '=', actor)
    .executeTakeFirst()
  return row ? Number(row.id) : undefined
}
