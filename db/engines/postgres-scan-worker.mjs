// The reading half of a columnar scan on PostgreSQL (see `scanColumns` in postgres.ts and
// column-scan.ts), on a worker thread: it streams the query out of the server with
// `COPY (query) TO STDOUT` on its own connection, parses COPY's text format and posts pages of
// columns, so the server's sort, the transfer and the parsing run beside the consumer instead of
// before it. One COPY statement reads one snapshot and needs no round trip per batch (a cursor's
// FETCH costs one per page). Plain JavaScript: a worker thread does not inherit the TypeScript
// loader.
import { StringDecoder } from 'node:string_decoder'
import { parentPort, workerData } from 'node:worker_threads'
import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { pageSender } from './column-pages.mjs'

/** @type {{ connectionString: string, options?: string, sql: string, settings: string[], kinds: ('dictionary' | 'text' | 'number')[], pageSize: number, inflight: SharedArrayBuffer, maxInflight: number }} */
const { connectionString, options, sql, settings, kinds, pageSize, inflight, maxInflight } =
  workerData
const { newPage, send } = pageSender(kinds, pageSize, inflight, maxInflight)

const ESCAPES = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }

/**
 * A field of COPY's text format as its value (PostgreSQL manual, "COPY", "Text Format"): `\N`
 * is null; a backslash starts an escape (`\\`, `\b \f \n \r \t \v`, octal `\ooo`, hex `\xhh`),
 * and any other escaped character stands for itself.
 */
function fieldValue(field) {
  if (field === '\\N') return null
  if (!field.includes('\\')) return field
  let out = ''
  for (let i = 0; i < field.length; i++) {
    const c = field[i]
    if (c !== '\\' || i === field.length - 1) {
      out += c
      continue
    }
    const next = field[++i]
    if (next in ESCAPES) out += ESCAPES[next]
    else if (next >= '0' && next <= '7') {
      let digits = next
      while (digits.length < 3 && field[i + 1] >= '0' && field[i + 1] <= '7') digits += field[++i]
      out += String.fromCharCode(Number.parseInt(digits, 8))
    } else if (next === 'x' && /^[0-9a-fA-F]/.test(field[i + 1] ?? '')) {
      let digits = field[++i]
      if (/^[0-9a-fA-F]/.test(field[i + 1] ?? '')) digits += field[++i]
      out += String.fromCharCode(Number.parseInt(digits, 16))
    } else out += next
  }
  return out
}

const client = new pg.Client({ connectionString, ...(options ? { options } : {}) })
try {
  await client.connect()
  // Session settings for this connection only (the sort's work_mem): it is closed after.
  for (const setting of settings) await client.query(setting)
  const stream = client.query(copyTo(`copy (${sql}) to stdout`))
  const decoder = new StringDecoder('utf8')
  const dictionaries = kinds.map((kind) => (kind === 'dictionary' ? new Map() : null))
  const width = kinds.length
  let page = newPage()
  let carry = ''
  const addRow = (line) => {
    const r = page.rows
    let from = 0
    for (let c = 0; c < width; c++) {
      let to = c === width - 1 ? line.length : line.indexOf('\t', from)
      if (to < 0) to = line.length
      const value = fieldValue(line.slice(from, to))
      from = to + 1
      const column = page.columns[c]
      const kind = kinds[c]
      if (kind === 'number') column[r] = value === null ? Number.NaN : Number(value)
      else if (kind === 'text') column.push(value)
      else if (value === null) column[r] = -1
      else {
        const dictionary = dictionaries[c]
        let code = dictionary.get(value)
        if (code === undefined) {
          code = dictionary.size
          dictionary.set(value, code)
          page.added[c].push(value)
        }
        column[r] = code
      }
    }
    page.rows++
    if (page.rows === pageSize) {
      send(page)
      page = newPage()
    }
  }
  for await (const chunk of stream) {
    const text = carry + decoder.write(chunk)
    let start = 0
    for (;;) {
      const end = text.indexOf('\n', start)
      if (end < 0) break
      addRow(text.slice(start, end))
      start = end + 1
    }
    carry = text.slice(start)
  }
  carry += decoder.end()
  if (carry.length > 0) addRow(carry)
  if (page.rows > 0) send(page)
  parentPort.postMessage({ done: true })
} catch (err) {
  parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) })
} finally {
  await client.end().catch(() => undefined)
}
