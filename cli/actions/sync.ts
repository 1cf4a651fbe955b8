import { z } from 'zod'
import { centsToMajor, createLogger, GiftCardError } from '../../core/index.ts'
import {
  CloverClient,
  loadCloverCards,
  syncCloverBalances,
  syncLightspeed,
  syncLightspeedR,
  syncShopifyLocations,
  syncSquare,
  syncSquareMasterData,
} from '../../ingest/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { Flags } from '../flags.ts'
import { dateOption, intOption, parseOptions } from '../options.ts'

const lightspeedOptions = z.object({
  series: z.enum(['x', 'r'], { error: 'must be x or r' }).default('x'),
  pageSize: intOption(1, 200).default(200),
  json: z.boolean().default(false),
})

const cloverOptions = z.object({
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
})

const syncOptions = z.object({
  pageSize: intOption(1, 100).default(100),
  since: dateOption.optional(),
  json: z.boolean().default(false),
})

export async function runSyncSquare(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(syncOptions, raw)
  const context = ctx()
  const { square } = context.config
  if (!square.accessToken)
    throw new GiftCardError('CONFIG_INVALID', 'SQUARE_ACCESS_TOKEN must be set to sync with Square')
  const logger = createLogger(context.config.logLevel)
  const connection = {
    baseUrl: square.baseUrl,
    accessToken: square.accessToken as string,
    apiVersion: square.apiVersion,
    logger,
    piiKey: context.config.piiTokenKey,
  }
  const { masterData, report } = await withDatabase(context, async (database) => {
    // Stores and customers first, so the activities meet their stores known.
    const masterData = await syncSquareMasterData(database, connection)
    const report = await syncSquare(database, {
      ...connection,
      pageSize: options.pageSize,
      ...(options.since ? { since: new Date(options.since).toISOString() } : {}),
      maxEventCents: context.config.ingest.maxEventCents,
    })
    return { masterData, report }
  })
  const changed = (c: { inserted: number; updated: number }) => c.inserted + c.updated
  console.log(
    options.json
      ? JSON.stringify({ ...report, masterData }, null, 2)
      : [
          `Synced Square: ${report.activities} activities in ${report.pages} pages, ${report.applied} applied, ${report.duplicates} already in the ledger, ${report.skipped} skipped, ${report.retries} retries; up to ${report.lastEventAt ?? '(nothing yet)'}`,
          `  ${masterData.locations.read} locations (${changed(masterData.locations)} changed, ${masterData.locations.skipped} skipped), ${masterData.customers.read} customers (${changed(masterData.customers)} changed, ${masterData.customers.skipped} skipped)`,
        ].join('\n'),
  )
}

export async function runSyncShopify(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(z.object({ json: z.boolean().default(false) }), raw)
  const context = ctx()
  const { admin } = context.config.shopify
  if (!admin)
    throw new GiftCardError(
      'CONFIG_INVALID',
      'SHOPIFY_SHOP_DOMAIN (or SHOPIFY_ADMIN_BASE_URL) and SHOPIFY_ADMIN_ACCESS_TOKEN must be set to read Shopify locations',
    )
  const report = await withDatabase(context, (database) =>
    syncShopifyLocations(database, { ...admin, logger: createLogger(context.config.logLevel) }),
  )
  console.log(
    options.json
      ? JSON.stringify(report, null, 2)
      : `Synced Shopify locations: ${report.read} read in ${report.pages} pages, ${report.inserted + report.updated} changed (${report.inserted} new, ${report.updated} updated, ${report.enriched} of them stubs filled in), ${report.unchanged} unchanged, ${report.skipped} skipped, ${report.retries} retries`,
  )
}

export async function runSyncLightspeed(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(lightspeedOptions, raw)
  const context = ctx()
  const { lightspeed } = context.config
  const logger = createLogger(context.config.logLevel)
  if (options.series === 'r') {
    const r = lightspeed.rSeries
    if (!r.accountId || !r.accessToken)
      throw new GiftCardError(
        'CONFIG_INVALID',
        'LIGHTSPEED_R_ACCOUNT_ID and LIGHTSPEED_R_ACCESS_TOKEN must be set to sync with Lightspeed R-Series',
      )
    const report = await withDatabase(context, (database) =>
      syncLightspeedR(database, {
        baseUrl: r.baseUrl,
        accountId: r.accountId as string,
        accessToken: r.accessToken as string,
        currency: lightspeed.currency,
        logger,
      }),
    )
    console.log(
      options.json
        ? JSON.stringify(report, null, 2)
        : `Synced Lightspeed R-Series: ${report.payments} sale payments in ${report.pages} pages (${report.giftCardPayments} with gift cards), ${report.applied} applied, ${report.duplicates} already in the ledger, ${report.skipped} skipped, ${report.retries} retries; up to ${report.lastEventAt ?? '(nothing yet)'}`,
    )
    return
  }
  if (!lightspeed.baseUrl || !lightspeed.accessToken)
    throw new GiftCardError(
      'CONFIG_INVALID',
      'LIGHTSPEED_DOMAIN_PREFIX (or LIGHTSPEED_BASE_URL) and LIGHTSPEED_ACCESS_TOKEN must be set to sync with Lightspeed',
    )
  const report = await withDatabase(context, (database) =>
    syncLightspeed(database, {
      baseUrl: lightspeed.baseUrl as string,
      accessToken: lightspeed.accessToken as string,
      currency: lightspeed.currency,
      pageSize: options.pageSize,
      logger,
    }),
  )
  console.log(
    options.json
      ? JSON.stringify(report, null, 2)
      : `Synced Lightspeed: ${report.sales} sales (${report.giftCardSales} with gift cards) up to version ${report.salesVersionTo}, ${report.cards} gift cards with ${report.transactions} transactions, ${report.applied} applied, ${report.duplicates} already in the ledger, ${report.skipped} skipped, ${report.retries} retries${report.resumedWalk ? ' (resumed an interrupted sync)' : ''}; up to ${report.lastEventAt ?? '(nothing yet)'}`,
  )
}

export async function runSyncClover(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(cloverOptions, raw)
  const context = ctx()
  const { clover } = context.config
  if (Object.keys(clover.merchants).length === 0 || !clover.giftCardsFile)
    throw new GiftCardError(
      'CONFIG_INVALID',
      'CLOVER_MERCHANTS and CLOVER_GIFT_CARDS_FILE must be set to read balances from Clover',
    )
  const logger = createLogger(context.config.logLevel)
  const cards = loadCloverCards(clover.giftCardsFile)
  const report = await withDatabase(context, (database) =>
    syncCloverBalances(database, {
      client: new CloverClient({ ...clover, logger }),
      cards,
      currency: clover.currency,
      dryRun: options.dryRun,
      logger,
    }),
  )
  if (options.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  console.log(
    `Read ${report.read} of ${report.cards} Clover gift card balances (${report.noToken} without a token, ${report.failed.length} failed): ${report.unchanged} match the ledger, ${report.drifts.length} differ${options.dryRun ? ' (dry run: nothing adjusted)' : `, ${report.applied} adjusted`}`,
  )
  for (const d of report.drifts)
    console.log(
      `  ${d.cardId}: ledger ${d.ledgerCents === null ? 'has no such card' : centsToMajor(d.ledgerCents)}, Clover ${centsToMajor(d.cloverCents)}${d.eventId ? ` → ${d.eventId}` : ''}`,
    )
  for (const f of report.failed) console.log(`  ${f.cardId}: not read (${f.error})`)
}
