import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import { z } from 'zod'
import type { CliContext } from '../context.ts'
import { parseOptions } from '../options.ts'
import { actorFor, withAgent } from '../session.ts'

const askOptions = z.object({
  as: z.string().max(140).optional(),
  json: z.boolean().default(false),
  jsonl: z.boolean().default(false),
  thread: z.string().min(1).optional(),
})

/**
 * `giftcards ask "TEXT"` answers once; `--jsonl` reads one request per line from stdin (one
 * thread, so follow-ups work) and prints one JSON object per line.
 */
export function registerAsk(program: Command, ctx: () => CliContext): void {
  program
    .command('ask')
    .description('ask the agent once, or one request per stdin line with --jsonl')
    .argument('[text...]', 'the request')
    .option(
      '--as <actor>',
      'ask as another actor (admins, or GIFTCARDS_ALLOW_AS=1; default: your login, cli:<login>)',
    )
    .option('--json', 'print {input, tool_calls, reply, pending_approvals} as JSON')
    .option('--jsonl', 'read requests from stdin, one per line; print one JSON object per line')
    .option('--thread <id>', 'continue this conversation thread')
    .action(async (words: string[], raw) => {
      const options = parseOptions(askOptions, raw)
      const text = words.join(' ').trim()
      if (!options.jsonl && text === '')
        throw new Error('give the request, e.g. giftcards ask "liability by state"')
      const context = ctx()
      await withAgent(context, async (agent, database) => {
        const actor = await actorFor(context, database, options.as)
        const threadId = options.thread ?? `cli:${randomUUID()}`
        const turn = async (input: string) => {
          const r = await agent.ask(input, { threadId, actor, via: 'cli' })
          return {
            input,
            tool_calls: r.toolCalls,
            reply: r.reply,
            ...(r.pending.length > 0
              ? { pending_approvals: r.pending.map((p) => p.approvalId) }
              : {}),
          }
        }
        if (options.jsonl) {
          const lines = createInterface({
            input: process.stdin,
            crlfDelay: Number.POSITIVE_INFINITY,
          })
          for await (const line of lines) {
            if (line.trim() === '') continue
            console.log(JSON.stringify(await turn(line.trim())))
          }
          return
        }
        const result = await turn(text)
        console.log(options.json ? JSON.stringify(result, null, 2) : result.reply)
      })
    })
}
