import type { Command } from 'commander'
import { verifyAudit } from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'

/** `giftcards audit verify`: walks the hash chain; exit 1 when any row was edited, inserted or deleted. */
export function registerAudit(program: Command, ctx: () => CliContext): void {
  const audit = program.command('audit').description('the tamper-evident audit trail')
  audit
    .command('verify')
    .description('check the SHA-256 chain of the audit log')
    .option('--json', 'print as JSON')
    .action(async (raw: { json?: boolean }) => {
      const result = await withDatabase(ctx(), (database) => verifyAudit(database.db))
      if (raw.json) console.log(JSON.stringify(result, null, 2))
      else if (result.ok)
        console.log(`audit log intact: ${result.rows.toLocaleString('en-US')} rows, chain verified`)
      else {
        console.log(
          `audit log BROKEN: ${result.problems.length} problem(s) in ${result.rows.toLocaleString('en-US')} rows`,
        )
        for (const p of result.problems.slice(0, 50)) console.log(`  row ${p.id}: ${p.problem}`)
      }
      if (!result.ok) process.exitCode = 1
    })
}
