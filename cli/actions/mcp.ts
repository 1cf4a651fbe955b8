import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { z } from 'zod'
import { resumeLeftApprovals } from '../../app/index.ts'
import { resolveActor } from '../../governance/index.ts'
import { createMcpServer } from '../../mcp-server/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { actorFor, withServices } from '../session.ts'

const mcpOptions = z.object({ as: z.string().max(140).optional() })

export async function runMcp(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(mcpOptions, raw)
  const context = ctx()
  await withServices(context, async ({ toolkit, database, logger }) => {
    const actor = await actorFor(context, database, options.as)
    // The role is read again at every request: a grant or revoke applies at the next call.
    const server = createMcpServer({
      executor: toolkit.executor,
      actor,
      currentActor: () => resolveActor(database, actor.id),
    })
    const transport = new StdioServerTransport()
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve()
      process.stdin.once('end', () => resolve())
    })
    await server.connect(transport)
    process.stderr.write(`giftcards MCP server on stdio as ${actor.id} (${actor.role})\n`)
    // Where Claude Desktop is the only server running, it resumes what a stopped process left
    // approved (logged on stderr: stdout carries only the protocol).
    await resumeLeftApprovals(toolkit, { id: 'system:mcp', role: null, via: 'mcp' }, logger)
    await closed
    await server.close()
  })
}
