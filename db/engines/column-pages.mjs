// The page half shared by the two columnar scan workers (sqlite-scan-worker.mjs,
// postgres-scan-worker.mjs): empty pages of the columns' kinds, and the hand-over to the consumer
// (db/engines/column-scan.ts) that waits while it holds `maxInflight` pages. Plain JavaScript: a
// worker thread does not inherit the TypeScript loader.
import { parentPort } from 'node:worker_threads'

/**
 * @param {('dictionary' | 'text' | 'number')[]} kinds
 * @param {number} pageSize
 * @param {SharedArrayBuffer} inflight
 * @param {number} maxInflight
 */
export function pageSender(kinds, pageSize, inflight, maxInflight) {
  const pending = new Int32Array(inflight)
  const newPage = () => ({
    rows: 0,
    columns: kinds.map((kind) =>
      kind === 'number'
        ? new Float64Array(pageSize)
        : kind === 'dictionary'
          ? new Int32Array(pageSize)
          : [],
    ),
    /** Text first seen in this page, per dictionary column: its codes follow the earlier ones. */
    added: kinds.map(() => []),
  })
  /** Waits until the consumer holds fewer than `maxInflight` pages, then hands this one over. */
  const send = (page) => {
    for (;;) {
      const held = Atomics.load(pending, 0)
      if (held < maxInflight) break
      // Blocking here stops this thread reading its source (for PostgreSQL, the socket: TCP then
      // holds the server back).
      Atomics.wait(pending, 0, held)
    }
    Atomics.add(pending, 0, 1)
    const buffers = page.columns.filter((c) => !Array.isArray(c)).map((c) => c.buffer)
    parentPort.postMessage({ page }, buffers)
  }
  return { newPage, send }
}
