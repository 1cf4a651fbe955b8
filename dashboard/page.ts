import type { Actor } from '../governance/index.ts'
import type { ToolOutcome } from '../tools/index.ts'
import type { Html } from './html.ts'

/**
 * What a page is given: who is looking, a way to call a tool as them (through the tool
 * executor, `via = dashboard`: roles, pseudonyms, the pilot and the audit trail apply), and
 * what their role may do. A page never reads the ledger any other way.
 */
export type PageContext = {
  actor: Actor
  /** The session's form token for the page's forms; null for a Bearer request. */
  csrfToken: string | null
  run(tool: string, input: unknown): Promise<ToolOutcome>
  /** Whether the actor's role may call this tool (forms are shown only when it may). */
  may(tool: string): boolean
  /** Managers and admins decide approvals (governance/roles.ts canDecideApprovals). */
  canDecide: boolean
}

export type PageStatus = 200 | 400 | 403 | 404 | 409 | 500

/** A rendered page body, the HTTP status to send it with, and whether it draws charts. */
export type PageResult = { body: Html; status?: PageStatus; charts?: boolean }

/** A tool's data, typed loosely: pages read named fields and show what they find. */
// biome-ignore lint/suspicious/noExplicitAny: tool results are JSON read field by field
export type Data = any

/** The HTTP status a tool's error code is shown with. */
export function statusOf(code: string): PageStatus {
  if (code === 'INTERNAL' || code === 'DB_ERROR') return 500
  if (code === 'FORBIDDEN' || code === 'OUT_OF_SCOPE') return 403
  if (code.endsWith('NOT_FOUND')) return 404
  if (code === 'CONFLICT') return 409
  return 400
}
