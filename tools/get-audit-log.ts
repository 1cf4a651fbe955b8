import { z } from 'zod'
import { DAY_MS, MAX_OFFSET, MAX_ROW_ID, toIso } from '../core/index.ts'
import { AUDIT_PROBLEM_KINDS, readAudit, verifyAuditTrail } from '../governance/index.ts'
import { defineTool, LOSS_PREVENTION } from './define-tool.ts'
import { boundedInput } from './format.ts'

/** get_audit_log's result: a page of audit rows and, with verify, what the chain check found. */
export const getAuditLogOutput = z.object({
  chain: z
    .object({
      ok: z.boolean(),
      summary: z.string(),
      rows: z.number(),
      developmentKey: z.boolean(),
      anchoredUpTo: z.object({ at: z.string(), lastId: z.number() }).nullable(),
      problemCount: z.number(),
      problems: z.array(
        z.object({
          kind: z.enum(AUDIT_PROBLEM_KINDS),
          id: z.number().nullable(),
          problem: z.string(),
        }),
      ),
    })
    .optional(),
  rows: z.array(
    z.object({
      id: z.number(),
      at: z.string(),
      actor: z.string(),
      role: z.string().nullable(),
      via: z.string(),
      action: z.string(),
      tool: z.string().nullable(),
      /** The input as recorded (JSON), or its head when it was too long (`truncated`). */
      input: z.unknown(),
      result: z.string().nullable(),
      approvalId: z.number().nullable(),
      model: z.string().nullable(),
    }),
  ),
})
export type GetAuditLogResult = z.infer<typeof getAuditLogOutput>

export const getAuditLog = defineTool({
  name: 'get_audit_log',
  title: 'Read the audit log',
  description:
    'The tamper-evident audit trail, newest first: who called which tool or decided which approval, when, through which face, with what input and result. Filter by actor, tool, action, approval id or days back; verify=true also checks the HMAC chain against its signed checkpoints and names what it finds: an edited row (which id), a chain rewritten with a different key, rows deleted from the end or all of them, a checkpoint file missing or its signature wrong.',
  input: z.object({
    actor: z.string().max(120).optional().describe('only this actor, e.g. slack:U123'),
    tool: z.string().max(80).optional().describe('only this tool or action name'),
    action: z
      .string()
      .max(80)
      .optional()
      .describe('tool_call, approval_requested, approval_decided, approval_executed…'),
    approvalId: z
      .number()
      .int()
      .positive()
      .max(MAX_ROW_ID)
      .optional()
      .describe('only rows of this approval'),
    days: z.number().int().min(1).max(3650).optional().describe('only the last N days'),
    verify: z.boolean().default(false).describe('also verify the hash chain'),
    limit: z.number().int().min(1).max(100).default(20).describe('rows'),
    offset: z.number().int().min(0).max(MAX_OFFSET).default(0).describe('where the page starts'),
  }),
  output: getAuditLogOutput,
  access: 'read',
  roles: LOSS_PREVENTION,
  pilot: {
    unscoped:
      'the audit trail is the governance record of every call, refusals outside the pilot included; verifying its chain needs every row, and it is for loss prevention and managers only',
  },
  run: async (ctx, input) => {
    const rows = await readAudit(ctx.database.db, {
      ...(input.actor ? { actor: input.actor } : {}),
      ...(input.tool ? { tool: input.tool } : {}),
      ...(input.action ? { action: input.action } : {}),
      ...(input.approvalId !== undefined ? { approvalId: input.approvalId } : {}),
      ...(input.days ? { since: toIso(Date.now() - input.days * DAY_MS) } : {}),
      limit: input.limit,
      offset: input.offset,
    })
    const verification = input.verify ? await verifyAuditTrail(ctx.database) : undefined
    return {
      ...(verification
        ? {
            chain: {
              ok: verification.ok,
              summary: verification.summary,
              rows: verification.rows,
              developmentKey: verification.developmentKey,
              anchoredUpTo: verification.checkpoints?.newest ?? null,
              problemCount: verification.problemCount,
              problems: verification.problems.slice(0, 10),
            },
          }
        : {}),
      rows: rows.map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        role: r.role,
        via: r.via,
        action: r.action,
        tool: r.tool,
        input: r.input ? boundedInput(r.input) : null,
        result: r.result_summary,
        approvalId: r.approval_id,
        model: r.model,
      })),
    }
  },
})
