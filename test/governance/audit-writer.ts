/**
 * A second process for test/governance/audit.test.ts: opens the same ledger with the same audit
 * key and checkpoint file, says `ready`, waits for a line on stdin, then appends COUNT rows (one
 * in five inside a transaction, as an approval does; the rest five at a time, as concurrent tool
 * calls do) and closes cleanly, which writes its last checkpoint.
 *
 * argv: TARGET_JSON SETTINGS_JSON TAG COUNT [SEARCH_PATH]
 */
import { once } from 'node:events'
import type { DatabaseTarget } from '../../core/index.ts'
import { openDatabase } from '../../db/index.ts'
import { type AuditTrailSettings, appendAudit, attachAuditTrail } from '../../governance/index.ts'

const [targetJson = '', settingsJson = '', tag = 'x', countText = '0', searchPath] =
  process.argv.slice(2)
const target = JSON.parse(targetJson) as DatabaseTarget
const settings = JSON.parse(settingsJson) as AuditTrailSettings
const count = Number(countText)

const database = attachAuditTrail(
  await openDatabase(target, searchPath ? { searchPath, poolSize: 4 } : {}),
  settings,
)
process.stdout.write('ready\n')
await once(process.stdin, 'data')
process.stdin.destroy() // else the open pipe keeps the process alive

const entry = (i: number) => ({
  actor: `cli:${tag}`,
  role: 'analyst',
  via: 'cli',
  action: 'tool_call',
  tool: 'get_gift_card',
  input: { card: `gc_${tag}${i}` },
  resultSummary: 'ok',
})

for (let i = 0; i < count; i += 5) {
  const batch = Array.from({ length: Math.min(5, count - i) }, (_, k) => i + k)
  const [first, ...rest] = batch
  if (first !== undefined)
    await database.db.transaction().execute((trx) => appendAudit(database, entry(first), trx))
  await Promise.all(rest.map((n) => appendAudit(database, entry(n))))
}
await database.close()
process.stdout.write('done\n')
