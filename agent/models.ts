import type { ToolDefinition } from '@langchain/core/language_models/base'
import type { BaseChatModel } from '@langchain/core/language_models/chat_models'
import {
  AIMessage,
  type AIMessageChunk,
  type BaseMessage,
  type InvalidToolCall,
  type ToolCall,
} from '@langchain/core/messages'
import type { RunnableConfig } from '@langchain/core/runnables'
import { ChatOpenAI } from '@langchain/openai'
import { type Config, DEFAULT_OPENAI_TIMEOUT_MS, describeError } from '../core/index.ts'
import { OfflinePlanner, PLANNER_NAME } from './planner/offline-model.ts'

/**
 * How a failed request to the model endpoint is tried again: on 429, 5xx and a refused or reset
 * connection only (never on 400, 401, 403, 404: asking again gets the same answer), after the
 * server's Retry-After (or retry-after-ms) when it sends one, else an exponential backoff.
 */
export type RetryPolicy = {
  /** Requests after the first. */
  retries: number
  /** The first backoff; doubled at each retry, with up to a quarter taken off at random. */
  baseDelayMs: number
  /** The longest wait between two requests: a server asking for longer is not asked again. */
  maxDelayMs: number
}

/** Two retries, 0.5 s then 1 s apart (or as Retry-After says, up to 8 s). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 2, baseDelayMs: 500, maxDelayMs: 8_000 }

/** The LLM the agent asks first. */
export type PrimaryModel = {
  model: BaseChatModel
  name: string
  endpoint: string
  /** Read the answer as a stream of chunks (the agent assembles them). */
  streaming: boolean
  /** One model call's budget, retries and their waits included (default OPENAI_TIMEOUT_MS's). */
  timeoutMs?: number
  /** Default DEFAULT_RETRY_POLICY. */
  retry?: RetryPolicy
}

export type ModelChoice = {
  /** The model the agent asks first; undefined means the planner alone. */
  primary?: PrimaryModel
  planner: OfflinePlanner
}

/**
 * ChatOpenAI when OPENAI_API_KEY is set (OPENAI_BASE_URL points it at Ollama, vLLM, LM Studio or
 * a gateway; OPENAI_MODEL picks the model; OPENAI_TIMEOUT_MS bounds each call), otherwise the
 * offline planner. The planner is always there as the fallback when the endpoint fails.
 */
export function chooseModel(
  config: Config,
  options: { streaming?: boolean; retry?: Partial<RetryPolicy> } = {},
): ModelChoice {
  const planner = new OfflinePlanner()
  const { apiKey, baseUrl, model } = config.openai
  if (!apiKey) return { planner }
  const timeoutMs = config.openai.timeoutMs ?? DEFAULT_OPENAI_TIMEOUT_MS
  const chat = new ChatOpenAI({
    model,
    apiKey,
    temperature: 0,
    // askModel retries, bounded by the call's budget; LangChain's own retry (up to 6, waiting as
    // long as a 429's Retry-After says, up to a minute) would go past it.
    maxRetries: 0,
    // The SDK's own timeout, a backstop a second after askModel's deadline (which also covers a
    // stream that stalls mid-answer).
    timeout: timeoutMs + 1_000,
    // Not `streaming: true`: ChatOpenAI then estimates token counts with an encoder it downloads,
    // which hangs offline. The agent streams with .stream() and assembles the chunks itself.
    ...(baseUrl ? { configuration: { baseURL: baseUrl } } : {}),
  })
  return {
    primary: {
      model: chat,
      name: model,
      endpoint: baseUrl ?? 'https://api.openai.com/v1',
      streaming: options.streaming ?? false,
      timeoutMs,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    },
    planner,
  }
}

/** Why a model call gave up: what the person is told before the planner's answer. */
export class ModelCallError extends Error {
  constructor(
    readonly reason: 'timed_out' | 'failed',
    message: string,
    /** Requests sent, retries included. */
    readonly attempts: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, options)
    this.name = 'ModelCallError'
  }
}

/** The HTTP status of an endpoint's error answer (undefined: no answer came). */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status
  return typeof status === 'number' ? status : undefined
}

