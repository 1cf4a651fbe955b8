// The reading half of a columnar scan (see `scanColumns` in sqlite.ts), on a worker thread: it
// runs the query on its own read-only connection and posts pages of columns, so SQLite's
// sorting and row decoding run beside the consumer instead of before it. Plain JavaScript: a
// worker thread does not inherit the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { pageSender } from './column-pages.mjs'

/** @type {{ path: string, sql: string, parameters: unknown[], kinds: ('dictionary' | 'text' | 'number')[], pageSize: number, inflight: SharedArrayBuffer, maxInflight: number, pragmas: string[] }} */
const { path, sql, parameters, kinds, pageSize, inflight, maxInflight, pragmas } = workerData
const { newPage, send } = pageSender(kinds, pageSize, inflight, maxInflight)

const db = new Database(path, { readonly: true, fileMustExist: true })
try {
  // The same read settings as the row scan (SCAN_PRAGMAS in sqlite.ts).
  for (const pragma of pragmas) db.pragma(pragma)
  const statement = db.prepare(sql).raw(true)
  const dictionaries = kinds.map((kind) => (kind === 'dictionary' ? new Map() : null))
  let page = newPage()
  for (const row of statement.iterate(...parameters)) {
    const r = page.rows
    for (let c = 0; c < kinds.length; c++) {
      const value = row[c]
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
  if (page.rows > 0) send(page)
  parentPort.postMessage({ done: true })
} catch (err) {
  parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) })
} finally {
  db.close()
}
