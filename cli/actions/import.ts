import { z } from 'zod'
import {
  IMPORT_FORMATS,
  type ImportReport,
  importFile,
  importMasterData,
  MASTER_DATA_FORMATS,
  type MasterDataFormat,
  type MasterDataReport,
} from '../../ingest/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { Flags } from '../flags.ts'
import { intOption, parseOptions } from '../options.ts'
import { progressBar } from '../progress.ts'

/** Every `--format`: the event exports, then store and customer master data. */
const FORMATS = [...IMPORT_FORMATS, ...MASTER_DATA_FORMATS] as const

const importOptions = z.object({
  format: z.enum(FORMATS, { error: `must be ${FORMATS.join(', ')}` }).optional(),
  batchSize: intOption(1, 1_000_000).default(100_000),
  json: z.boolean().default(false),
})

/** Rejected rows printed one per line before the rest are only counted. */
const SHOWN_REJECTIONS = 200

export async function runImport(ctx: () => CliContext, file: string, raw: Flags): Promise<void> {
  const options = parseOptions(importOptions, raw)
  const format = options.format ?? (/\.jsonl?$/i.test(file) ? 'square-jsonl' : 'csv')
  let shown = 0
  const context = ctx()
  if (format === 'locations' || format === 'customers') {
    await importMasterDataFile(context, file, format, options.json)
    return
  }
  const report = await withDatabase(context, async (database) => {
    const bar = progressBar('importing', 100)
    try {
      return await importFile(database, file, {
        format,
        batchSize: options.batchSize,
        piiKey: context.config.piiTokenKey,
        maxEventCents: context.config.ingest.maxEventCents,
        onProgress: (read, total) => bar.update(total > 0 ? Math.round((read / total) * 100) : 100),
        onRejected: (row) => {
          if (shown++ < SHOWN_REJECTIONS) console.error(`${file}:${row.line}: ${row.reason}`)
        },
      })
    } finally {
      bar.stop()
    }
  })
  console.log(
    options.json
      ? JSON.stringify({ ...report, rejected: report.rejected.length }, null, 2)
      : describeImport(report),
  )
  if (report.rejectedTotal > 0) process.exitCode = 1
}

/**
 * `--format locations | customers`: master data upserted (docs/ingest.md, "Master data"). Bad
 * rows are printed `line N: field: what is wrong` and make the exit code 1; the good rows load.
 */
async function importMasterDataFile(
  context: CliContext,
  file: string,
  format: MasterDataFormat,
  json: boolean,
): Promise<void> {
  let shown = 0
  const report = await withDatabase(context, (database) =>
    importMasterData(database, file, {
      format,
      piiKey: context.config.piiTokenKey,
      onRejected: (row) => {
        if (shown++ < SHOWN_REJECTIONS)
          console.error(`line ${row.line}: ${row.field}: ${row.reason}`)
      },
    }),
  )
  console.log(json ? JSON.stringify(report, null, 2) : describeMasterData(report))
  if (report.rejectedTotal > 0) process.exitCode = 1
}

function describeMasterData(report: MasterDataReport): string {
  const n = (x: number) => x.toLocaleString('en-US')
  const changed = report.inserted + report.updated
  const what =
    report.format === 'locations'
      ? changed === 1
        ? 'store'
        : 'stores'
      : changed === 1
        ? 'customer'
        : 'customers'
  const lines = [
    `Imported ${report.path} (${report.format}): ${n(report.rows)} rows read, ${n(changed)} ${what} changed (${n(report.inserted)} new, ${n(report.updated)} updated, ${n(report.enriched)} of them stubs filled in), ${n(report.unchanged)} unchanged, ${n(report.rejectedTotal)} rejected`,
  ]
  if (report.rejectedTotal > SHOWN_REJECTIONS)
    lines.push(`  only the first ${SHOWN_REJECTIONS} rejected rows were printed`)
  return lines.join('\n')
}

function describeImport(report: ImportReport): string {
  const n = (x: number) => x.toLocaleString('en-US')
  if (report.completedBefore) {
    return `${report.path} was imported in full on ${report.completedBefore}: nothing to add${report.rejectedTotal > 0 ? ` (${n(report.rejectedTotal)} rows were rejected then)` : ''}`
  }
  const lines = [
    `Imported ${report.path} (${report.format}): ${n(report.rows)} rows read, ${n(report.applied)} events applied, ${n(report.duplicates)} already in the ledger, ${n(report.rejected.length)} rejected`,
  ]
  if (report.resumedAfterLine > 0)
    lines.push(`  resumed after line ${n(report.resumedAfterLine)} of an interrupted import`)
  if (report.rejectedTotal > report.rejected.length)
    lines.push(`  ${n(report.rejectedTotal)} rows rejected in all runs of this file`)
  lines.push(
    `  in ${report.seconds.toFixed(1)} s (${n(Math.round(report.rows / Math.max(report.seconds, 0.001)))} rows per second)`,
  )
  return lines.join('\n')
}
