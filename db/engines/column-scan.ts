import { Worker } from 'node:worker_threads'
import type { ColumnKind, ColumnPage } from './engine.ts'

/**
 * The caller's half of a columnar scan (`scanColumns` of the SQLite and PostgreSQL adapters):
 * a worker thread reads the query on its own connection and posts pages of columns (texts of
 * few distinct values coded against a dictionary that grows with the pages), at most
 * PAGES_AHEAD ahead of the caller; here each page is decoded and handed to `onPage`. So the
 * engine's sorting and row decoding run beside the caller's work on the rows instead of
 * before it. The reading halves are sqlite-scan-worker.mjs and postgres-scan-worker.mjs; both
 * take `kinds`, `pageSize`, `inflight` and `maxInflight` in their workerData, besides their own.
 */

/** Pages a worker may post before the caller has taken them: enough to keep both busy. */
export const PAGES_AHEAD = 4

type WorkerMessage =
  | {
      page: {
        rows: number
        columns: (Int32Array | Float64Array | (string | null)[])[]
        added: string[][]
      }
    }
  | { done: true }
  | { error: string }

export async function consumeColumnWorker(
  script: URL,
  workerData: Record<string, unknown>,
  kinds: readonly ColumnKind[],
  onPage: (page: ColumnPage) => void,
  pageSize: number,
): Promise<void> {
  const inflight = new SharedArrayBuffer(4)
  const pending = new Int32Array(inflight)
  const worker = new Worker(script, {
    workerData: { ...workerData, kinds, pageSize, inflight, maxInflight: PAGES_AHEAD },
    // Plain JavaScript: none of the parent's loaders (tsx, or the LangGraph dev server's
    // preload, which fails in a worker: test/agent/langgraph-cli.test.ts) is needed or wanted.
    execArgv: [],
  })
  const dictionaries = kinds.map(() => [] as string[])
  const decode = ({ page }: Extract<WorkerMessage, { page: unknown }>): ColumnPage => ({
    rows: page.rows,
    columns: page.columns.map((column, c) => {
      if (kinds[c] !== 'dictionary') return column as (string | null)[] | Float64Array
      const dictionary = dictionaries[c] as string[]
      for (const text of page.added[c] as string[]) dictionary.push(text)
      const codes = column as Int32Array
      const texts = new Array<string | null>(page.rows)
      for (let r = 0; r < page.rows; r++) {
        const code = codes[r] as number
        texts[r] = code < 0 ? null : (dictionary[code] as string)
      }
      return texts
    }),
  })
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false
      const fail = (err: unknown) => {
        failed = true
        reject(err)
      }
      worker.on('message', (message: WorkerMessage) => {
        if (failed) return
        if ('error' in message) fail(new Error(`the scan failed: ${message.error}`))
        else if ('done' in message) resolve()
        else {
          try {
            onPage(decode(message))
          } catch (err) {
            fail(err)
            return
          }
          Atomics.sub(pending, 0, 1)
          Atomics.notify(pending, 0)
        }
      })
      worker.on('error', fail)
      worker.on('exit', (code) => {
        if (code !== 0) fail(new Error(`the scan's worker exited with ${code}`))
      })
    })
  } finally {
    // A worker still waiting for room (the caller failed) is let go, then stopped.
    Atomics.store(pending, 0, -PAGES_AHEAD)
    Atomics.notify(pending, 0)
    await worker.terminate()
  }
}
