import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/**
 * The CLI face of the tool registry: `giftcards tools list` and `giftcards tools call NAME
 * '{"card":"gc_…"}' --as ACTOR`, which runs through the same executor as the agent and MCP
 * (validation, roles, approvals for writes, pseudonyms, audit) and prints `{ok, data | error}`.
 */
export function registerTools(program: Command, ctx: () => CliContext): void {
  const tools = program.command('tools').description('list the agent’s tools, or call one directly')
  tools
    .command('list')
    .description('every tool, with its access and roles')
    .option('--json', 'print as JSON')
    .action(async (raw: { json?: boolean }) =>
      (await import('../actions/tools.ts')).runToolsList(ctx, raw),
    )
  tools
    .command('call <name> [input]')
    .description('call one tool with JSON input, as an actor')
    .option(
      '--as <actor>',
      'call as another actor (admins, or GIFTCARDS_ALLOW_AS=1; default: your login, cli:<login>)',
    )
    .action(async (name: string, input: string | undefined, raw) =>
      (await import('../actions/tools.ts')).runToolsCall(ctx, name, input, raw),
    )
}
