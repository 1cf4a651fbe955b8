import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'

/**
 * Bulk rows into PostgreSQL with `COPY … FROM STDIN` (pg-copy-streams), the bulk writer's path
 * on PostgreSQL: one statement streams any number of rows, with no bind parameters to plan and
 * no 65,535-parameter limit (PostgreSQL manual, "COPY"; "Populating a Database" §14.4.2 says
 * COPY is the fastest way to load many rows). Rows go in COPY's text format: columns separated
 * by a tab, rows by a newline, `\N` for null, and a backslash, tab, newline or carriage return
 * inside a value escaped with a backslash (manual, "COPY", "Text Format"). Values are written
 * as node-postgres would bind them (`String(n)` for a number, `JSON.stringify` for an object),
 * so a row loaded by COPY is the row a multi-row INSERT would have stored: the seed's checksum
 * is the same on both paths and on SQLite (test/synth/seed.test.ts, test/db/postgres-copy.test.ts).
 */

/** One value in COPY's text format. */
export function copyText(value: unknown): string {
  if (value === null || value === undefined) return '\\N'
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean'
        ? String(value)
        : value instanceof Date
          ? value.toISOString()
          : JSON.stringify(value)
  // Most values need no escape: test once before replacing.
  return /[\\\t\n\r]/.test(text)
    ? text.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : text
}

/** Lines of about 64 KiB each (COPY's own chunk size), so the stream is written in few calls. */
function* chunks(rows: readonly (readonly unknown[])[]): Generator<string> {
  let chunk = ''
  for (const row of rows) {
    chunk += `${row.map(copyText).join('\t')}\n`
    if (chunk.length >= 65_536) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk) yield chunk
}

/**
 * Streams `rows` (each in `columns` order) into `table` on `client`, inside whatever
 * transaction the client has open. Resolves with the number of rows the server counted.
 */
export async function copyRows(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): Promise<number> {
  if (rows.length === 0) return 0
  const stream = client.query(
    copyFrom(`copy "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) from stdin`),
  )
  await pipeline(Readable.from(chunks(rows)), stream)
  return stream.rowCount
}
