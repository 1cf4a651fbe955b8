import { z } from 'zod'
import { ledgerWatermark } from '../../db/index.ts'
import { describeLag, type Freshness, ledgerFreshness } from '../../tools/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'

const statusOptions = z.object({ json: z.boolean().default(false) })

export async function runStatus(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(statusOptions, raw)
  const context = ctx()
  const status = await withDatabase(context, async (database) => ({
    engine: database.engine,
    watermark: await ledgerWatermark(database.db),
    freshness: await ledgerFreshness(database, context.config),
  }))
  console.log(
    options.json
      ? JSON.stringify(status, null, 2)
      : describeStatus(status.engine, status.watermark, status.freshness),
  )
  if (status.freshness.stale.length > 0) process.exitCode = 1
}

function describeStatus(engine: string, watermark: string | null, freshness: Freshness): string {
  const lines = [
    `Ledger on ${engine}, newest event ${watermark ?? 'none (the ledger is empty)'}`,
    `Sources (checked ${freshness.checkedAt}; a configured source is stale after ${freshness.staleAfterHours} h):`,
  ]
  if (freshness.sources.length === 0) lines.push('  none configured and no events yet')
  for (const s of freshness.sources) {
    const state = s.stale ? 'STALE' : s.configured ? 'ok' : 'not configured'
    lines.push(
      `  ${s.source.padEnd(11)} ${state.padEnd(14)} newest event ${s.lastEventAt ?? 'none'}${s.lagSeconds !== null ? ` (${describeLag(s.lagSeconds)} ago)` : ''}, last received ${s.lastReceivedAt ?? 'never'}`,
    )
  }
  if (freshness.warning) lines.push(`Warning: ${freshness.warning}`)
  return lines.join('\n')
}
