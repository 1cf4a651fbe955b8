import { createServices } from '../app/index.ts'
import { DAY_MS, loadConfig } from '../core/index.ts'
import { openDatabase } from '../db/index.ts'
import { grantRole } from '../governance/index.ts'
import { seedChain } from '../synth/seed.ts'
const t0 = performance.now()
const database = await openDatabase({ engine: 'sqlite', path: ':memory:' })
await seedChain(database, { cards: 200, seed: 7, startMs: Date.now() - 400 * DAY_MS, months: 13 })
console.error('seed ms', performance.now() - t0)
const config = loadConfig({ LOG_LEVEL: 'silent' })
const s = createServices(database, config)
await grantRole(database, 'cli:lp', 'loss_prevention')
const lp = { id: 'cli:lp', role: 'loss_prevention' as const }
const run = async (name: string, input: unknown) => {
  const t = performance.now()
  const o = await s.toolkit.executor.call(name, input, { actor: lp, via: 'cli' })
  console.log('=== ', name, JSON.stringify(input), Math.round(performance.now() - t), 'ms')
  console.log(JSON.stringify(o.ok ? o.data : o.error).slice(0, 1500))
}
await run('scan_for_fraud', { days: 400 })
await run('get_liability', { groupBy: 'jurisdiction' })
await run('ledger_metrics', { metric: 'liability', by: ['month'] })
await run('ledger_metrics', { metric: 'redemptions', by: ['month'] })
await run('ledger_metrics', { metric: 'fraud_alerts', by: ['month', 'rule'], status: 'open' })
await run('forecast_breakage', { horizonMonths: 12 })
await run('list_fraud_alerts', { limit: 3 })
await run('explain_fraud_alert', { alertId: 1 })
await run('list_approvals', { status: 'pending' })
await run('get_gift_card', { card: '1111', transactions: 50 })
await run('list_campaigns', {})
await run('escheatment_report', { horizonMonths: 24 })
await run('get_audit_log', { verify: true, limit: 3 })
await run('list_card_holds', { card: 'gc_x' })
