import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { BaseMessage } from '@langchain/core/messages'
import { HTTPReceiver, LogLevel } from '@slack/bolt'
import { Hono } from 'hono'
import type { Agent } from '../agent/index.ts'
import { createFraudListener, upsellModelOf } from '../analytics/index.ts'
import { checkoutRoutes } from '../checkout/index.ts'
import { type Config, createLogger, describeError, type Logger } from '../core/index.ts'
import { dashboardRoutes } from '../dashboard/index.ts'
import { type Database, ledgerWatermark } from '../db/index.ts'
import {
  authenticateToken,
  endDashboardSession,
  findDashboardSession,
  openDashboardSession,
  pilotCardFilter,
  pruneDashboardSessions,
  type Resumer,
} from '../governance/index.ts'
import {
  CloverClient,
  cloverSource,
  cloverWebhookRoutes,
  type EventListener,
  genericSource,
  Inbox,
  internalError,
  loadCloverCards,
  type RequestIdEnv,
  shopifySource,
  squareSource,
  tagRequest,
  type WebhookSource,
  webhookRoutes,
} from '../ingest/index.ts'
import { mcpRoutes } from '../mcp-server/index.ts'
import { createSlackApp, refuseSkewedSlackRequests, type SlackApp } from '../slack-app/index.ts'
import { createToolkit, ledgerFreshness, type Toolkit } from '../tools/index.ts'
import { openAgent } from './agent.ts'
import { autoHoldSweeper } from './auto-hold.ts'
import { LedgerFraudStream } from './fraud-stream.ts'
import { InstanceCoordinator } from './instances.ts'
import { Scheduler, slackPoster } from './jobs/index.ts'
import { slackDeps } from './slack-store.ts'

/** The webhook sources whose secrets are configured. */
export function configuredSources(config: Config): WebhookSource[] {
  const sources: WebhookSource[] = []
  const { square, shopify, generic } = config
  if (square.webhookSignatureKey && square.webhookUrl) {
    sources.push(
      squareSource({
        signatureKey: square.webhookSignatureKey,
        notificationUrl: square.webhookUrl,
      }),
    )
  }
  if (shopify.webhookSecret) sources.push(shopifySource({ secret: shopify.webhookSecret }))
  if (generic.webhookSecret) sources.push(genericSource({ secret: generic.webhookSecret }))
  if (config.clover.webhookAuthCode)
    sources.push(
      cloverSource({ authCode: config.clover.webhookAuthCode, currency: config.clover.currency }),
    )
  return sources
}

export type AppServices = {
  database: Database
  config: Config
  logger?: Logger
  listeners?: readonly EventListener[]
  /** The tools behind /mcp (and Slack); made from the database and config when not given. */
  toolkit?: Toolkit
  /** Called with each alert the streaming detector stores (Slack posts them). */
  onAlert?: () => void
  /** Sees every message list the Slack agent's model is shown (evals check it for PII). */
  inspect?: (messages: readonly BaseMessage[]) => void
  /** This process among the others on the database (startServer makes it; /healthz reports it). */
  instances?: InstanceCoordinator
  /** PostgreSQL: the leader's fraud stream over the ledger, in place of the in-process listener. */
  stream?: LedgerFraudStream
}

/**
 * The one HTTP app of `giftcards serve`: health, webhooks, the POS checkout endpoint and /mcp
 * (/slack/events goes to Bolt's receiver, see startServer). Returns the app and its inbox.
 */
