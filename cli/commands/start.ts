import type { Command } from 'commander'
import { Agent } from '../../agent/index.ts'
import { saveAlerts, scanLedger } from '../../analytics/index.ts'
import { addMonths, formatCents, parseDate, toIso } from '../../core/index.ts'
import {
  type Database,
  ledgerCounts,
  ledgerWatermark,
  liabilityAsOf,
  transactionSummary,
} from '../../db/index.ts'
import { grantRole, listActors } from '../../governance/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { progressBar } from '../progress.ts'
import { actorFor, defaultActorId } from '../session.ts'
import { runChat } from './chat.ts'
import { defaultSeedStart, describeSeed } from './seed.ts'

/**
 * `npm start`: the main job on embedded defaults. It migrates, makes a demo chain on first run
 * (DEMO_CARDS cards, 5,000 by default), and prints a summary of the ledger.
 */
export function registerStart(program: Command, ctx: () => CliContext): void {
  program
    .command('start')
    .description('migrate, seed a demo chain on first run, summarise the ledger, then chat')
    .option('--no-chat', 'only summarise the ledger')
    .option('--as <actor>', 'who is chatting (default: cli:<login>)')
    .action(async (raw: { chat: boolean; as?: string }) => {
      const context = ctx()
      await withDatabase(context, async (database) => {
        const counts = await ledgerCounts(database.db)
        if (counts.cards === 0) {
          console.log(
            `No cards in ${database.describe} yet: making a demo chain of ${context.config.demoCards.toLocaleString('en-US')} cards…`,
          )
          const bar = progressBar('seeding cards', context.config.demoCards)
          const { report, alerts } = await makeDemoChain(
            database,
            context.config.demoCards,
            (done) => bar.update(done),
          ).finally(() => bar.stop())
          console.log(`${describeSeed(report)}\n`)
          console.log(
            `Fraud scan of the demo ledger: ${alerts} alerts stored (giftcards fraud alerts).`,
          )
          console.log(`${await grantDemoRoles(database)}\n`)
        }
        console.log(await ledgerSummary(database))
        if (!raw.chat) return
        console.log('')
        const agent = await Agent.open(database, context.config)
        try {
          await runChat(agent, database, await actorFor(database, raw.as))
        } finally {
          await agent.close()
        }
      })
    })
}

/**
 * The demo chain comes with two people: the local login as loss prevention (so holds can be
 * requested) and `cli:manager` (who approves them, from `/as cli:manager` in the chat).
 */
async function grantDemoRoles(database: Database): Promise<string> {
  const me = defaultActorId()
  const existing = new Set((await listActors(database)).map((a) => a.id))
  if (!existing.has(me)) await grantRole(database, me, 'loss_prevention')
  if (!existing.has('cli:manager')) await grantRole(database, 'cli:manager', 'manager')
  return `Demo roles: ${me} is loss_prevention, cli:manager is manager (giftcards roles list).`
}

/**
 * The demo chain `npm start` makes on first run (seed 42, two years ending this month) and its
 * loss-prevention queue, which starts as a real one would: after a fraud scan. The held-out
 * measure (evals/heldout.ts) scores the planner on this same chain.
 */
export async function makeDemoChain(
  database: Database,
  cards: number,
  onProgress?: (done: number) => void,
): Promise<{ report: Awaited<ReturnType<typeof seedChain>>; alerts: number }> {
  const report = await seedChain(database, {
    cards,
    seed: 42,
    startMs: defaultSeedStart(),
    months: 24,
    ...(onProgress ? { onProgress } : {}),
  })
  const alerts = await saveAlerts(database, await scanLedger(database))
  return { report, alerts }
}

/** A readable summary: counts, outstanding liability by jurisdiction, a year of activity. */
export async function ledgerSummary(database: Database, now: Date = new Date()): Promise<string> {
  const { db } = database
  const counts = await ledgerCounts(db)
  const watermark = await ledgerWatermark(db)
  const byJurisdiction = await liabilityAsOf(db, { groupBy: 'jurisdiction' })
  const total = byJurisdiction.reduce((sum, row) => sum + row.liabilityCents, 0)
  const totalCards = byJurisdiction.reduce((sum, row) => sum + row.cards, 0)
  // "The last 12 months" ends at the newest data, so an older demo ledger still reads well.
  const end = Math.min(now.getTime(), watermark ? parseDate(watermark) + 1 : now.getTime())
  const from = addMonths(end, -12)
  const activity = await transactionSummary(db, { from: toIso(from), to: toIso(end) })
  const n = (x: number) => x.toLocaleString('en-US')

  const lines = [
    `Gift card ledger (${database.describe})`,
    `  ${n(counts.cards)} cards, ${n(counts.transactions)} transactions, ${n(counts.customers)} customers, ${n(counts.locations)} stores in ${n(counts.jurisdictions)} jurisdictions`,
    `  data through ${watermark ?? '(no transactions yet)'}`,
    '',
    `Outstanding liability: ${formatCents(total)} on ${n(totalCards)} cards`,
    ...table(
      ['jurisdiction', 'cards', 'liability'],
      byJurisdiction.map((row) => [row.key, n(row.cards), formatCents(row.liabilityCents)]),
    ),
    '',
    `Transactions by type, ${toIso(from).slice(0, 10)} to ${toIso(end).slice(0, 10)}`,
    ...table(
      ['type', 'count', 'net amount'],
      activity.map((row) => [row.type, n(row.count), formatCents(row.amountCents)]),
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
