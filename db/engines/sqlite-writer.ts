import { Worker } from 'node:worker_threads'
import type { DeferredCommit, DeferredWriter } from './engine.ts'

type Reply = {
  id: number
  error?: string
  failed?: { reason: 'not written' | 'error'; message: string }
}
type FromWriter = Reply | { ran: number }

/**
 * Values per message to the writer's thread: 12,000 slots (96 KB) stay under V8's 128 KB
 * limit for an object of the young generation.
 */
const VALUES_PER_MESSAGE = 12_000

/**
 * A SQLite write transaction run on a worker thread's own connection (sqlite-writer-worker.mjs):
 * `runEach` and `execute` only queue their statements, so the caller works out the next rows
 * while SQLite writes the last ones, on the other core. What a queued statement did is known
 * at `commit`, which fails (and rolls back) if any statement failed or an `exact` one skipped
 * a row.
 */
export class SqliteDeferredWriter implements DeferredWriter {
  private readonly worker: Worker
  private readonly waiting = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (err: Error) => void }
  >()
  private nextId = 1
  /** Rows queued and not yet written. */
  private queued = 0
  private drained: (() => void) | undefined
  private drainTo = 0
  private failure: Error | undefined

  /** `onClose` runs once the worker has stopped (the caller restores what it changed for it). */
  constructor(
    path: string,
    pragmas: readonly string[],
    private readonly onClose: () => void = () => {},
  ) {
    this.worker = new Worker(new URL('./sqlite-writer-worker.mjs', import.meta.url), {
      workerData: { path, pragmas },
      execArgv: [],
    })
    this.worker.on('message', (message: FromWriter) => {
      if ('ran' in message) {
        this.queued -= message.ran
        if (this.queued <= this.drainTo) this.wake()
        return
      }
      const waiter = this.waiting.get(message.id)
      this.waiting.delete(message.id)
      waiter?.resolve(message)
    })
    const fail = (err: Error) => {
      this.failure ??= err
      for (const waiter of this.waiting.values()) waiter.reject(err)
      this.waiting.clear()
      this.wake()
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) =>
      fail(new Error(`the SQLite writer's worker stopped (exit code ${code})`)),
    )
  }

  async begin(): Promise<void> {
    await this.request('begin')
  }

  runEach(text: string, rows: readonly (readonly unknown[])[], exact = false): number {
    if (rows.length === 0) return 0
    const width = (rows[0] as readonly unknown[]).length
    // Flat arrays, row after row, filled by push: the structured clone copies a packed array
    // of values in one pass, where an array of row arrays costs the worker an object per row
    // to rebuild, and an array made `new Array(n)` (holey) is cloned key by key (posting a
    // chunk's rows cost the import 8% of its main thread as columns made that way). Each
    // message holds at most VALUES_PER_MESSAGE values: a larger array is allocated outside
    // the young generation, and its garbage would grow the old one between collections.
    const perMessage = Math.max(1, Math.floor(VALUES_PER_MESSAGE / width))
    for (let start = 0; start < rows.length; start += perMessage) {
      const end = Math.min(rows.length, start + perMessage)
      const values: unknown[] = []
      for (let r = start; r < end; r++) {
        const row = rows[r] as readonly unknown[]
        for (let c = 0; c < width; c++) values.push(row[c])
      }
      this.queued += end - start
      this.worker.postMessage({ op: 'run', text, values, width, count: end - start, exact })
    }
    return rows.length
  }

  execute(text: string, parameters: readonly unknown[]): void {
    this.worker.postMessage({ op: 'execute', text, parameters })
  }

  async drain(rows = 0): Promise<void> {
    while (this.queued > rows) {
      if (this.failure) throw this.failure
      this.drainTo = rows
      await new Promise<void>((resolve) => {
        this.drained = resolve
      })
    }
  }

  async commit(): Promise<DeferredCommit> {
    const reply = await this.request('commit')
    return reply.failed ? { ok: false, ...reply.failed } : { ok: true }
  }

  async rollback(): Promise<void> {
    await this.request('rollback')
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit')
    await this.worker.terminate()
    this.onClose()
  }

  private wake(): void {
    this.drained?.()
    this.drained = undefined
  }

  private async request(op: 'begin' | 'commit' | 'rollback'): Promise<Reply> {
    if (this.failure) throw this.failure
    const id = this.nextId++
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      this.worker.postMessage({ op, id })
    })
    if (reply.error) throw new Error(reply.error)
    return reply
  }
}
