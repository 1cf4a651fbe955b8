import { z } from 'zod'
import { GiftCardError } from '../../core/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { actorFor, withToolkit } from '../session.ts'

const callOptions = z.object({ as: z.string().max(140).optional() })

export async function runToolsList(ctx: () => CliContext, raw: { json?: boolean }): Promise<void> {
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
      console.log(`${t.name.padEnd(22)} ${t.access.padEnd(7)} ${t.roles.join(', ')}  ${t.title}`)
}

export async function runToolsCall(
  ctx: () => CliContext,
  name: string,
  input: string | undefined,
  raw: Flags,
): Promise<void> {
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
}