export function buildApp(services: AppServices & { toolkit: Toolkit }): {
  app: Hono<RequestIdEnv>
  inbox: Inbox
} {
  const sources = configuredSources(services.config)
  // The streaming fraud detector listens to every applied event unless the caller says otherwise;
  // under a pilot it raises alerts on the pilot's cards only (docs/pilot.md).
  const keepCards = pilotCardFilter(services.database, services.config.pilot)
  // With a ledger stream (PostgreSQL, docs/concurrency.md) the leader scores every instance's events.
  const listeners = services.listeners ?? [
    ...(services.stream
      ? []
      : [
          createFraudListener(services.database, {
            ...(keepCards ? { keepCards } : {}),
            ...(services.logger ? { logger: services.logger } : {}),
            ...(services.onAlert ? { onAlert: services.onAlert } : {}),
          }),
        ]),
  ]
  const inbox = new Inbox(services.database, sources, listeners, services.logger, {
    piiKey: services.config.piiTokenKey,
    maxEventCents: services.config.ingest.maxEventCents,
  })
  const logger = services.logger ?? createLogger()
  const app = new Hono<RequestIdEnv>()
  // Every request gets an id; an error no route handled is a generic 500 naming it, and the
  // error goes to the log, never to the client (docs/concurrency.md).
  app.use(tagRequest())
  app.onError((err, c) => internalError(c, err, logger))
  app.get('/healthz', async (c) => {
    const watermark = await ledgerWatermark(services.database.db)
    // Per source: newest event and receipt, lag, stale flag (docs/reconciliation.md). Index
    // probes only; the server stays "ok" when a feed is stale (the feed is what to look at).
    const freshness = await ledgerFreshness(services.database, services.config)
    return c.json({
      status: 'ok',
      engine: services.database.engine,
      watermark,
      webhooks: sources.map((s) => s.name),
      freshness,
      ...(services.instances ? { instance: await services.instances.status() } : {}),
      ...(services.stream ? { fraudStream: await services.stream.status() } : {}),
    })
  })
  // Clover's notifications only name objects: its own route fetches them before the inbox.
  const clover = sources.find((s) => s.name === 'clover')
  if (clover)
    app.route(
      '/',
      cloverWebhookRoutes({
        database: services.database,
        inbox,
        source: clover,
        client: new CloverClient({ ...services.config.clover, logger }),
        cards: loadCloverCards(services.config.clover.giftCardsFile),
        logger,
      }),
    )
  app.route(
    '/',
    webhookRoutes(inbox, sources, logger, {
      maxEventCents: services.config.ingest.maxEventCents,
    }),
  )
  app.route(
    '/',
    checkoutRoutes({
      database: services.database,
      model: upsellModelOf(services.database),
      secret: services.config.generic.webhookSecret,
      pilot: services.config.pilot,
      logger,
    }),
  )
  const { toolkit } = services
  app.route(
    '/',
    mcpRoutes({
      authenticate: (token) => authenticateToken(services.database, token),
      executor: toolkit.executor,
      allowedHosts: services.config.mcp.allowedHosts,
      limits: {
        maxPerToken: services.config.mcp.maxSessionsPerToken,
        idleSeconds: services.config.mcp.sessionIdleSeconds,
      },
    }).app,
  )
  // The dashboard signs people in with the same tokens as /mcp (docs/dashboard.md).
  const { dashboard } = services.config
  app.route(
    '/',
    dashboardRoutes({
      executor: toolkit.executor,
      approvals: toolkit.approvals,
      authenticate: (token) => authenticateToken(services.database, token),
      sessions: {
        open: async (token) => {
          await pruneDashboardSessions(services.database)
          return openDashboardSession(services.database, token, dashboard.sessionHours)
        },
        find: (id) => findDashboardSession(services.database, id),
        end: (id) => endDashboardSession(services.database, id),
      },
      sessionHours: dashboard.sessionHours,
      secureCookie: dashboard.secureCookie,
      frameAncestors: dashboard.frameAncestors,
      logger,
    }),
  )
  return { app, inbox }
}

export type RunningServer = {
  url: string
  /** The Slack app, when SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set. */
  slack?: SlackApp
  /** The scheduled jobs (docs/jobs.md), when started with `jobs: true`. */
  scheduler?: Scheduler
  close(): Promise<void>
}

/**
 * Executes the approved requests a stopped process left unexecuted, each exactly once, and logs
 * each (docs/approvals.md). Every long-running face calls it as it starts.
 */
export async function resumeLeftApprovals(
  toolkit: Toolkit,
  by: Resumer,
  logger?: Logger,
): Promise<void> {
  try {
    for (const { approval, error } of await toolkit.approvals.resumeApproved(by)) {
      const fields = { approvalId: approval.id, status: approval.status }
      if (error) logger?.warn({ ...fields, err: error }, 'could not resume an approved request')
      else logger?.info(fields, 'resumed an approved request left unexecuted')
    }
  } catch (err) {
    logger?.warn({ err: describeError(err) }, 'could not look for approved requests to resume')
  }
}

/** How often approval requests and alerts made elsewhere are posted to Slack. */
const SLACK_PUBLISH_MS = 10_000

/**
 * Applies what a crash left pending in the inbox, then listens. Port 0 picks a free port.
 * With SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN, Slack's requests to /slack/events go to Bolt's
 * own HTTP receiver (its signature check, retry handling and acks); everything else to Hono.
 */
