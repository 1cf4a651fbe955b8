import type { Command } from 'commander'
import { z } from 'zod'
import {
  type AuditVerification,
  auditCheckpointTargets,
  verifyAuditTrail,
  writeAuditCheckpoint,
} from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import { parseOptions } from '../options.ts'

const verifyOptions = z.object({
  json: z.boolean().optional(),
  checkpoints: z.string().min(1).max(4096).optional(),
})

const checkpointOptions = z.object({ json: z.boolean().optional(), force: z.boolean().optional() })

/**
 * `giftcards audit verify`: walks the keyed chain and holds it against the signed checkpoints;
 * exit 1 when any row was edited, inserted or deleted, the chain was rewritten, or the
 * checkpoints are missing or forged. `giftcards audit checkpoint`: anchors the head now.
 * docs/audit.md says what each finding means.
 */
export function registerAudit(program: Command, ctx: () => CliContext): void {
  const audit = program.command('audit').description('the tamper-evident audit trail')
  audit
    .command('verify')
    .description('check the HMAC chain of the audit log against its signed checkpoints')
    .option('--json', 'print as JSON')
    .option(
      '--checkpoints <file>',
      'hold the log against this checkpoint file (e.g. the copy the webhook received)',
    )
    .action(async (raw) => {
      const options = parseOptions(verifyOptions, raw)
      const result = await withDatabase(ctx(), (database) =>
        verifyAuditTrail(
          database,
          options.checkpoints ? { checkpointFile: options.checkpoints } : {},
        ),
      )
      if (options.json) console.log(JSON.stringify(result, null, 2))
      else printVerification(result)
      if (!result.ok) process.exitCode = 1
    })

  audit
    .command('checkpoint')
    .description('write a signed checkpoint of the chain’s head to the checkpoint file and webhook')
    .option('--force', 'write it even when the chain does not verify')
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const options = parseOptions(checkpointOptions, raw)
      await withDatabase(ctx(), async (database) => {
        // Anchoring a damaged chain would vouch for the damage: verify first.
        const before = await verifyAuditTrail(database)
        const damage = before.problems.filter((p) => p.kind !== 'checkpoint_missing')
        if (damage.length > 0 && !options.force) {
          printVerification(before)
          console.log(
            'no checkpoint written: the chain does not verify (--force writes one anyway)',
          )
          process.exitCode = 1
          return
        }
        const checkpoint = await writeAuditCheckpoint(database)
        if (options.json) {
          console.log(JSON.stringify(checkpoint, null, 2))
          return
        }
        const { file, url } = auditCheckpointTargets(database)
        const targets = [file, url && new URL(url).host]
        console.log(
          `checkpoint written: row ${checkpoint.lastId}, ${checkpoint.count.toLocaleString('en-US')} rows, to ${targets.filter(Boolean).join(' and ')}`,
        )
      })
    })
}

function printVerification(result: AuditVerification): void {
  if (result.developmentKey)
    console.error(
      'warning: AUDIT_KEY is unset, so the chain is keyed with the public development key: anyone can rewrite it unseen. Set AUDIT_KEY in production.',
    )
  console.log(`audit log ${result.summary}`)
  for (const p of result.problems.slice(0, 50))
    console.log(p.id === null ? `  ${p.problem}` : `  row ${p.id}: ${p.problem}`)
  if (result.problemCount > 50) console.log(`  … and ${result.problemCount - 50} more`)
}
