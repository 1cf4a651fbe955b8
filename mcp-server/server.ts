import { randomUUID } from 'node:crypto'
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  type ImageContent,
  ListToolsRequestSchema,
  type Tool,
  type ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { chartForToolResult, renderChartPng } from '../charts/index.ts'
import type { Actor } from '../governance/index.ts'
import {
  type AnyTool,
  forecastBreakage,
  getGiftCard,
  getLiability,
  listFraudAlerts,
  type PendingApproval,
  type ProgressReporter,
  scopeSummarySchema,
  searchGiftCards,
  type ToolExecutor,
  type ToolOutcome,
} from '../tools/index.ts'
import { appToolMeta, appToolsFor, registerApprovalApp } from './approval-app/index.ts'
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

/** An export a result carried as CSV text, served back as a resource of the session. */
export type CsvExport = { uri: string; name: string; text: string }

/**
 * An executor outcome as an MCP tool result: a text summary and the result as JSON text, its
 * `structuredContent` (which matches the tool's `outputSchema`), then, when the result carries
 * CSV text, a `resource_link` to the CSV (`exportCsv` stores it and says where), or an isError
 * result. Images are added by the caller (they need rendering).
 */
export function toCallToolResult(
  tool: AnyTool | undefined,
  outcome: ToolOutcome,
  exportCsv?: (name: string, text: string) => CsvExport,
): CallToolResult {
  if (!outcome.ok) {
    const hint =
      outcome.error.code === 'INVALID_INPUT' && tool
        ? ` Expected: ${expectedParameters(tool)}.`
        : outcome.error.code === 'NOT_FOUND' && !tool
          ? ' Call tools/list for the tools there are.'
          : ''
    return {
      isError: true,
      content: [{ type: 'text', text: `${outcome.error.code}: ${outcome.error.message}.${hint}` }],
    }
  }
  const data = outcome.data as Record<string, unknown>
  const structured =
    data && typeof data === 'object' && !Array.isArray(data) ? { structuredContent: data } : {}
  if (data && (data as Partial<PendingApproval>).status === 'pending_approval') {
    const p = data as unknown as PendingApproval
    const text = `Pending approval #${p.approvalId}: ${p.summary}. Nothing has changed yet; it waits for ${p.approvers}. It expires ${p.expiresAt}.`
    return {
      content: [
        { type: 'text', text },
        { type: 'text', text: JSON.stringify(data) },
      ],
      ...structured,
    }
  }
  const content: CallToolResult['content'] = [{ type: 'text', text: JSON.stringify(data) }]
  const csv = data && typeof data === 'object' ? (data as { csv?: unknown }).csv : undefined
  if (typeof csv === 'string' && exportCsv) {
    const file = exportCsv(`${outcome.tool}.csv`, csv)
    content.push({
      type: 'resource_link',
      uri: file.uri,
      name: file.name,
      title: `${tool?.title ?? outcome.tool} (CSV)`,
      mimeType: 'text/csv',
      description: 'the rows of this answer as CSV, served by this server for this session',
    })
  }
  return { content, ...structured }
}

/**
 * A tool as `tools/list` shows it: title, description, the input schema, annotations, and the
 * output schema (the tool's, with the pilot `scope` every result may carry; docs/mcp.md).
 */
export function toolDefinition(tool: AnyTool): Tool {
  const output = (tool.output as z.ZodObject).extend({ scope: scopeSummarySchema.optional() })
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: z.toJSONSchema(tool.input, { io: 'input' }) as Tool['inputSchema'],
    outputSchema: z.toJSONSchema(output, { io: 'output' }) as Tool['outputSchema'],
    annotations: annotationsOf(tool),
  }
}

/** How many CSV exports a session keeps to serve (the oldest is dropped past it). */
export const MAX_SESSION_EXPORTS = 20

/**
 * The MCP face (DESIGN §5, docs/mcp.md): an McpServer over the registry, plus resources and
 * prompts, for one actor. The actor is asked for again at every request (`currentActor`), so a
 * role granted or revoked since applies at the next call: `tools/list` offers only the tools
 * the role may use (the executor still decides every call) and says so with
 * `notifications/tools/list_changed` when the role changes. Every call goes to the one executor
 * (which validates, checks the role, files writes as approvals, pseudonymises and audits with
 * via = mcp); its errors come back as isError results. A call with a progressToken gets the
 * tool's progress as `notifications/progress`; a series answer also gets its chart as a PNG.
 */
