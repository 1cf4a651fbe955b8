/**
 * A child process for the kill -9 tests (run with `node --import tsx`): approves request ID as
 * ACTOR through the real approval service and the real tool executors, on the ledger of
 * DATABASE_URL, and stops in the action's preparation, after the decision committed and before
 * the execution claimed the request. It writes PAUSED_FILE there, so the test knows the window is
 * open, and waits to be killed.
 *
 *   node --import tsx test/cli/pause-after-decision.ts ID ACTOR PAUSED_FILE
 */
import { writeFileSync } from 'node:fs'
import { loadConfig } from '../../core/index.ts'
import { openDatabase } from '../../db/index.ts'
import { ApprovalService, createPosRouter, resolveActor } from '../../governance/index.ts'
import { heldExecutors } from '../helpers/held-executors.ts'

const [id, actorId, pausedFile] = process.argv.slice(2)
if (!id || !actorId || !pausedFile) throw new Error('usage: pause-after-decision ID ACTOR FILE')
const config = loadConfig(process.env)
const database = await openDatabase(config.database)
const paused = () => {
  writeFileSync(pausedFile, `${process.pid}\n`)
  // The timer keeps the process alive: only the test's kill ends it.
  return new Promise<void>(() => setInterval(() => undefined, 60_000))
}
const approvals = new ApprovalService(database, {
  executors: heldExecutors(config, createPosRouter(config), paused),
  ttlHours: config.approvals.ttlHours,
})
await approvals.decide(Number(id), {
  actor: await resolveActor(database, actorId),
  via: 'cli',
  decision: 'approve',
})
throw new Error('the execution was not held: the test cannot kill it in its window')
