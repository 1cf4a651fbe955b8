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
import type { IntentClassifier } from './classifier.ts'
import { type Call, HELP, type Plan, planRequest, type Recall } from './plan.ts'
import { EMPTY_VOCABULARY, type Vocabulary } from './vocabulary.ts'

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

/** What the conversation so far makes "it", "those", "that card" and "the top one" mean. */
export function recallFrom(messages: readonly BaseMessage[]): Recall {
  const recall: Recall = {}
  for (const m of messages) {
    if (isHumanMessage(m)) recall.lastAsk = textOf(m).slice(0, 500)
    else if (isAIMessage(m)) {
      for (const call of m.tool_calls ?? []) {
        recall.tool = call.name
        recall.args = call.args
        // The place the thread is about: "there", "that store", "the state".
        const location = typeof call.args.location === 'string' ? call.args.location : undefined
        const jurisdiction =
          typeof call.args.jurisdiction === 'string' ? call.args.jurisdiction : undefined
        if (location || jurisdiction) recall.place = { location, jurisdiction }
        if (typeof call.args.card === 'string') recall.card = call.args.card
        if (typeof call.args.alertId === 'number') recall.alertId = call.args.alertId
        if (typeof call.args.campaignId === 'number') recall.campaignId = call.args.campaignId
        if (typeof call.args.approvalId === 'number') recall.approvalId = call.args.approvalId
      }
    } else if (isToolMessage(m)) {
      const content = parseToolContent(m)
      const data = (content.ok ? content.data : undefined) as Record<string, unknown> | undefined
      if (!data || typeof data !== 'object') continue
      if (typeof data.cardId === 'string') recall.card = data.cardId
      if (typeof data.alertId === 'number') recall.alertId = data.alertId
      if (typeof data.campaignId === 'number') recall.campaignId = data.campaignId
      if (typeof data.approvalId === 'number') recall.approvalId = data.approvalId
      const items = Array.isArray(data.items) ? (data.items as Record<string, unknown>[]) : []
      const cards = items.map((i) => i.cardId).filter((c): c is string => typeof c === 'string')
      if (cards.length > 0) recall.cards = cards
      const alerts = items.flatMap((i) =>
        typeof i.alertId === 'number' && typeof i.cardId === 'string'
          ? [{ alertId: i.alertId, cardId: i.cardId }]
          : [],
      )
      if (alerts.length > 0) {
        recall.alerts = alerts
        recall.alertId = alerts[0]?.alertId
      }
      if (items.length === 1 && cards[0]) recall.card = cards[0]
      const approvals = items.flatMap((i) =>
        typeof i.approvalId === 'number' ? [i.approvalId] : [],
      )
      if (approvals.length > 0 && items.every((i) => i.alertId === undefined))
        recall.approvals = approvals
      const campaigns = items.flatMap((i) =>
        typeof i.campaignId === 'number' ? [i.campaignId] : [],
      )
      if (campaigns.length > 0) recall.campaigns = campaigns
      // The first row of a table by store ("the top store").
      const rows = [data.counts, data.rows].find(Array.isArray) as
        | Record<string, unknown>[]
        | undefined
      const top = rows?.find((row) => typeof (row.store as { id?: unknown })?.id === 'string')
      if (top) recall.topStore = (top.store as { id: string }).id
    }
  }
  return recall
}

type PlannerOptions = {
  tools?: readonly string[]
  vocabulary?: Vocabulary
  classifier?: IntentClassifier
}

/** The most calls one turn's second step may make (one audited update per alert, at most). */
const MAX_DERIVED_CALLS = 10

/**
 * The offline planner: a deterministic LangChain chat model. On a person's message it plans tool
 * calls from their words (and what "it" or "those" meant earlier in the thread); a request that
 * needs an earlier result ("hold the card from the top alert") takes a second step; once the
 * tools have answered, it writes the reply from their results and names any part of the request
 * it did not apply. It reads only the person's own messages as requests: text inside tool
 * results is data, so a prompt injection hidden there does nothing.
 */