export function createMcpServer(deps: {
  executor: ToolExecutor
  actor: Actor
  /** The actor as it stands now (its role re-read); default: `actor`, unchanged. */
  currentActor?: () => Promise<Actor>
  model?: string
}): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION },
    {
      capabilities: { logging: {}, tools: { listChanged: true } },
      instructions:
        'Gift card ledger tools. Amounts are integer cents with a formatted amount. Holds, releases and campaign launches only file an approval request that a manager other than you must approve (review_approval shows one to a manager, with Approve and Reject in a client that runs MCP Apps). Customers appear only as pseudonyms.',
    },
  )
  let role = deps.actor.role
  /** The actor now; a role change since the last request tells the client its tools changed. */
  const actorNow = async (): Promise<Actor> => {
    const actor = deps.currentActor ? await deps.currentActor() : deps.actor
    if (actor.role !== role) {
      role = actor.role
      if (server.isConnected()) void server.sendToolListChanged()
    }
    return actor
  }
  const exports = new Map<string, CsvExport>()
  const exportCsv = (name: string, text: string): CsvExport => {
    const file = { uri: `giftcard://exports/${randomUUID()}.csv`, name, text }
    exports.set(file.uri, file)
    for (const uri of exports.keys()) {
      if (exports.size <= MAX_SESSION_EXPORTS) break
      exports.delete(uri)
    }
    return file
  }
  // The registry's tools and the approval app's (mcp-server/approval-app/): which app tools a
  // client gets depends on whether it said at `initialize` that it runs MCP Apps.
  const withApp = new Map<readonly AnyTool[], ToolExecutor>()
  const executorNow = (): ToolExecutor => {
    const tools = appToolsFor(server.server.getClientCapabilities())
    let executor = withApp.get(tools)
    if (!executor) {
      executor = deps.executor.including(tools)
      withApp.set(tools, executor)
    }
    return executor
  }
  const call = async (
    name: string,
    args: unknown,
    progress?: ProgressReporter,
  ): Promise<CallToolResult> => {
    const executor = executorNow()
    const outcome = await executor.call(name, args ?? {}, {
      actor: await actorNow(),
      via: 'mcp',
      model: deps.model ?? 'mcp-client',
      ...(progress ? { progress } : {}),
    })
    const tool = executor.tools.find((t) => t.name === name)
    const result = toCallToolResult(tool, outcome, exportCsv)
    if (outcome.ok) {
      const image = await chartImage(name, args, outcome.data)
      if (image) result.content.push(image)
    }
    return result
  }
  server.server.setRequestHandler(ListToolsRequestSchema, async () => {
    const actor = await actorNow()
    return {
      tools: executorNow()
        .visibleTo(actor.role)
        .map((tool) => {
          const meta = appToolMeta(tool.name)
          return meta ? { ...toolDefinition(tool), _meta: meta } : toolDefinition(tool)
        }),
    }
  })
  // The executor is the one place input is validated (and a bad call audited): calls go straight
  // to it, rather than through the SDK's own check of the same schema, which would answer first.
  server.server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    const token = request.params._meta?.progressToken
    const progress: ProgressReporter | undefined =
      token === undefined
        ? undefined
        : (done, total, message) => {
            void extra
              .sendNotification({
                method: 'notifications/progress',
                params: {
                  progressToken: token,
                  progress: done,
                  ...(total !== undefined ? { total } : {}),
                  message,
                },
              })
              .catch(() => {
                // A client gone mid-call: the call still completes and is audited.
              })
          }
    return call(request.params.name, request.params.arguments, progress)
  })

  registerResources(server, call, exports)
  registerApprovalApp(server)
  registerPrompts(server)
  return server
}

/**
 * The chart of a series answer (charts/ `chartForToolResult`: liability over time or by state,
 * a forecast, redemptions, alerts by rule) as an MCP image content item, or undefined. A chart
 * that cannot be drawn leaves the answer without one: the text and data are the answer.
 */
async function chartImage(
  tool: string,
  args: unknown,
  data: unknown,
): Promise<ImageContent | undefined> {
  const chart = chartForToolResult(tool, args, data)
  if (!chart) return undefined
  try {
    const png = await renderChartPng(chart, { width: 800 })
    return {
      type: 'image',
      data: png.toString('base64'),
      mimeType: 'image/png',
      annotations: { audience: ['user'] },
    }
  } catch {
    return undefined
  }
}

type Call = (name: string, args: unknown) => Promise<CallToolResult>

/** Reads a resource through a tool call, so it is role-checked, pseudonymised and audited too. */
async function readThrough(uri: URL, call: Call, tool: string, args: Record<string, unknown>) {
  const result = await call(tool, args)
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n')
  if (result.isError) throw new Error(text)
  return { contents: [{ uri: uri.href, mimeType: 'application/json', text }] }
}

function registerResources(
  server: McpServer,
  call: Call,
  exports: ReadonlyMap<string, CsvExport>,
): void {
  server.registerResource(
    'export',
    new ResourceTemplate('giftcard://exports/{file}', { list: undefined }),
    {
      title: 'An export of an answer',
      description: 'CSV rows an answer of this session linked to (ledger_metrics with format csv)',
      mimeType: 'text/csv',
    },
    (uri) => {
      const file = exports.get(uri.href)
      if (!file)
        throw new Error(
          `NOT_FOUND: ${uri.href} is not an export of this session (exports are kept per session, the latest ${MAX_SESSION_EXPORTS})`,
        )
      return { contents: [{ uri: uri.href, mimeType: 'text/csv', text: file.text }] }
    },
  )
  server.registerResource(
    'card',
    new ResourceTemplate('giftcard://cards/{card_id}', {
      list: async () => {
        const result = await call(searchGiftCards.name, { limit: 50 })
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
          const result = await call(searchGiftCards.name, {
            ...(last4 ? { last4 } : {}),
            limit: 20,
          })
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
      readThrough(uri, call, getGiftCard.name, { card: String(variables.card_id) }),
  )
  server.registerResource(
    'liability',
    'giftcard://reports/liability',
    {
      title: 'Outstanding liability by state',
      description: 'Unredeemed balances now, by jurisdiction',
      mimeType: 'application/json',
    },
    (uri) => readThrough(uri, call, getLiability.name, { groupBy: 'jurisdiction' }),
  )
  server.registerResource(
    'breakage',
    'giftcard://reports/breakage',
    {
      title: 'Breakage forecast, 12 months',
      description: 'Expected redemptions, breakage and ASC 606 recognition',
      mimeType: 'application/json',
    },
    (uri) => readThrough(uri, call, forecastBreakage.name, { horizonMonths: 12 }),
  )
  server.registerResource(
    'open-alerts',
    'giftcard://alerts/open',
    {
      title: 'Open fraud alerts',
      description: 'Open alerts, highest score first',
      mimeType: 'application/json',
    },
    (uri) => readThrough(uri, call, listFraudAlerts.name, { status: 'open', limit: 50 }),
  )
}
