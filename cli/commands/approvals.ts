import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/** governance's APPROVAL_STATUSES, named here so `--help` need not load governance/. */
const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'executed', 'failed']

/**
 * `giftcards approvals list|approve ID|reject ID --as ACTOR [--reason TEXT]|resume`
 * (docs/approvals.md).
 */
export function registerApprovals(program: Command, ctx: () => CliContext): void {
  const approvals = program
    .command('approvals')
    .description('list and decide approval requests for write actions')
  approvals
    .command('list')
    .description('approval requests, newest first')
    .option('--status <status>', APPROVAL_STATUSES.join(' | '))
    .option('--json', 'print as JSON')
    .action(async (raw) => (await import('../actions/approvals.ts')).runApprovalsList(ctx, raw))
  for (const decision of ['approve', 'reject'] as const) {
    approvals
      .command(`${decision} <id>`)
      .description(`${decision} a pending request (managers other than the requester)`)
      .option('--as <actor>', 'the manager deciding (default: cli:<login>)')
      .option('--reason <text>', 'why')
      .option('--json', 'print the approval as JSON')
      .action(async (id: string, raw) =>
        (await import('../actions/approvals.ts')).runApprovalsDecide(ctx, decision, id, raw),
      )
  }
  approvals
    .command('resume')
    .description(
      'execute approved requests a stopped process left unexecuted, each exactly once (`giftcards serve` does it at start)',
    )
    .option('--json', 'print the results as JSON')
    .action(async (raw) => (await import('../actions/approvals.ts')).runApprovalsResume(ctx, raw))
}
