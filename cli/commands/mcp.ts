import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { Command } from 'commander'
import { z } from 'zod'
import { resumeLeftApprovals } from '../../app/index.ts'
import { resolveActor } from '../../governance/index.ts'
import { createMcpServer } from '../../mcp-server/index.ts'
import type { CliContext } from '../context.ts'
import { parseOptions } from '../options.ts'
import { actorFor, withServices } from '../session.ts'

const mcpOptions = z.object({ as: z.string().max(140).optional() })

/**
 * `giftcards mcp [--as ACTOR]`: the MCP server over stdio, for Claude Desktop and any MCP client.
 * It acts as the login that started it (`cli:<login>`); `--as` is a claim, as everywhere in the
 * CLI. stdout carries only the protocol; logs and warnings (an empty ledger) go to stderr.
 */
export function registerMcp(program: Command, ctx: () => CliContext): void {
  program
    .command('mcp')
    .description('serve the tools over MCP on stdio (for Claude Desktop)')
    .option(
      '--as <actor>',
      'act as another actor (admins, or GIFTCARDS_ALLOW_AS=1; default: your login, cli:<login>)',
    )
    .action(async (raw) => {
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
    })
}