function headerOf(err: unknown, name: string): string | undefined {
  const headers = (err as { headers?: unknown } | null)?.headers
  if (!headers || typeof headers !== 'object') return undefined
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name) ?? undefined
  const value = (headers as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * How long the server asks us to wait before asking again, in ms: `retry-after-ms` (OpenAI's),
 * else `Retry-After` in seconds or as an HTTP date. Undefined when it says nothing readable.
 */
export function retryAfterMs(err: unknown, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headerOf(err, 'retry-after-ms') ?? '')
  if (Number.isFinite(ms) && ms >= 0) return ms
  const value = headerOf(err, 'retry-after')?.trim()
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number.parseFloat(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Whether asking again may get another answer: 408, 429 (not an exhausted quota) and 5xx; a
 * connection refused or reset (no status at all). Not 400, 401, 403, 404 or 422.
 */
export function isRetryable(err: unknown): boolean {
  const status = statusOf(err)
  if (status === undefined)
    return (
      (err as { constructor?: { name?: string } } | null)?.constructor?.name ===
      'APIConnectionError'
    )
  if (status === 429) return (err as { code?: unknown }).code !== 'insufficient_quota'
  return status === 408 || status >= 500
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * One model call with the tools offered, bounded by `primary.timeoutMs` (30 s) whatever the endpoint
 * does (retries and their waits included), and retried per `primary.retry`. The answer comes
 * back normalised (see {@link normaliseReply}); a failure comes back as a ModelCallError.
 */
export async function askModel(
  primary: PrimaryModel,
  messages: BaseMessage[],
  tools: ToolDefinition[],
  config: RunnableConfig = {},
): Promise<AIMessage> {
  const bound = primary.model.bindTools?.(tools)
  if (!bound) throw new ModelCallError('failed', `${primary.name} cannot call tools`, 0)
  const started = Date.now()
  const timeoutMs = primary.timeoutMs ?? DEFAULT_OPENAI_TIMEOUT_MS
  const { retries, baseDelayMs, maxDelayMs } = primary.retry ?? DEFAULT_RETRY_POLICY
  for (let attempt = 1; ; attempt++) {
    const deadline = AbortSignal.timeout(Math.max(1, started + timeoutMs - Date.now()))
    const signal = config.signal ? AbortSignal.any([deadline, config.signal]) : deadline
    try {
      const options = { ...config, signal }
      if (!primary.streaming) return normaliseReply(await bound.invoke(messages, options))
      let whole: AIMessageChunk | undefined
      for await (const chunk of await bound.stream(messages, options))
        whole = whole ? whole.concat(chunk) : chunk
      if (!whole) throw new Error(`${primary.name} streamed nothing`)
      return normaliseReply(whole)
    } catch (err) {
      if (deadline.aborted || (err as { name?: unknown } | null)?.name === 'TimeoutError')
        throw new ModelCallError('timed_out', `timed out after ${seconds(timeoutMs)}`, attempt, {
          cause: err,
        })
      const detail = `${oneLine(err)}${attempt > 1 ? ` (${attempt} attempts)` : ''}`
      if (config.signal?.aborted || !isRetryable(err) || attempt > retries)
        throw new ModelCallError('failed', detail, attempt, { cause: err })
      const asked = retryAfterMs(err)
      const wait = asked ?? baseDelayMs * 2 ** (attempt - 1) * (1 - Math.random() * 0.25)
      if (asked !== undefined && asked > maxDelayMs)
        throw new ModelCallError(
          'failed',
          `${detail}; it asked to wait ${seconds(asked)}, longer than the ${seconds(maxDelayMs)} allowed`,
          attempt,
          { cause: err },
        )
      // A retry that could not finish inside the budget is not started.
      if (Date.now() + wait >= started + timeoutMs)
        throw new ModelCallError('failed', detail, attempt, { cause: err })
      await pause(wait)
    }
  }
}

/**
 * An error as one short line: the endpoint's own message, without the troubleshooting link
 * LangChain adds on a line of its own.
 */
export function oneLine(err: unknown, max = 120): string {
  const line = (describeError(err).split('\n')[0] ?? '').trim()
  return line.length > max ? `${line.slice(0, max)}…` : line
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 1000 ? 2 : 1))} s`
}

/**
 * The model's answer as the graph keeps it: text content (never null), every tool call with an
 * id (some local servers send none), and each call whose arguments were not a JSON object kept
 * in `invalid_tool_calls` and, with empty arguments, among `tool_calls` too, so the answer sent
 * back to the endpoint pairs every tool result with its call (servers that re-parse arguments —
 * LiteLLM, llama.cpp's templates — refuse a conversation carrying broken JSON).
 */
export function normaliseReply(message: AIMessage | AIMessageChunk): AIMessage {
  let n = 0
  const stamp = Date.now().toString(36)
  const idFor = (given: string | undefined) => (given ? given : `call_${stamp}_${++n}`)
  const calls: ToolCall[] = (message.tool_calls ?? []).map((c) => ({
    name: c.name,
    args: c.args,
    id: idFor(c.id),
    type: 'tool_call',
  }))
  const invalid: InvalidToolCall[] = (message.invalid_tool_calls ?? []).map((c) => ({
    ...c,
    id: idFor(c.id),
    type: 'invalid_tool_call',
  }))
  return new AIMessage({
    content: message.content ?? '',
    tool_calls: [
      ...calls,
      ...invalid.map(
        (c): ToolCall => ({ name: c.name ?? '', args: {}, id: c.id, type: 'tool_call' }),
      ),
    ],
    invalid_tool_calls: invalid,
    ...(message.id ? { id: message.id } : {}),
    response_metadata: message.response_metadata ?? {},
    ...(message.usage_metadata ? { usage_metadata: message.usage_metadata } : {}),
  })
}

export { PLANNER_NAME }
