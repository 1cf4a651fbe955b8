import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { html } from 'hono/html'
import type { z } from 'zod'
import { describeError, isGiftCardError, type Logger } from '../core/index.ts'
import { type ApprovalService, canDecideApprovals } from '../governance/index.ts'
import { mayUse, type ToolExecutor, type ToolOutcome } from '../tools/index.ts'
import { assetRoutes } from './assets.ts'
import {
  type AuthOptions,
  type DashboardEnv,
  formOf,
  requireViewer,
  signIn,
  signInPage,
  signOut,
} from './auth.ts'
import { chartRoutes } from './charts.ts'
import { layout, PAGES, type PageView, refusal } from './html.ts'
import { type PageContext, type PageResult, type PageStatus, statusOf } from './page.ts'
import { alertsPage } from './pages/alerts.ts'
import { approvalsPage } from './pages/approvals.ts'
import { auditPage } from './pages/audit.ts'
import { campaignsPage } from './pages/campaigns.ts'
import { cardsPage } from './pages/cards.ts'
import { escheatmentCsv, escheatmentInput, escheatmentPage } from './pages/escheatment.ts'
import { forecastFragment, overviewPage } from './pages/overview.ts'
import {
  alertStatusForm,
  alertsQuery,
  approvalsQuery,
  auditQuery,
  campaignsQuery,
  cardsQuery,
  decisionForm,
  escheatmentQuery,
  firstIssue,
  holdForm,
  rowId,
} from './query.ts'
import { securityHeaders } from './security.ts'

export type DashboardDeps = AuthOptions & {
  executor: ToolExecutor
  /** The approval service Slack and the CLI decide with (four-eyes, exactly once). */
  approvals: ApprovalService
  frameAncestors: readonly string[]
  logger: Logger
}

type Notice = PageView['notice']

/**
 * `/dashboard` (docs/dashboard.md): sign-in, the seven pages, their forms and the assets the
 * charts need, all behind the session (or a Bearer token) and the security headers.
 */
