import type { Command } from 'commander'
import { z } from 'zod'
import { IMPORT_FORMATS, type ImportReport, importFile } from '../../ingest/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { intOption, parseOptions } from '../options.ts'
import { progressBar } from '../progress.ts'

const importOptions = z.object({
  format: z.enum(IMPORT_FORMATS, { error: `must be ${IMPORT_FORMATS.join(' or ')}` }).optional(),
  batchSize: intOption(1, 1_000_000).default(100_000),
  json: z.boolean().default(false),
})

/** Rejected rows printed one per line before the rest are only counted. */
const SHOWN_REJECTIONS = 200

export function registerImport(program: Command, ctx: () => CliContext): void {
  program
    .command('import')
    .description(
      'import an export file (CSV or Square activity JSON lines); resumable and idempotent',
    )
    .argument('<file>', 'the file to import')
    .option(
      '--format <format>',
      'csv or square-jsonl (default: by extension, .jsonl → square-jsonl)',
    )
    .option(
      '--batch-size <n>',
      'rows per database transaction (a killed import resumes after the last one)',
      '100000',
    )
    .option('--json', 'print the report as JSON')
    .action(async (file: string, raw) => {
      const options = parseOptions(importOptions, raw)
      const format = options.format ?? (/\.jsonl?$/i.test(file) ? 'square-jsonl' : 'csv')
      let shown = 0
      const context = ctx()
      const report = await withDatabase(context, async (database) => {
        const bar = progressBar('importing', 100)
        try {
          return await importFile(database, file, {
            format,
            batchSize: options.batchSize,
            piiKey: context.config.piiTokenKey,
            maxEventCents: context.config.ingest.maxEventCents,
            onProgress: (read, total) =>
              bar.update(total > 0 ? Math.round((read / total) * 100) : 100),
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
    })
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
