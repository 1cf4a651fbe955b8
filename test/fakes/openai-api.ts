import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One tool call the fake's model makes: JSON arguments, or `arguments` sent exactly as given. */
export type ScriptedToolCall = {
  name: string
  args?: Record<string, unknown>
  /** The raw arguments string (say, broken JSON), instead of `args`. */
  arguments?: string
}

/** One scripted answer: tool calls, words, an error status, or silence. */
export type ScriptedReply =
  | { toolCalls: ScriptedToolCall[] }
  | { content: string }
  /** An error answer with OpenAI's error body; `headers` such as Retry-After. */
  | { status: number; headers?: Record<string, string>; message?: string; code?: string }
  /**
   * Accepts the request and never answers (`'request'`), or sends the 200 and the first chunk of
   * a stream and then nothing (`'stream'`), until the client gives up or the fake closes.
   */
  | { hang: 'request' | 'stream' }

/** A request the fake received, whatever it answered. */
export type ReceivedRequest = {
  authorization?: string
  body: Record<string, unknown>
  /** The status the fake answered with (200 for words, tool calls and silence). */
  status: number
  /** When it arrived (ms since the epoch). */
  at: number
}

export type FakeOpenAI = {
  url: string
  /** Answers to give, in order; when empty, the fake answers "(no script)". */
  script: ScriptedReply[]
  /** Every request the fake received, refused ones included. */
  requests: ReceivedRequest[]
  close(): Promise<void>
}

const ERROR_TYPES: Record<number, { type: string; code: string | null; message: string }> = {
  400: {
    type: 'invalid_request_error',
    code: null,
    message: "Invalid value for 'messages': the request is malformed.",
  },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided',
  },
  404: {
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: 'The model does not exist or you do not have access to it.',
  },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests per min (RPM).',
  },
}

/**
 * A loopback OpenAI-compatible server (POST /v1/chat/completions), as Ollama, vLLM or LM Studio
 * serve it: bearer auth, tool calls (several in one message when scripted so) and content,
 * `stream: true` as server-sent events with each tool call's arguments split across chunks the
 * way OpenAI streams them, OpenAI's error bodies, and the misbehaviours of a real endpoint
 * (errors with Retry-After, broken tool-call JSON, a request never answered). It listens on
 * 127.0.0.1 and stops by itself after `lifetimeMs` (default 5 minutes) if nobody closes it.
 */
export async function startFakeOpenAI(
  apiKey: string,
  options: { lifetimeMs?: number } = {},
): Promise<FakeOpenAI> {
  const fake = { script: [] as ScriptedReply[], requests: [] as ReceivedRequest[] }
  const hanging = new Set<ServerResponse>()
  let n = 0
  const server = createServer(async (req: IncomingMessage, res) => {
    const at = Date.now()
    let raw = ''
    for await (const chunk of req) raw += chunk
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    const error = (status: number, message?: string, code?: string) => {
      const known = ERROR_TYPES[status] ?? {
        type: 'server_error',
        code: null,
        message: 'the model server is overloaded',
      }
      return {
        error: {
          message: message ?? known.message,
          type: known.type,
          param: null,
          code: code ?? known.code,
        },
      }
    }
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(raw || '{}') as Record<string, unknown>
    } catch {}
    const received: ReceivedRequest = {
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      body,
      status: 200,
      at,
    }
    fake.requests.push(received)
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      received.status = 404
      return json(404, error(404, 'not found'))
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      received.status = 401
      return json(401, error(401))
    }
    const reply = fake.script.shift() ?? { content: '(no script)' }
    if ('status' in reply) {
      received.status = reply.status
      return json(reply.status, error(reply.status, reply.message, reply.code), reply.headers)
    }
    if ('hang' in reply) {
      hanging.add(res)
      res.on('close', () => hanging.delete(res))
      if (reply.hang === 'stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
        res.write(
          `data: ${JSON.stringify({ id: `chatcmpl-${++n}`, object: 'chat.completion.chunk', created: Math.floor(at / 1000), model: String(body.model), choices: [{ index: 0, delta: { role: 'assistant', content: 'Let me ' }, finish_reason: null }] })}\n\n`,
        )
      }
      return
    }
    const id = `chatcmpl-${++n}`
    const created = Math.floor(Date.now() / 1000)
    const model = String(body.model)
    const toolCalls =
      'toolCalls' in reply
        ? reply.toolCalls.map((c, i) => ({
            id: `call_${n}_${i}`,
            type: 'function' as const,
            function: { name: c.name, arguments: c.arguments ?? JSON.stringify(c.args ?? {}) },
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
  let closed: Promise<void> | undefined
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      server.close(() => resolve())
    })
    return closed
  }
  // Never outlives its test file, and never keeps the process alive.
  setTimeout(() => void close(), options.lifetimeMs ?? 300_000).unref()
  server.unref()
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get script() {
      return fake.script
    },
    set script(s) {
      fake.script = s
    },
    requests: fake.requests,
    close,
  }
}
