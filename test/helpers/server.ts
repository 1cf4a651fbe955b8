import { type RunningServer, startServer } from '../../app/index.ts'
import { loadConfig } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import type { EventListener } from '../../ingest/index.ts'

/** Secrets the test servers use; tests sign with the same ones. */
export const SECRETS = {
  squareKey: 'square-test-signature-key',
  squareUrl: 'https://giftcards.example.com/webhooks/square',
  shopify: 'shopify-test-secret',
  generic: 'generic-test-secret',
}

/** A real server on 127.0.0.1 (a free port) over the given database, with every source configured. */
export async function startTestServer(
  database: Database,
  listeners: EventListener[] = [],
): Promise<RunningServer> {
  const config = loadConfig({
    SQUARE_WEBHOOK_SIGNATURE_KEY: SECRETS.squareKey,
    SQUARE_WEBHOOK_URL: SECRETS.squareUrl,
    SHOPIFY_WEBHOOK_SECRET: SECRETS.shopify,
    GENERIC_WEBHOOK_SECRET: SECRETS.generic,
  })
  return startServer({ database, config, listeners }, { port: 0, host: '127.0.0.1' })
}
