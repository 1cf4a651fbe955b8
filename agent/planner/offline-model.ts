import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager'
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
} from '@langchain/core/language_models/chat_models'
import {
  AIMessage,
  type AIMessageChunk,
  type BaseMessage,
  isAIMessage,
  isHumanMessage,
  isToolMessage,
} from '@langchain/core/messages'
import type { ChatResult } from '@langchain/core/outputs'
import type { Runnable } from '@langchain/core/runnables'
import { composeAnswer, type ToolResult } from './answer.ts'
import { HELP, planRequest, type Recall } from './intents.ts'

export const PLANNER_NAME = 'offline-planner'

/** The text of a message, whatever shape its content has. */
export function textOf(message: BaseMessage): string {
  const { content } = message
  if (typeof content === 'string') return content
  return content
    .map((part) => (typeof part === 'string' ? part : 'text' in part ? String(part.text) : ''))
    .join('')
}

function parseToolContent(message: BaseMessage): ToolResult['content'] {
  try {
    return JSON.parse(textOf(message)) as ToolResult['content']
  } catch {
    return { ok: false, error: { code: 'INTERNAL', message: textOf(message) } }
  }
}

/** What the conversation so far makes "it", "that card" and "that alert" mean. */
export function recallFrom(messages: readonly BaseMessage[]): Recall {
  const recall: Recall = {}
  for (const m of messages) {
    if (isAIMessage(m)) {
      for (const call of m.tool_calls ?? []) {
        recall.tool = call.name
        recall.args = call.args
        if (typeof call.args.card === 'string') recall.card = call.args.card
        if (typeof call.args.alertId === 'number') recall.alertId = call.args.alertId
        if (typeof call.args.campaignId === 'number') recall.campaignId = call.args.campaignId
      }
    } else if (isToolMessage(m)) {
      const content = parseToolContent(m)
      const data = (content.ok ? content.data : undefined) as Record<string, unknown> | undefined
      if (!data || typeof data !== 'object') continue
      if (typeof data.cardId === 'string') recall.card = data.cardId
      if (typeof data.alertId === 'number') recall.alertId = data.alertId
      if (typeof data.campaignId === 'number') recall.campaignId = data.campaignId
      if (typeof data.approvalId === 'number') recall.approvalId = data.approvalId
      const first = Array.isArray(data.items)
        ? (data.items[0] as Record<string, unknown> | undefined)
        : undefined
      if (first && typeof first.alertId === 'number') recall.alertId = first.alertId
      if (Array.isArray(data.items) && data.items.length === 1 && typeof first?.cardId === 'string')
        recall.card = first.cardId
    }
  }
  return recall
}

type PlannerOptions = { tools?: readonly string[] }

/**
 * The offline planner: a deterministic LangChain chat model. On a person's message it plans a
 * tool call from their words (and what "it" meant earlier in the thread); once the tools have
 * answered, it writes the reply from their results. It reads only the person's own messages as
 * requests: text inside tool results is data, so a prompt injection hidden there does nothing.
 */
export class OfflinePlanner extends BaseChatModel<BaseChatModelCallOptions, AIMessageChunk> {
  readonly #tools: readonly string[] | undefined
  #calls = 0

  constructor(options: PlannerOptions = {}) {
    super({})
    this.#tools = options.tools
  }

  static override lc_name(): string {
    return 'OfflinePlanner'
  }

  _llmType(): string {
    return PLANNER_NAME
  }

  /** The planner limited to these tools (what the actor's role may use). */
  forTools(names: readonly string[]): OfflinePlanner {
    return new OfflinePlanner({ tools: names })
  }

  override bindTools(
    tools: BindToolsInput[],
  ): Runnable<BaseMessage[], AIMessageChunk, BaseChatModelCallOptions> {
    const names = tools.map((t) => {
      const tool = t as { name?: string; function?: { name?: string } }
      return tool.function?.name ?? tool.name ?? ''
    })
    return new OfflinePlanner({ tools: names }) as unknown as Runnable<
      BaseMessage[],
      AIMessageChunk,
      BaseChatModelCallOptions
    >
  }

  async _generate(
    messages: BaseMessage[],
    _options: this['ParsedCallOptions'],
    _run?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const message = this.respond(messages)
    return { generations: [{ text: textOf(message), message }] }
  }

  /** The next message of the conversation: a tool call, or the words of a reply. */
  respond(messages: readonly BaseMessage[]): AIMessage {
    const lastHuman = messages.findLastIndex((m) => isHumanMessage(m))
    const turn = messages.slice(lastHuman + 1)
    if (turn.some((m) => isToolMessage(m))) return new AIMessage(composeAnswer(this.#results(turn)))
    const human = messages[lastHuman]
    if (!human) return new AIMessage(HELP)
    const plan = planRequest(textOf(human), recallFrom(messages.slice(0, lastHuman)))
    if (plan.kind === 'reply') return new AIMessage(plan.text)
    if (this.#tools && !this.#tools.includes(plan.tool))
      return new AIMessage(
        `Your role does not allow ${plan.tool.replaceAll('_', ' ')}; ask a loss-prevention lead or a manager.`,
      )
    this.#calls++
    return new AIMessage({
      content: '',
      tool_calls: [
        {
          id: `call_${Date.now().toString(36)}_${this.#calls}`,
          name: plan.tool,
          args: plan.args,
          type: 'tool_call',
        },
      ],
    })
  }

  #results(turn: readonly BaseMessage[]): ToolResult[] {
    const args = new Map<string, { name: string; args: Record<string, unknown> }>()
    for (const m of turn)
      if (isAIMessage(m))
        for (const c of m.tool_calls ?? []) if (c.id) args.set(c.id, { name: c.name, args: c.args })
    return turn.filter(isToolMessage).map((m) => {
      const call = args.get(m.tool_call_id)
      return {
        tool: call?.name ?? m.name ?? 'tool',
        args: call?.args ?? {},
        content: parseToolContent(m),
      }
    })
  }
}
