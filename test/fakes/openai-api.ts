import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One scripted answer: a tool call, or words. */
export type ScriptedReply =
  | { toolCalls: { name: string; args: Record<string, unknown> }[] }
  | { content: string }
  | { status: number }

export type FakeOpenAI = {
  url: string
  /** Answers to give, in order; when empty, the fake answers "(no script)". */
  script: ScriptedReply[]
  /** Every request body the fake received. */
  requests: { authorization?: string; body: Record<string, unknown> }[]
  close(): Promise<void>
}

/**
 * A loopback OpenAI-compatible server (POST /v1/chat/completions), as Ollama, vLLM or LM Studio
 * serve it: bearer auth, tool calls and content, and `stream: true` as server-sent events with
 * the tool call's arguments split across chunks the way OpenAI streams them.
 */
export async function startFakeOpenAI(apiKey: string): Promise<FakeOpenAI> {
  const fake = { script: [] as ScriptedReply[], requests: [] as FakeOpenAI['requests'] }
  let n = 0
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions'))
      return json(404, { error: { message: 'not found', type: 'invalid_request_error' } })
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return json(401, {
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      })
    const body = JSON.parse(raw) as Record<string, unknown>
    fake.requests.push({ authorization: req.headers.authorization, body })
    const reply = fake.script.shift() ?? { content: '(no script)' }
    if ('status' in reply)
      return json(reply.status, {
        error: { message: 'the model server is overloaded', type: 'server_error' },
      })
    const id = `chatcmpl-${++n}`
    const created = Math.floor(Date.now() / 1000)
    const model = String(body.model)
    const toolCalls =
      'toolCalls' in reply
        ? reply.toolCalls.map((c, i) => ({
            id: `call_${n}_${i}`,
            type: 'function' as const,
            function: { name: c.name, arguments: JSON.stringify(c.args) },
          }))
        : undefined
    const finish = toolCalls ? 'tool_calls' : 'stop'
    if (!body.stream) {
      return json(200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: toolCalls ? null : (reply as { content: string }).content,
              ...(toolCalls ? { tool_calls: toolCalls } : {}),
            },
            finish_reason: finish,
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      })
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    const send = (delta: Record<string, unknown>, finishReason: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`,
      )
    send({ role: 'assistant', content: toolCalls ? null : '' })
    if (toolCalls) {
      toolCalls.forEach((call, index) => {
        const args = call.function.arguments
        const half = Math.floor(args.length / 2)
        send({
          tool_calls: [
            {
              index,
              id: call.id,
              type: 'function',
              function: { name: call.function.name, arguments: args.slice(0, half) },
            },
          ],
        })
        send({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] })
      })
    } else {
      for (const word of (reply as { content: string }).content.split(/(?<= )/))
        send({ content: word })
    }
    send({}, finish)
    res.write('data: [DONE]\n\n')
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get script() {
      return fake.script
    },
    set script(s) {
      fake.script = s
    },
    requests: fake.requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
