import {
  getUiCapability,
  RESOURCE_MIME_TYPE,
  RESOURCE_URI_META_KEY,
  registerAppResource,
} from '@modelcontextprotocol/ext-apps/server'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { ClientCapabilities, Tool } from '@modelcontextprotocol/sdk/types.js'
import type { AnyTool } from '../../tools/index.ts'
import { decideApproval } from './decide-approval.ts'
import { reviewApproval } from './review-approval.ts'
import { approvalViewHtml } from './view.ts'

export * from './decide-approval.ts'
export * from './review-approval.ts'
export * from './view.ts'

/** The app's view, as the tools' `_meta.ui.resourceUri` names it. */
export const APPROVAL_VIEW_URI = 'ui://giftcards/approval-review.html'

/**
 * The MCP face's own tools (docs/mcp.md#approvals-in-the-client), run through the same executor
 * as the registry's but offered to no agent: review_approval to every MCP client (a manager's),
 * decide_approval only to a client that runs MCP Apps (see `appToolsFor`).
 */
export const APPROVAL_APP_TOOLS: readonly AnyTool[] = [reviewApproval, decideApproval]

/** Whether the client said, at `initialize`, that it renders MCP Apps views (SEP-1865). */
export function runsMcpApps(capabilities: ClientCapabilities | undefined): boolean {
  return getUiCapability(capabilities)?.mimeTypes?.includes(RESOURCE_MIME_TYPE) ?? false
}

/**
 * The app tools a client gets. decide_approval is a button, not a model's tool: a host that runs
 * MCP Apps keeps it from the model (`visibility: ["app"]`); a client that does not would hand it
 * to the model, so it is not offered there (the manager decides in Slack, the dashboard or the CLI).
 */
export function appToolsFor(capabilities: ClientCapabilities | undefined): readonly AnyTool[] {
  return runsMcpApps(capabilities) ? APPROVAL_APP_TOOLS : [reviewApproval]
}

/** `_meta.ui` of the app's tools (and the older flat key hosts still read), or nothing. */
export function appToolMeta(name: string): Tool['_meta'] | undefined {
  const visibility =
    name === reviewApproval.name ? ['model', 'app'] : name === decideApproval.name ? ['app'] : null
  if (!visibility) return undefined
  return {
    ui: { resourceUri: APPROVAL_VIEW_URI, visibility },
    [RESOURCE_URI_META_KEY]: APPROVAL_VIEW_URI,
  }
}

/** The view as a resource (`text/html;profile=mcp-app`): a static page, no ledger data in it. */
export function registerApprovalApp(server: McpServer): void {
  registerAppResource(
    server,
    'Approval review',
    APPROVAL_VIEW_URI,
    {
      title: 'Approval request, with Approve and Reject',
      description:
        'The card review_approval opens in a client that runs MCP Apps: the facts of one request and its buttons',
      _meta: { ui: { prefersBorder: true } },
    },
    (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: RESOURCE_MIME_TYPE,
          text: approvalViewHtml(),
          _meta: { ui: { prefersBorder: true } },
        },
      ],
    }),
  )
}
