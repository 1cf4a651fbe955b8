import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createFraudListener } from '../analytics/index.ts'
import type { Config, Logger } from '../core/index.ts'
import { type Database, ledgerWatermark } from '../db/index.ts'
import {
  type EventListener,
  genericSource,
  Inbox,
  shopifySource,
  squareSource,
  type WebhookSource,
  webhookRoutes,
} from '../ingest/index.ts'
import { mcpRoutes } from '../mcp-server/index.ts'
import { createToolkit, type Toolkit } from '../tools/index.ts'

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
  return sources
}

export type AppServices = {
  database: Database
  config: Config
  logger?: Logger
  listeners?: readonly EventListener[]
  /** The tools behind /mcp (and Slack); made from the database and config when not given. */
  toolkit?: Toolkit
}

/**
 * The one HTTP app of `giftcards serve`: health, webhooks and /mcp (and, when its issue
 * lands, /slack/events). Returns the app and its inbox.
 */
export function buildApp(services: AppServices): { app: Hono; inbox: Inbox } {
  const sources = configuredSources(services.config)
  // The streaming fraud detector listens to every applied event unless the caller says otherwise.
  const listeners = services.listeners ?? [
    createFraudListener(services.database, services.logger ? { logger: services.logger } : {}),
  ]
  const inbox = new Inbox(services.database, sources, listeners, services.logger)
  const app = new Hono()
  app.get('/healthz', async (c) => {
    const watermark = await ledgerWatermark(services.database.db)
    return c.json({
      status: 'ok',
      engine: services.database.engine,
      watermark,
      webhooks: sources.map((s) => s.name),
    })
  })
  app.route('/', webhookRoutes(inbox, sources))
  const toolkit =
    services.toolkit ??
    createToolkit(
      services.database,
      services.config,
      services.logger ? { logger: services.logger } : {},
    )
  app.route(
    '/',
    mcpRoutes({
      database: services.database,
      executor: toolkit.executor,
      allowedHosts: services.config.mcp.allowedHosts,
    }).app,
  )
  return { app, inbox }
}

export type RunningServer = { url: string; close(): Promise<void> }

/**
 * Applies what a crash left pending in the inbox, then listens. Port 0 picks a free port.
 */
export async function startServer(
  services: AppServices,
  listen: { port: number; host: string },
): Promise<RunningServer> {
  const { app, inbox } = buildApp(services)
  const recovered = await inbox.replay()
  if (recovered.processed + recovered.failed > 0)
    services.logger?.info(recovered, 'applied deliveries left pending')
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: listen.port, hostname: listen.host }, () =>
      resolve(s),
    )
  })
  const { port } = server.address() as AddressInfo
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
