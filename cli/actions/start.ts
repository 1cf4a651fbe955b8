import { createServices, makeDemoChain, startAgent } from '../../app/index.ts'
import { formatCents } from '../../core/index.ts'
import { type Database, ledgerCounts } from '../../db/index.ts'
import { appendAudit, grantRole, listActors } from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { CliIdentity } from '../identity.ts'
import { progressBar } from '../progress.ts'
import { cliLedgerSummary } from '../reports/index.ts'
import { actorFor, runReportOn } from '../session.ts'
import { runChat } from './chat.ts'
import { describeSeed } from './seed.ts'

export async function runStart(
  ctx: () => CliContext,
  raw: { chat: boolean; as?: string },
): Promise<void> {
  const context = ctx()
  await withDatabase(context, async (database) => {
    const counts = await ledgerCounts(database.db)
    if (counts.cards === 0) {
      console.log(
        `No cards in ${database.describe} yet: making a demo chain of ${context.config.demoCards.toLocaleString('en-US')} cards…`,
      )
      const bar = progressBar('seeding cards', context.config.demoCards)
      const { report, alerts } = await makeDemoChain(database, context.config.demoCards, (done) =>
        bar.update(done),
      ).finally(() => bar.stop())
      console.log(`${describeSeed(report)}\n`)
      console.log(
        `Fraud scan of the demo ledger: ${alerts} alerts stored (giftcards fraud alerts).`,
      )
      console.log(`${await grantDemoRoles(database, context.identity)}\n`)
    }
    console.log(await ledgerSummary(context, database))
    if (!raw.chat) return
    console.log('')
    const { agent } = await startAgent(createServices(database, context.config))
    const demo = { demoActors: DEMO_ACTORS }
    try {
      await runChat(agent, database, await actorFor(context, database, raw.as, demo), {
        identity: context.identity,
        ...demo,
      })
    } finally {
      await agent.close()
    }
  })
}

/** The demo's manager, who approves the login's requests from `/as cli:manager` in the chat. */
export const DEMO_MANAGER = 'cli:manager'

/**
 * The actors `npm start`'s chat may switch to without GIFTCARDS_ALLOW_AS or an admin login: the
 * demo's own (and always back to the login). Each switch is audited with the login.
 */
export const DEMO_ACTORS: readonly string[] = [DEMO_MANAGER]

/**
 * The demo chain comes with two people: the local login as loss prevention (so holds can be
 * requested) and `cli:manager` (who approves them, from `/as cli:manager` in the chat). Made on
 * the first run only, on the ledger the demo has just seeded; audited as the demo's grants.
 */
async function grantDemoRoles(database: Database, identity: CliIdentity): Promise<string> {
  const me = identity.login
  const existing = new Set((await listActors(database)).map((a) => a.id))
  const grants: [string, 'loss_prevention' | 'manager'][] = [
    [me, 'loss_prevention'],
    [DEMO_MANAGER, 'manager'],
  ]
  for (const [actor, role] of grants) {
    if (existing.has(actor)) continue
    await grantRole(database, actor, role)
    await appendAudit(database, {
      actor: me,
      role: null,
      via: 'cli',
      action: 'role_granted',
      input: { actor, role, login: me, allowedBy: 'demo' },
      resultSummary: `${actor} is ${role} (the npm start demo)`,
    })
  }
  return `Demo roles: ${me} is loss_prevention, ${DEMO_MANAGER} is manager (giftcards roles list).`
}

/** A readable summary (counts, liability by jurisdiction, a year of activity), as the login reads it. */
export async function ledgerSummary(ctx: CliContext, database: Database): Promise<string> {
  const summary = await runReportOn(ctx, database, cliLedgerSummary, {})
  const { counts, byJurisdiction, activity } = summary
  const total = byJurisdiction.reduce((sum, row) => sum + row.liabilityCents, 0)
  const totalCards = byJurisdiction.reduce((sum, row) => sum + row.cards, 0)
  const n = (x: number) => x.toLocaleString('en-US')

  const lines = [
    `Gift card ledger (${summary.ledger})`,
    `  ${n(counts.cards)} cards, ${n(counts.transactions)} transactions, ${n(counts.customers)} customers, ${n(counts.locations)} stores in ${n(counts.jurisdictions)} jurisdictions`,
    `  data through ${summary.watermark ?? '(no transactions yet)'}`,
    '',
    `Outstanding liability: ${formatCents(total)} on ${n(totalCards)} cards`,
    ...table(
      ['jurisdiction', 'cards', 'liability'],
      byJurisdiction.map((row) => [row.key, n(row.cards), formatCents(row.liabilityCents)]),
    ),
    '',
    `Transactions by type, ${activity.from.slice(0, 10)} to ${activity.to.slice(0, 10)}`,
    ...table(
      ['type', 'count', 'net amount'],
      activity.rows.map((row) => [row.type, n(row.count), formatCents(row.amountCents)]),
    ),
  ]
  return lines.join('\n')
}

/** A plain aligned table: first column left, the rest right. */
function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows]
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)))
  const line = (r: string[]) =>
    `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('   ')}`
  return [line(header), `  ${widths.map((w) => '─'.repeat(w)).join('   ')}`, ...rows.map(line)]
}