export async function startServer(
  services: AppServices,
  listen: { port: number; host: string },
  options: {
    /** Run the scheduled jobs (`giftcards serve` does; tests of the HTTP face do not). */
    jobs?: boolean
    /** The scheduler's clock (tests). */
    now?: () => Date
  } = {},
): Promise<RunningServer> {
  const { config, database, logger } = services
  const toolkit = services.toolkit ?? createToolkit(database, config, logger ? { logger } : {})
  const { signingSecret, botToken } = config.slack
  let slack: SlackApp | undefined
  let agent: Agent | undefined
  let receiver: HTTPReceiver | undefined
  let publishing: Promise<unknown> = Promise.resolve()
  // One instance leads: it alone posts to Slack, sweeps for auto-holds and (PostgreSQL) scores
  // the ledger's events for fraud (docs/concurrency.md, "Many instances, one database").
  const instances = await InstanceCoordinator.start(database, logger ? { logger } : {})
  const publish = () => {
    if (!instances.isLeader) return publishing
    publishing = publishing
      .then(() =>
        Promise.all([
          slack?.publishPendingApprovals(),
          slack?.publishNewAlerts(),
          slack?.syncDecidedApprovals(),
        ]),
      )
      .catch((err) => logger?.warn({ err: describeError(err) }, 'could not post to Slack'))
    return publishing
  }
  if (signingSecret && botToken) {
    agent = await openAgent(database, config, {
      toolkit,
      ...(logger ? { logger } : {}),
      ...(services.inspect ? { inspect: services.inspect } : {}),
    })
    receiver = new HTTPReceiver({
      signingSecret,
      endpoints: '/slack/events',
      processBeforeResponse: false,
      logLevel: LogLevel.ERROR,
    })
    slack = createSlackApp(slackDeps(database, config, agent, logger), { receiver })
  }
  // Alerts above AUTO_HOLD_MIN_SCORE file hold requests (docs/fraud-cases.md), after Slack's post.
  const sweep = autoHoldSweeper(
    { database, toolkit, minScore: config.fraud.autoHoldMinScore },
    logger,
  )
  const onAlert =
    slack || config.fraud.autoHoldMinScore !== undefined
      ? () => {
          if (slack) void publish()
          sweep()
        }
      : undefined
  const keepCards = pilotCardFilter(database, config.pilot)
  const stream =
    database.engine === 'postgres' && !services.listeners
      ? new LedgerFraudStream(database, {
          instanceId: instances.id,
          ...(logger ? { logger } : {}),
          ...(keepCards ? { keepCards } : {}),
          ...(onAlert ? { onAlert } : {}),
        })
      : undefined
  const { app, inbox } = buildApp({
    ...services,
    toolkit,
    instances,
    ...(stream ? { stream } : {}),
    ...(onAlert ? { onAlert } : {}),
  })
  instances.onLeadership((leading) => {
    stream?.setLeading(leading)
    if (leading && slack) void publish()
  })
  // The checkout endpoint answers within a sale: read its model now, not on the first checkout.
  if (config.generic.webhookSecret)
    void upsellModelOf(database)
      .get()
      .catch((err) => logger?.warn({ err: describeError(err) }, 'could not load the upsell model'))
  const recovered = await inbox.replay()
  if (recovered.processed + recovered.failed > 0)
    logger?.info(recovered, 'applied deliveries left pending')
  // Approvals a stopped process left approved run in the background: a slow action (a launch)
  // must not keep the webhooks down.
  const resuming = resumeLeftApprovals(
    toolkit,
    { id: 'system:serve', role: null, via: 'http' },
    logger,
  )
  const hono = getRequestListener(app.fetch)
  const slackListener = receiver && refuseSkewedSlackRequests(receiver.requestListener)
  const server = createServer((req, res) => {
    if (slackListener && req.url?.startsWith('/slack/')) return slackListener(req, res)
    return hono(req, res)
  })
  await new Promise<void>((resolve) => server.listen(listen.port, listen.host, resolve))
  const timer = slack ? setInterval(() => void publish(), SLACK_PUBLISH_MS) : undefined
  timer?.unref()
  // The jobs run beside the server; the catch-up of a missed slot runs in the background so a
  // long refit never keeps the webhooks down (docs/jobs.md).
  const poster = slackPoster(config)
  const scheduler = options.jobs
    ? new Scheduler(
        {
          database,
          config,
          toolkit,
          ...(logger ? { logger } : {}),
          ...(poster ? { slack: poster } : {}),
          ...(slack ? { publishAlerts: publish } : {}),
        },
        { via: 'http', ...(options.now ? { now: options.now } : {}) },
      )
    : undefined
  const starting = scheduler
    ?.start()
    .then((outcomes) => {
      for (const o of outcomes) logger?.info(o, 'caught up a scheduled job')
    })
    .catch((err) => logger?.warn({ err: describeError(err) }, 'could not start scheduled jobs'))
  const { port } = server.address() as AddressInfo
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host
  return {
    url: `http://${host}:${port}`,
    ...(slack ? { slack } : {}),
    ...(scheduler ? { scheduler } : {}),
    close: async () => {
      if (timer) clearInterval(timer)
      await starting
      await scheduler?.stop()
      await stream?.stop()
      await instances.stop()
      await resuming
      await publishing
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      })
      await agent?.close()
    },
  }
}
