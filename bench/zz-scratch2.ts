import { join } from 'node:path'
import { loadConfig } from '../core/index.ts'
import { openDatabase } from '../db/index.ts'
import { prepareJournal } from '../finance/index.ts'

const database = await openDatabase({
  engine: 'sqlite',
  path: join(process.argv[2] ?? '', 'ledger.db'),
})
const s = performance.now()
const c = process.cpuUsage()
await prepareJournal(database, loadConfig({}), { month: '2026-11', now: Date.UTC(2026, 11, 1, 12) })
const u = process.cpuUsage(c)
console.log(
  'journal wall',
  ((performance.now() - s) / 1000).toFixed(2),
  'cpu',
  ((u.user + u.system) / 1e6).toFixed(2),
)
await database.close()
