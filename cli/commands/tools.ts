import type { Command } from 'commander'
import { z } from 'zod'
import { GiftCardError } from '../../core/index.ts'
import type { CliContext } from '../context.ts'
import { parseOptions } from '../options.ts'
import { actorFor, withToolkit } from '../session.ts'

const callOptions = z.object({ as: z.string().max(140).optional() })

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
    .action(async (raw: { json?: boolean }) => {
      const list = await withToolkit(ctx(), async (kit) =>
        kit.executor.tools.map((t) => ({
          name: t.name,
          title: t.title,
          access: t.access,
          roles: t.roles,
        })),
      )
      if (raw.json) console.log(JSON.stringify(list, null, 2))
      else
        for (const t of list)
          console.log(
            `${t.name.padEnd(22)} ${t.access.padEnd(7)} ${t.roles.join(', ')}  ${t.title}`,
          )
    })
  tools
    .command('call <name> [input]')
    .description('call one tool with JSON input, as an actor')
    .option(
      '--as <actor>',
      'call as another actor (admins, or GIFTCARDS_ALLOW_AS=1; default: your login, cli:<login>)',
    )
    .action(async (name: string, input: string | undefined, raw) => {
      const options = parseOptions(callOptions, raw)
      let args: unknown = {}
      if (input !== undefined) {
        try {
          args = JSON.parse(input)
        } catch {
          throw new GiftCardError(
            'INVALID_INPUT',
            `the input must be JSON, e.g. '{"card":"gc_1234abcd"}'`,
          )
        }
      }
      const context = ctx()
      const outcome = await withToolkit(context, async (kit, database) =>
        kit.executor.call(name, args, {
          actor: await actorFor(context, database, options.as),
          via: 'cli',
        }),
      )
      const { approval: _approval, ...shown } = outcome as typeof outcome & { approval?: unknown }
      console.log(JSON.stringify(shown, null, 2))
      if (!outcome.ok) process.exitCode = 1
    })
}
