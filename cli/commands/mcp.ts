import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

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
    .action(async (raw) => (await import('../actions/mcp.ts')).runMcp(ctx, raw))
}
