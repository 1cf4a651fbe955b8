import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import { type Database, openDatabase } from '../../db/index.ts'
import { type DashboardFixture, setUpDashboard } from './fixture.ts'

/**
 * The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core.
 * Signs in through the form, opens every page (screenshots in test/artifacts/), checks each
 * chart drew marks, dismisses an alert as loss prevention, requests a hold as a manager, sees
 * that manager refused on their own request and another manager approve it; no console errors.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts')
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium)
  process.stderr.write(
    `test/dashboard/browser.test.ts: skipped, no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)\n`,
  )

describe.skipIf(!haveChromium)('the dashboard in chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-dashboard-browser-'))
  let database: Database
  let fixture: DashboardFixture
  let server: RunningServer
  let browser: Browser
  const consoleErrors: string[] = []

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    database = await openDatabase({ engine: 'sqlite', path: join(dir, 'ledger.db') })
    const [fx, launched] = await Promise.all([
      setUpDashboard(database),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] }),
    ])
    fixture = fx
    browser = launched
    server = await startServer(
      { database, config: loadConfig({ LOG_LEVEL: 'silent' }), listeners: [] },
      { port: 0, host: '127.0.0.1' },
    )
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await database?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A new browser context (its own cookies) signed in with `token` through the form. */
  async function signedIn(token: string, landing = '/dashboard'): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`)
    })
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`))
    // A first visit goes to the sign-in form, which comes back to the page asked for.
    await page.goto(`${server.url}${landing}`)
    await page.fill('#token', token)
    await Promise.all([
      page.waitForURL(`${server.url}${landing}`),
      page.click('button[type=submit]'),
    ])
    return page
  }

  /** Every chart drawn or saying it has no data. */
  const CHARTS_SETTLED = `[...document.querySelectorAll('[data-chart]')].every(
      (e) => e.dataset.state === 'drawn' || e.dataset.state === 'empty')`
  /** Each chart's name, state and how many marks its SVG drew. */
  const CHART_STATES = `[...document.querySelectorAll('[data-chart]')].map((e) => ({
      name: e.dataset.chart,
      state: e.dataset.state,
      marks: e.querySelectorAll('svg g.mark-rect path, svg g.mark-line path, svg g.mark-area path, svg g.mark-symbol path').length,
    }))`

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true })

  it('signs in, opens every page, acts as loss prevention and as two managers', async () => {
    const manager = await signedIn(fixture.tokens.manager)
    await expect(manager.locator('header .who span').textContent()).resolves.toBe(
      'mcp:mgr (manager)',
    )
    // The charts: each drawn with marks (none of the fixture's is empty).
    // Run in the page (strings: the test's TypeScript has no DOM types).
    await manager.waitForFunction(CHARTS_SETTLED, undefined, { timeout: 15_000 })
    const charts = (await manager.evaluate(CHART_STATES)) as {
      name: string
      state: string
      marks: number
    }[]
    expect(charts.map((c) => c.name).sort()).toEqual([
      'alerts-by-rule',
      'forecast',
      'liability-by-state',
      'liability-trend',
      'redemptions-by-month',
    ])
    await shot(manager, 'overview')
    for (const c of charts) {
      expect(c.state, c.name).toBe('drawn')
      expect(c.marks, c.name).toBeGreaterThan(0)
    }
    const pages = {
      alerts: '/dashboard/alerts',
      approvals: '/dashboard/approvals',
      cards: '/dashboard/cards',
      campaigns: '/dashboard/campaigns',
      escheatment: '/dashboard/escheatment?horizonMonths=120',
      audit: '/dashboard/audit',
    }
    for (const [name, path] of Object.entries(pages)) {
      await manager.goto(`${server.url}${path}`)
      await expect(manager.locator('h1').textContent()).resolves.toBe(
        name[0]?.toUpperCase() + name.slice(1),
      )
      if (name === 'cards') {
        // Look a card up through the form: its facts and its timeline.
        await manager.fill('input[name=card]', fixture.busyCard)
        await manager.click('form.filters button')
        await expect(manager.locator('main h2').first().textContent()).resolves.toBe(
          fixture.busyCard,
        )
        expect(
          await manager.locator('section:has(h2:text("Timeline")) tbody tr').count(),
        ).toBeGreaterThan(3)
      }
      await shot(manager, name)
    }
    await manager.goto(`${server.url}/dashboard/audit`)
    await expect(manager.locator('.notice').first().textContent()).resolves.toMatch(/^Verified/)

    // Loss prevention dismisses the top alert with a note, kept verbatim.
    const lp = await signedIn(fixture.tokens.lp, '/dashboard/alerts')
    await lp.click('tbody tr:nth-child(2) td a')
    await lp.fill('textarea[name=note]', 'Checked with the store: a real customer.')
    await lp.click('button[value=dismissed]')
    await expect(lp.locator('.notice.done').textContent()).resolves.toMatch(/dismissed\.$/)
    await expect(lp.locator('#evidence').textContent()).resolves.toContain(
      'Checked with the store: a real customer.',
    )
    await shot(lp, 'alert-dismissed')

    // A manager requests a hold, is refused on their own request, another manager approves.
    await manager.goto(`${server.url}/dashboard/alerts`)
    await manager.click('tbody tr:nth-child(3) td a')
    await manager.fill('input[name=reason]', 'same terminal as the card testing')
    await manager.click('#evidence form:last-of-type button')
    const requested = (await manager.locator('.notice.done').textContent()) ?? ''
    const approvalId = /approval #(\d+)/.exec(requested)?.[1]
    expect(approvalId).toBeDefined()
    await manager.goto(`${server.url}/dashboard/approvals?status=pending`)
    await manager.click(`button:text("Approve #${approvalId}")`)
    await expect(manager.locator('.notice.refused').textContent()).resolves.toContain(
      'only a manager other than the requester can approve this',
    )
    await shot(manager, 'approval-refused')
    const other = await signedIn(fixture.tokens.manager2, '/dashboard/approvals?status=pending')
    await other.fill(`input[aria-label="reason for #${approvalId}"]`, 'confirmed with LP')
    await other.click(`button:text("Approve #${approvalId}")`)
    await expect(other.locator('.notice.done').textContent()).resolves.toContain(
      `approval #${approvalId} approved by mcp:mgr2`,
    )
    await shot(other, 'approval-approved')

    // The one error expected: the browser logs the 403 of the refused self-approval.
    expect(
      consoleErrors.filter(
        (e) =>
          !e.includes(
            `/dashboard/approvals/${approvalId}/decide: Failed to load resource: the server responded with a status of 403`,
          ),
      ),
    ).toEqual([])
  }, 60_000)
})
