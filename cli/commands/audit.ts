import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

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
    .action(async (raw) => (await import('../actions/audit.ts')).runAuditVerify(ctx, raw))

  audit
    .command('checkpoint')
    .description('write a signed checkpoint of the chain’s head to the checkpoint file and webhook')
    .option('--force', 'write it even when the chain does not verify')
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/audit.ts')).runAuditCheckpoint(ctx, raw))
}
