/**
 * Run by long-line.test.ts in a process of its own, so its memory is measured alone: reads a
 * CSV export whose third line is LINE_MB megabytes long (made on the fly, 64 KiB at a time, as
 * `importFile` reads a file) through `readRows`, and prints the rows it got and how far the
 * process's resident memory grew over what it was before reading.
 */
import { readRows } from '../../ingest/read-rows.ts'

const LINE_MB = Number(process.argv[2] ?? 150)
const CHUNK = 64 * 1024

const baseline = process.memoryUsage().rss
let peak = baseline

async function* file(): AsyncGenerator<Buffer> {
  yield Buffer.from(
    'event_id,occurred_at,card_id,type,amount,currency\ne1,2025-01-01T10:00:00Z,gc-1,sale,10,USD\ne2,2025-01-02T10:00:00Z,gc-1,',
  )
  const filler = Buffer.alloc(CHUNK, 'x')
  for (let sent = 0; sent < LINE_MB * 1024 * 1024; sent += CHUNK) {
    peak = Math.max(peak, process.memoryUsage().rss)
    yield filler
  }
  yield Buffer.from(',1,USD\ne3,2025-01-03T10:00:00Z,gc-1,reload,5,USD\n')
}

const rows: unknown[] = []
for await (const chunk of readRows(file(), 'csv')) {
  for (const row of chunk)
    rows.push('error' in row ? { line: row.line, error: row.error } : { line: row.line })
  peak = Math.max(peak, process.memoryUsage().rss)
}
process.stdout.write(`${JSON.stringify({ rows, growthMb: (peak - baseline) / 1024 / 1024 })}\n`)