export function dashboardRoutes(deps: DashboardDeps): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>()
  // '/dashboard/*' matches '/dashboard' itself too.
  app.use('/dashboard/*', securityHeaders(deps.frameAncestors))
  app.use(
    '/dashboard/*',
    bodyLimit({
      maxSize: 32 * 1024,
      onError: (c) => c.text('Refused: the form is too large.', 413),
    }),
  )
  app.onError((err, c) => {
    const id = crypto.randomUUID()
    deps.logger.error(
      { requestId: id, path: c.req.path, err: describeError(err) },
      'dashboard request failed',
    )
    return c.html(
      html`<!doctype html><title>Error</title><p>Something went wrong on our side; nothing was changed by this page. The error is in the server log (request ${id}).</p><p><a href="/dashboard">Back to the overview</a></p>`,
      500,
    )
  })

  app.get('/dashboard/sign-in', (c) => signInPage(c, deps, null, 200))
  app.post('/dashboard/sign-in', (c) => signIn(c, deps))

  const guard = requireViewer(deps)
  app.use('/dashboard/*', async (c, next) =>
    c.req.path === '/dashboard/sign-in' ? next() : guard(c, next),
  )

  app.post('/dashboard/sign-out', (c) => signOut(c, deps))
  app.route('/dashboard/assets', assetRoutes())

  const contextOf = (c: Context<DashboardEnv>): PageContext => {
    const { actor, csrfToken } = c.get('viewer')
    return {
      actor,
      csrfToken,
      run: (tool, input) => deps.executor.call(tool, input, { actor, via: 'dashboard' }),
      may: (tool) => {
        const found = deps.executor.tools.find((t) => t.name === tool)
        return found !== undefined && mayUse(actor.role, found)
      },
      canDecide: canDecideApprovals(actor.role),
    }
  }

  const render = (
    c: Context<DashboardEnv>,
    path: string,
    result: PageResult,
    notice?: Notice,
    status?: PageStatus,
  ) => {
    const ctx = contextOf(c)
    const page = PAGES.find((p) => p.path === path)
    const view: PageView = {
      title: page?.title ?? 'Dashboard',
      path,
      actor: ctx.actor,
      csrfToken: ctx.csrfToken ?? '',
      nonce: c.get('nonce'),
      visible: new Set(PAGES.filter((p) => ctx.may(p.tool)).map((p) => p.path)),
      ...(notice ? { notice } : {}),
      ...(result.charts ? { charts: true } : {}),
    }
    return c.html(layout(view, result.body), status ?? result.status ?? 200)
  }

  /** A query string checked by its schema; a bad one is a 400 page naming the field. */
  const parsed = <S extends z.ZodType>(c: Context<DashboardEnv>, schema: S, path: string) => {
    const result = schema.safeParse(c.req.query())
    if (result.success) return { query: result.data as z.infer<S> }
    const error = { code: 'INVALID_INPUT', message: firstIssue(result.error) }
    return { refused: render(c, path, { body: refusal(error), status: 400 }) }
  }

  app.get('/dashboard', async (c) => render(c, '/dashboard', await overviewPage(contextOf(c))))
  app.get('/dashboard/overview/forecast', async (c) => {
    const result = await forecastFragment(contextOf(c))
    return c.html(result.body, result.status ?? 200)
  })

  app.get('/dashboard/alerts', async (c) => {
    const q = parsed(c, alertsQuery, '/dashboard/alerts')
    if (!q.query) return q.refused
    return render(c, '/dashboard/alerts', await alertsPage(contextOf(c), q.query))
  })
  /** An alert form that did not parse: the alerts page again, saying what was wrong. */
  const badAlertForm = async (c: Context<DashboardEnv>, form: z.ZodSafeParseResult<unknown>) =>
    render(
      c,
      '/dashboard/alerts',
      await alertsPage(contextOf(c), {}),
      refused(form.success ? 'no such alert' : firstIssue(form.error)),
      400,
    )
  /** A tool an alert form ran: its refusal with its status, or what it did, on `page`. */
  const alertOutcome = (
    c: Context<DashboardEnv>,
    page: PageResult,
    outcome: ToolOutcome,
    said: (data: unknown) => string,
  ) =>
    outcome.ok
      ? render(c, '/dashboard/alerts', page, done(said(outcome.data)))
      : render(
          c,
          '/dashboard/alerts',
          page,
          refused(`${outcome.error.code}: ${outcome.error.message}`),
          statusOf(outcome.error.code),
        )

  app.post('/dashboard/alerts/:id/status', async (c) => {
    const ctx = contextOf(c)
    const id = rowId.safeParse(c.req.param('id'))
    const form = alertStatusForm.safeParse(await formOf(c))
    if (!id.success || !form.success) return badAlertForm(c, form)
    const note =
      form.data.note === undefined || form.data.note === '' ? {} : { note: form.data.note }
    const outcome = await ctx.run('update_fraud_alert', {
      alertId: id.data,
      status: form.data.status,
      ...note,
    })
    const page = await alertsPage(ctx, { alert: id.data, status: form.data.status })
    return alertOutcome(c, page, outcome, () => `Alert #${id.data} ${form.data.status}.`)
  })
  app.post('/dashboard/alerts/:id/hold', async (c) => {
    const ctx = contextOf(c)
    const id = rowId.safeParse(c.req.param('id'))
    const form = holdForm.safeParse(await formOf(c))
    if (!id.success || !form.success) return badAlertForm(c, form)
    const reason = form.data.reason ? { reason: form.data.reason } : {}
    const outcome = await ctx.run('place_card_hold', { alertId: id.data, ...reason })
    const page = await alertsPage(ctx, { alert: id.data })
    return alertOutcome(c, page, outcome, (data) => {
      const pending = data as { approvalId: number; summary: string }
      return `Hold requested: approval #${pending.approvalId} (${pending.summary}). A manager other than you decides it.`
    })
  })

  app.get('/dashboard/approvals', async (c) => {
    const q = parsed(c, approvalsQuery, '/dashboard/approvals')
    if (!q.query) return q.refused
    return render(c, '/dashboard/approvals', await approvalsPage(contextOf(c), q.query.status))
  })
  app.post('/dashboard/approvals/:id/decide', async (c) => {
    const ctx = contextOf(c)
    const id = rowId.safeParse(c.req.param('id'))
    const form = decisionForm.safeParse(await formOf(c))
    if (!id.success || !form.success)
      return render(
        c,
        '/dashboard/approvals',
        await approvalsPage(ctx, undefined),
        refused('choose approve or reject (a reason is at most 500 characters)'),
        400,
      )
    let notice: Notice
    let status: PageStatus = 200
    try {
      const decision = await deps.approvals.decide(id.data, {
        actor: ctx.actor,
        via: 'dashboard',
        decision: form.data.decision,
        reason: form.data.reason ? form.data.reason : null,
      })
      notice = decision.changed ? done(decision.message) : refused(decision.message)
      if (!decision.changed) status = 409
    } catch (err) {
      if (!isGiftCardError(err)) throw err
      notice = refused(`${err.code}: ${err.message}`)
      status = err.code === 'NOT_FOUND' ? 404 : 403
    }
    return render(c, '/dashboard/approvals', await approvalsPage(ctx, undefined), notice, status)
  })

  app.get('/dashboard/cards', async (c) => {
    const q = parsed(c, cardsQuery, '/dashboard/cards')
    if (!q.query) return q.refused
    return render(c, '/dashboard/cards', await cardsPage(contextOf(c), q.query.card))
  })
  app.get('/dashboard/campaigns', async (c) => {
    const q = parsed(c, campaignsQuery, '/dashboard/campaigns')
    if (!q.query) return q.refused
    return render(c, '/dashboard/campaigns', await campaignsPage(contextOf(c), q.query.status))
  })
  app.get('/dashboard/escheatment', async (c) => {
    const q = parsed(c, escheatmentQuery, '/dashboard/escheatment')
    if (!q.query) return q.refused
    return render(c, '/dashboard/escheatment', await escheatmentPage(contextOf(c), q.query))
  })
  app.get('/dashboard/escheatment.csv', async (c) => {
    const q = escheatmentQuery.safeParse(c.req.query())
    if (!q.success) return c.text(`Refused: ${firstIssue(q.error)}`, 400)
    const outcome = await contextOf(c).run('escheatment_report', escheatmentInput(q.data))
    if (!outcome.ok) return c.text(`Refused: ${outcome.error.code}: ${outcome.error.message}`, 403)
    return c.body(escheatmentCsv(outcome.data), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="escheatment.csv"',
    })
  })
  app.get('/dashboard/audit', async (c) => {
    const q = parsed(c, auditQuery, '/dashboard/audit')
    if (!q.query) return q.refused
    return render(c, '/dashboard/audit', await auditPage(contextOf(c), q.query))
  })

  chartRoutes(app, contextOf)
  return app
}

const done = (text: string): Notice => ({ kind: 'done', text })
const refused = (text: string): Notice => ({ kind: 'refused', text })
