// The writing half of a deferred write transaction (see `SqliteDeferredWriter` in
// sqlite-writer.ts), on a worker thread: it runs the statements the caller queued on its own
// connection, in order, while the caller works out the next ones. Plain JavaScript: a worker
// thread does not inherit the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

/** @type {{ path: string, pragmas: string[] }} */
const { path, pragmas } = workerData
const db = new Database(path, { fileMustExist: true })
for (const pragma of pragmas) db.pragma(pragma)

const statements = new Map()
const prepare = (text) => {
  let statement = statements.get(text)
  if (!statement) {
    statement = db.prepare(text)
    statements.set(text, statement)
  }
  return statement
}

/** Why the open transaction cannot commit (the first statement that failed), if one did. */
let failure = null

/** Runs a statement once per row; rows come one after another in `values`, `width` each. */
const runEach = ({ text, values, width, count, exact }) => {
  const statement = prepare(text)
  const args = new Array(width)
  let changed = 0
  for (let r = 0, at = 0; r < count; r++) {
    for (let c = 0; c < width; c++) args[c] = values[at++]
    changed += statement.run(args).changes
  }
  if (exact && changed !== count)
    failure = {
      reason: 'not written',
      message: `${count - changed} of ${count} rows already existed`,
    }
}

const rollback = () => {
  if (db.inTransaction) db.exec('rollback')
}

/** Runs a queued statement unless an earlier one failed; an error becomes the failure. */
const unlessFailed = (work) => {
  if (failure !== null) return
  try {
    work()
  } catch (err) {
    failure = { reason: 'error', message: err.message }
  }
}

const handle = (message) => {
  switch (message.op) {
    case 'run':
      unlessFailed(() => runEach(message))
      // Lets the caller queue more.
      parentPort.postMessage({ ran: message.count })
      return
    case 'execute':
      unlessFailed(() => prepare(message.text).run(message.parameters))
      return
    case 'begin':
      failure = null
      db.exec('begin immediate')
      parentPort.postMessage({ id: message.id })
      return
    case 'commit':
      if (failure !== null) {
        rollback()
        parentPort.postMessage({ id: message.id, failed: failure })
        failure = null
        return
      }
      db.exec('commit')
      parentPort.postMessage({ id: message.id })
      return
    case 'rollback':
      failure = null
      rollback()
      parentPort.postMessage({ id: message.id })
      return
  }
}

parentPort.on('message', (message) => {
  try {
    handle(message)
  } catch (err) {
    if (message.op === 'commit') rollback()
    parentPort.postMessage({ id: message.id, error: err.message })
  }
})
