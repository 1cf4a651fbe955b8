import type { Command } from 'commander'
import { z } from 'zod'
import { createLogger, GiftCardError } from '../../core/index.ts'
import { syncLightspeed, syncSquare } from '../../ingest/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { dateOption, intOption, parseOptions } from '../options.ts'

const lightspeedOptions = z.object({
  pageSize: intOption(1, 200).default(200),
  json: z.boolean().default(false),
})

const syncOptions = z.object({
  pageSize: intOption(1, 100).default(100),
  since: dateOption.optional(),
  json: z.boolean().default(false),
})

export function registerSync(program: Command, ctx: () => CliContext): void {
  const sync = program.command('sync').description('pull activity from a POS API')
  sync
    .command('square')
    .description(
      "pull gift card activities from Square's ListGiftCardActivities since the last sync",
    )
    .option('--page-size <n>', 'activities per page (1–100)', '100')
    .option(
      '--since <YYYY-MM-DD>',
      'where to start on the first sync (default: Square’s, a year ago)',
    )
    .option('--json', 'print the report as JSON')
    .action(async (raw) => {
      const options = parseOptions(syncOptions, raw)
      const context = ctx()
      const { square } = context.config
      if (!square.accessToken)
        throw new GiftCardError(
          'CONFIG_INVALID',
          'SQUARE_ACCESS_TOKEN must be set to sync with Square',
        )
      const report = await withDatabase(context, (database) =>
        syncSquare(database, {
          baseUrl: square.baseUrl,
          accessToken: square.accessToken as string,
          apiVersion: square.apiVersion,
          pageSize: options.pageSize,
          ...(options.since ? { since: new Date(options.since).toISOString() } : {}),
          logger: createLogger(context.config.logLevel),
        }),
      )
      console.log(
        options.json
          ? JSON.stringify(report, null, 2)
          : `Synced Square: ${report.activities} activities in ${report.pages} pages, ${report.applied} applied, ${report.duplicates} already in the ledger, ${report.skipped} skipped, ${report.retries} retries; up to ${report.lastEventAt ?? '(nothing yet)'}`,
      )
    })

  sync
    .command('lightspeed')
    .description(
      'poll Lightspeed Retail (X-Series): sales since the last sync (version cursor) and every gift card with its transactions',
    )
    .option('--page-size <n>', 'items per page (1–200)', '200')
    .option('--json', 'print the report as JSON')
    .action(async (raw) => {
      const options = parseOptions(lightspeedOptions, raw)
      const context = ctx()
      const { lightspeed } = context.config
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
          logger: createLogger(context.config.logLevel),
        }),
      )
      console.log(
        options.json
          ? JSON.stringify(report, null, 2)
          : `Synced Lightspeed: ${report.sales} sales (${report.giftCardSales} with gift cards) up to version ${report.salesVersionTo}, ${report.cards} gift cards with ${report.transactions} transactions, ${report.applied} applied, ${report.duplicates} already in the ledger, ${report.skipped} skipped, ${report.retries} retries${report.resumedWalk ? ' (resumed an interrupted sync)' : ''}; up to ${report.lastEventAt ?? '(nothing yet)'}`,
      )
    })
}
