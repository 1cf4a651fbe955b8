import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { z } from 'zod'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { actorFor, withAgent } from '../session.ts'

const askOptions = z.object({
  as: z.string().max(140).optional(),
  json: z.boolean().default(false),
  jsonl: z.boolean().default(false),
  thread: z.string().min(1).optional(),
})

export async function runAsk(ctx: () => CliContext, words: string[], raw: Flags): Promise<void> {
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
        ...(r.pending.length > 0 ? { pending_approvals: r.pending.map((p) => p.approvalId) } : {}),
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
}
