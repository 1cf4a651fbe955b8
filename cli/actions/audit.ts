import { z } from 'zod'
import {
  type AuditVerification,
  auditCheckpointTargets,
  verifyAuditTrail,
  writeAuditCheckpoint,
} from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'

const verifyOptions = z.object({
  json: z.boolean().optional(),
  checkpoints: z.string().min(1).max(4096).optional(),
})

const checkpointOptions = z.object({ json: z.boolean().optional(), force: z.boolean().optional() })

export async function runAuditVerify(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(verifyOptions, raw)
  const result = await withDatabase(ctx(), (database) =>
    verifyAuditTrail(database, options.checkpoints ? { checkpointFile: options.checkpoints } : {}),
  )
  if (options.json) console.log(JSON.stringify(result, null, 2))
  else printVerification(result)
  if (!result.ok) process.exitCode = 1
}

export async function runAuditCheckpoint(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(checkpointOptions, raw)
  await withDatabase(ctx(), async (database) => {
    // Anchoring a damaged chain would vouch for the damage: verify first.
    const before = await verifyAuditTrail(database)
    const damage = before.problems.filter((p) => p.kind !== 'checkpoint_missing')
    if (damage.length > 0 && !options.force) {
      printVerification(before)
      console.log('no checkpoint written: the chain does not verify (--force writes one anyway)')
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