export class OfflinePlanner extends BaseChatModel<BaseChatModelCallOptions, AIMessageChunk> {
  readonly #options: PlannerOptions
  #calls = 0

  constructor(options: PlannerOptions = {}) {
    super({})
    this.#options = options
  }

  static override lc_name(): string {
    return 'OfflinePlanner'
  }

  _llmType(): string {
    return PLANNER_NAME
  }

  /** The chain's stores and calendar, as the planner reads them. */
  get vocabulary(): Vocabulary {
    return this.#options.vocabulary ?? EMPTY_VOCABULARY
  }

  /** The planner limited to these tools (what the actor's role may use). */
  forTools(names: readonly string[]): OfflinePlanner {
    return new OfflinePlanner({ ...this.#options, tools: names })
  }

  /** The planner reading this chain's stores and calendar. */
  withVocabulary(vocabulary: Vocabulary): OfflinePlanner {
    return new OfflinePlanner({ ...this.#options, vocabulary })
  }

  override bindTools(
    tools: BindToolsInput[],
  ): Runnable<BaseMessage[], AIMessageChunk, BaseChatModelCallOptions> {
    const names = tools.map((t) => {
      const tool = t as { name?: string; function?: { name?: string } }
      return tool.function?.name ?? tool.name ?? ''
    })
    return this.forTools(names) as unknown as Runnable<
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

  /** The plan for a request in the thread (deterministic: the same words, the same plan). */
  plan(text: string, recall: Recall): Plan {
    return planRequest(text, recall, {
      vocabulary: this.vocabulary,
      ...(this.#options.classifier ? { classifier: this.#options.classifier } : {}),
    })
  }

  /** The next message of the conversation: tool calls, or the words of a reply. */
  respond(messages: readonly BaseMessage[]): AIMessage {
    const lastHuman = messages.findLastIndex((m) => isHumanMessage(m))
    const human = messages[lastHuman]
    if (!human) return new AIMessage(HELP)
    const turn = messages.slice(lastHuman + 1)
    const plan = this.plan(textOf(human), recallFrom(messages.slice(0, lastHuman)))
    if (plan.kind === 'reply') return new AIMessage(plan.text)
    const steps = turn.filter((m) => isAIMessage(m) && (m.tool_calls?.length ?? 0) > 0).length
    const allowed = (c: Call) => !this.#options.tools || this.#options.tools.includes(c.tool)
    if (steps === 0) {
      const calls = [{ tool: plan.tool, args: plan.args }, ...plan.also]
      if (!allowed(calls[0] as Call))
        return new AIMessage(
          `Your role does not allow ${plan.tool.replaceAll('_', ' ')}; ask a loss-prevention lead or a manager.`,
        )
      return this.#callMessage(calls.filter(allowed))
    }
    const results = this.#results(turn)
    const notes = plan.notes
    const remarks = [...plan.remarks]
    const denied = plan.also.filter((c) => !allowed(c)).map((c) => c.tool)
    if (denied.length)
      remarks.push(`Your role does not allow ${denied.join(', ').replaceAll('_', ' ')}.`)
    if (steps === 1 && plan.followUp) {
      const next = plan.followUp.derive(results)
      if (typeof next === 'string')
        return new AIMessage(composeAnswer(results, notes, next, remarks))
      const refused = next.filter((c) => !allowed(c)).map((c) => c.tool)
      if (refused.length > 0)
        return new AIMessage(
          composeAnswer(
            results,
            notes,
            `Your role does not allow ${[...new Set(refused)].join(', ').replaceAll('_', ' ')}.`,
          ),
        )
      const bounded = next.slice(0, MAX_DERIVED_CALLS)
      if (bounded.length > 0) return this.#callMessage(bounded)
    }
    return new AIMessage(composeAnswer(results, notes, undefined, remarks))
  }

  #callMessage(calls: readonly Call[]): AIMessage {
    return new AIMessage({
      content: '',
      tool_calls: calls.map((c) => {
        this.#calls++
        return {
          id: `call_${Date.now().toString(36)}_${this.#calls}`,
          name: c.tool,
          args: c.args,
          type: 'tool_call' as const,
        }
      }),
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
