import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  type ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js'
import type { z } from 'zod'
import type { Actor } from '../governance/index.ts'
import type { AnyTool, PendingApproval, ToolExecutor, ToolOutcome } from '../tools/index.ts'
import { registerPrompts } from './prompts.ts'

export const MCP_SERVER_NAME = 'giftcards'
export const MCP_SERVER_VERSION = '0.1.0'

/** What MCP clients are told a tool does to the world. */
export function annotationsOf(tool: AnyTool): ToolAnnotations {
  if (tool.access === 'write')
    return {
      title: tool.title,
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: true,
    }
  if (tool.access === 'direct')
    return {
      title: tool.title,
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    }
  return {
    title: tool.title,
    readOnlyHint: !tool.records,
    destructiveHint: false,
    idempotentHint: !tool.records,
    openWorldHint: false,
  }
}

/** The parameters a tool expects, in words, for an error a model can act on. */
export function expectedParameters(tool: AnyTool): string {
  const shape = tool.input.shape as Record<string, z.ZodType>
  return Object.entries(shape)
    .map(([name, schema]) => {
      const optional = schema.safeParse(undefined).success
      return `${name}${optional ? ' (optional)' : ''}: ${schema.description ?? 'see the schema'}`
    })
    .join('; ')
}

/** An executor outcome as an MCP tool result: text and structured content, or an isError result. */
export function toCallToolResult(tool: AnyTool | undefined, outcome: ToolOutcome): CallToolResult {
  if (!outcome.ok) {
    const hint =
      outcome.error.code === 'INVALID_INPUT' && tool
        ? ` Expected: ${expectedParameters(tool)}.`
        : outcome.error.code === 'FORBIDDEN' && !tool
          ? ' Call tools/list for the tools there are.'
          : ''
    return {
      isError: true,
      content: [{ type: 'text', text: `${outcome.error.code}: ${outcome.error.message}.${hint}` }],
    }
  }
  const data = outcome.data as Record<string, unknown>
  if (data && (data as Partial<PendingApproval>).status === 'pending_approval') {
    const p = data as unknown as PendingApproval
    const text = `Pending approval #${p.approvalId}: ${p.summary}. Nothing has changed yet; it waits for ${p.approvers}. It expires ${p.expiresAt}.`
    return {
      content: [
        { type: 'text', text },
        { type: 'text', text: JSON.stringify(data) },
      ],
      structuredContent: data,
    }
  }
  return {
    content: [{ type: 'text', text: JSON.stringify(data) }],
    ...(data && typeof data === 'object' && !Array.isArray(data)
      ? { structuredContent: data }
      : {}),
  }
}

/**
 * The MCP face (DESIGN §5): an McpServer that registers every tool of the registry — title,
 * description, the zod input schema and annotations — plus resources and prompts, for one actor.
 * Every call goes to the one executor (which validates, checks the role, files writes as
 * approvals, pseudonymises and audits with via = mcp); its errors come back as isError results.
 */
export function createMcpServer(deps: {
  executor: ToolExecutor
  actor: Actor
  model?: string
}): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION },
    {
      capabilities: { logging: {} },
      instructions:
        'Gift card ledger tools. Amounts are integer cents with a formatted amount. Holds, releases and campaign launches only file an approval request that a manager other than you must approve. Customers appear only as pseudonyms.',
    },
  )
  const call = async (name: string, args: unknown): Promise<CallToolResult> => {
    const outcome = await deps.executor.call(name, args ?? {}, {
      actor: deps.actor,
      via: 'mcp',
      model: deps.model ?? 'mcp-client',
    })
    return toCallToolResult(
      deps.executor.tools.find((t) => t.name === name),
      outcome,
    )
  }
  for (const tool of deps.executor.tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        annotations: annotationsOf(tool),
      },
      (args: unknown) => call(tool.name, args),
    )
  }
  // The executor is the one place input is validated (and a bad call audited): calls go straight
  // to it, rather than through the SDK's own check of the same schema, which would answer first.
  server.server.setRequestHandler(CallToolRequestSchema, (request) =>
    call(request.params.name, request.params.arguments),
  )

  registerResources(server, call)
  registerPrompts(server)
  return server
}

type Call = (name: string, args: unknown) => Promise<CallToolResult>

/** Reads a resource through a tool call, so it is role-checked, pseudonymised and audited too. */
async function readThrough(uri: URL, call: Call, tool: string, args: Record<string, unknown>) {
  const result = await call(tool, args)
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n')
  if (result.isError) throw new Error(text)
  return { contents: [{ uri: uri.href, mimeType: 'application/json', text }] }
}

function registerResources(server: McpServer, call: Call): void {
  server.registerResource(
    'card',
    new ResourceTemplate('giftcard://cards/{card_id}', {
      list: async () => {
        const result = await call('search_gift_cards', { limit: 50 })
        const data = result.structuredContent as
          | { items?: { cardId: string; last4: string; balance: { formatted: string } }[] }
          | undefined
        return {
          resources: (data?.items ?? []).map((c) => ({
            uri: `giftcard://cards/${c.cardId}`,
            name: c.cardId,
            title: `Card …${c.last4} (${c.balance.formatted})`,
            mimeType: 'application/json',
          })),
        }
      },
      complete: {
        card_id: async (value) => {
          const last4 = /^\d{4}$/.test(value) ? value : undefined
          const result = await call('search_gift_cards', { ...(last4 ? { last4 } : {}), limit: 20 })
          const data = result.structuredContent as { items?: { cardId: string }[] } | undefined
          return (data?.items ?? [])
            .map((c) => c.cardId)
            .filter((id) => last4 || id.startsWith(value))
        },
      },
    }),
    {
      title: 'A gift card',
      description: 'One card: balance, status, hold, open alerts and recent transactions',
      mimeType: 'application/json',
    },
    (uri, variables) =>
      readThrough(uri, call, 'get_gift_card', { card: String(variables.card_id) }),
  )
  server.registerResource(
    'liability',
    'giftcard://reports/liability',
    {
      title: 'Outstanding liability by state',
      description: 'Unredeemed balances now, by jurisdiction',
      mimeType: 'application/json',
    },
    (uri) => readThrough(uri, call, 'get_liability', { groupBy: 'jurisdiction' }),
  )
  server.registerResource(
    'breakage',
    'giftcard://reports/breakage',
    {
      title: 'Breakage forecast, 12 months',
      description: 'Expected redemptions, breakage and ASC 606 recognition',
      mimeType: 'application/json',
    },
    (uri) => readThrough(uri, call, 'forecast_breakage', { horizonMonths: 12 }),
  )
  server.registerResource(
    'open-alerts',
    'giftcard://alerts/open',
    {
      title: 'Open fraud alerts',
      description: 'Open alerts, highest score first',
      mimeType: 'application/json',
    },
    (uri) => readThrough(uri, call, 'list_fraud_alerts', { status: 'open', limit: 50 }),
  )
}
