import type { Command } from 'commander'
import { z } from 'zod'
import { APPROVAL_STATUSES } from '../../governance/index.ts'
import type { CliContext } from '../context.ts'
import { intOption, parseOptions } from '../options.ts'
import { actorFor, withToolkit } from '../session.ts'

const listOptions = z.object({
  status: z
    .enum(APPROVAL_STATUSES, { error: `must be one of ${APPROVAL_STATUSES.join(', ')}` })
    .optional(),
  json: z.boolean().default(false),
})
const decideOptions = z.object({
  id: intOption(1, Number.MAX_SAFE_INTEGER),
  as: z.string().optional(),
  reason: z.string().min(1).optional(),
  json: z.boolean().default(false),
})

/** `giftcards approvals list|approve ID|reject ID --as ACTOR [--reason TEXT]`. */
export function registerApprovals(program: Command, ctx: () => CliContext): void {
  const approvals = program
    .command('approvals')
    .description('list and decide approval requests for write actions')
  approvals
    .command('list')
    .description('approval requests, newest first')
    .option('--status <status>', APPROVAL_STATUSES.join(' | '))
    .option('--json', 'print as JSON')
    .action(async (raw) => {
      const options = parseOptions(listOptions, raw)
      const rows = await withToolkit(ctx(), (kit) =>
        kit.approvals.list(
          options.status ? { status: options.status, limit: 200 } : { limit: 200 },
        ),
      )
      if (options.json) {
        console.log(JSON.stringify(rows, null, 2))
        return
      }
      if (rows.length === 0) console.log('No approval requests.')
      for (const a of rows)
        console.log(
          `#${a.id}  ${a.status.padEnd(8)}  ${a.summary}  (requested by ${a.requestedBy} via ${a.requestedVia}${a.decidedBy ? `; ${a.status} by ${a.decidedBy}` : `; expires ${a.expiresAt}`})`,
        )
    })
  for (const decision of ['approve', 'reject'] as const) {
    approvals
      .command(`${decision} <id>`)
      .description(`${decision} a pending request (managers other than the requester)`)
      .option('--as <actor>', 'the manager deciding (default: cli:<login>)')
      .option('--reason <text>', 'why')
      .option('--json', 'print the approval as JSON')
      .action(async (id: string, raw) => {
        const options = parseOptions(decideOptions, { ...raw, id })
        const approvalId = options.id
        const context = ctx()
        const result = await withToolkit(context, async (kit, database) =>
          kit.approvals.decide(approvalId, {
            actor: await actorFor(context, database, options.as),
            via: 'cli',
            decision,
            reason: options.reason ?? null,
          }),
        )
        if (options.json) console.log(JSON.stringify(result, null, 2))
        else console.log(result.message)
        if (result.approval.status === 'failed') process.exitCode = 1
      })
  }
}
