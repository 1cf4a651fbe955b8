import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { Command } from 'commander'
import { z } from 'zod'
import { createLogger } from '../../core/index.ts'
import { createMcpServer } from '../../mcp-server/index.ts'
import type { CliContext } from '../context.ts'
import { parseOptions } from '../options.ts'
import { resumeLeftApprovals } from '../server.ts'
import { actorFor, withToolkit } from '../session.ts'

const mcpOptions = z.object({ as: z.string().optional() })

/**
 * `giftcards mcp [--as ACTOR]`: the MCP server over stdio, for Claude Desktop and any MCP client.
 * stdout carries only the protocol; logs go to stderr.
 */
export function registerMcp(program: Command, ctx: () => CliContext): void {
  program
    .command('mcp')
    .description('serve the tools over MCP on stdio (for Claude Desktop)')
    .option(
      '--as <actor>',
      'who the client acts as, e.g. mcp:alice (default: GIFTCARDS_ACTOR or cli:<login>)',
    )
    .action(async (raw) => {
      const options = parseOptions(mcpOptions, raw)
      await withToolkit(ctx(), async (toolkit, database) => {
        const actor = await actorFor(database, options.as)
        const server = createMcpServer({ executor: toolkit.executor, actor })
        const transport = new StdioServerTransport()
        const closed = new Promise<void>((resolve) => {
          transport.onclose = () => resolve()
          process.stdin.once('end', () => resolve())
        })
        await server.connect(transport)
        process.stderr.write(`giftcards MCP server on stdio as ${actor.id} (${actor.role})\n`)
        // Where Claude Desktop is the only server running, it resumes what a stopped process left
        // approved (logged on stderr: stdout carries only the protocol).
        await resumeLeftApprovals(
          toolkit,
          { id: 'system:mcp', role: null, via: 'mcp' },
          createLogger(ctx().config.logLevel),
        )
        await closed
        await server.close()
      })
    })
}
