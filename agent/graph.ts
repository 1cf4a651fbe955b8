import type { ToolDefinition } from '@langchain/core/language_models/base'
import type { BaseChatModel } from '@langchain/core/language_models/chat_models'
import {
  AIMessage,
  type AIMessageChunk,
  type BaseMessage,
  HumanMessage,
  isAIMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages'
import {
  Annotation,
  type BaseCheckpointSaver,
  END,
  interrupt,
  type LangGraphRunnableConfig,
  MessagesAnnotation,
  START,
  StateGraph,
} from '@langchain/langgraph'
import { z } from 'zod'
import { describeError, type Logger } from '../core/index.ts'
import type { Actor, Pseudonymiser, Via } from '../governance/index.ts'
import type { AnyTool, PendingApproval, ToolExecutor } from '../tools/index.ts'
import type { ModelChoice } from './models.ts'
import { PLANNER_NAME, textOf } from './planner/offline-model.ts'
import { systemPrompt } from './prompt.ts'

/** What a manager's decision resumes the thread with. */
export type ApprovalResume = {
  decisions: {
    approvalId: number
    status: string
    decidedBy: string | null
    outcome: Record<string, unknown> | null
    message: string
  }[]
}

/** The interrupt's payload: the approvals the thread waits for. */
export type ApprovalInterrupt = { kind: 'approval'; approvals: PendingApproval[] }

export const AgentState = Annotation.Root({
  ...MessagesAnnotation.spec,
  /** Approval requests filed in this turn that the thread waits on. */
  pending: Annotation<PendingApproval[]>({ reducer: (_old, next) => next, default: () => [] }),
  /** Which model wrote the last message (for the audit and the reply). */
  answeredBy: Annotation<string>({ reducer: (_old, next) => next, default: () => PLANNER_NAME }),
})
export type AgentStateType = typeof AgentState.State

export type RunContext = { actor: Actor; via: Via }

function runContext(config: LangGraphRunnableConfig): RunContext {
  const c = config.configurable as Partial<RunContext> | undefined
  if (!c?.actor || !c.via)
    throw new Error('the agent was run without an actor and a face (configurable.actor / via)')
  return { actor: c.actor, via: c.via }
}

/** A tool as a model is offered it: name, description and the JSON schema of its input. */
export function toolDefinition(tool: AnyTool): ToolDefinition {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.input, {
    io: 'input',
  }) as Record<string, unknown>
  return {
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters },
  }
}

/**
 * The agent (DESIGN §4): model ↔ tools, and an approval node. A write tool's call files an
 * approval request through the executor (like every call); the model then tells the person it is
 * pending, and the approval node pauses the thread with `interrupt()` until a manager's decision
 * resumes it. Nothing runs before the interrupt, so resuming repeats nothing.
 */
export function buildAgentGraph(deps: {
  executor: ToolExecutor
  models: ModelChoice
  pii: Pseudonymiser
  checkpointer: BaseCheckpointSaver
  logger?: Logger
  /** Sees every message list exactly as a model is shown it (evals check it for PII). */
  inspect?: (messages: readonly BaseMessage[]) => void
}) {
  const definitions = new Map<string, ToolDefinition>()
  const definitionsFor = (actor: Actor) =>
    deps.executor.visibleTo(actor.role).map((tool) => {
      let d = definitions.get(tool.name)
      if (!d) {
        d = toolDefinition(tool)
        definitions.set(tool.name, d)
      }
      return d
    })

  const callModel = async (state: AgentStateType, config: LangGraphRunnableConfig) => {
    const { actor } = runContext(config)
    const tools = definitionsFor(actor)
    // What the model sees: the policy, and the thread with any email or phone in a person's words tokenised.
    const messages: BaseMessage[] = [
      new SystemMessage(systemPrompt(actor)),
      ...state.messages.map((m) =>
        m instanceof HumanMessage ? new HumanMessage(deps.pii.scrubText(textOf(m))) : m,
      ),
    ]
    deps.inspect?.(messages)
    const { primary, planner } = deps.models
    if (primary) {
      try {
        const bound = (primary.model as BaseChatModel).bindTools?.(tools)
        if (!bound) throw new Error(`${primary.name} cannot call tools`)
        let reply: BaseMessage
        if (primary.streaming) {
          let whole: AIMessageChunk | undefined
          for await (const chunk of await bound.stream(messages, config))
            whole = whole ? whole.concat(chunk) : chunk
          if (!whole) throw new Error(`${primary.name} streamed nothing`)
          reply = new AIMessage({
            content: whole.content,
            tool_calls: whole.tool_calls ?? [],
            ...(whole.id ? { id: whole.id } : {}),
            response_metadata: whole.response_metadata,
          })
        } else reply = await bound.invoke(messages, config)
        return { messages: [reply], answeredBy: primary.name }
      } catch (err) {
        deps.logger?.warn(
          { err: describeError(err), endpoint: primary.endpoint },
          'the model endpoint failed; the offline planner answers',
        )
        const reply = planner.forTools(tools.map((t) => t.function.name)).respond(messages)
        const note = `(The language model at ${primary.endpoint} failed: ${describeError(err).slice(0, 160)}. The offline planner answered instead.)`
        return {
          messages: [
            reply.tool_calls?.length ? reply : new AIMessage(`${textOf(reply)}\n\n${note}`),
          ],
          answeredBy: `${PLANNER_NAME} (fallback)`,
        }
      }
    }
    return {
      messages: [planner.forTools(tools.map((t) => t.function.name)).respond(messages)],
      answeredBy: PLANNER_NAME,
    }
  }

  const runTools = async (state: AgentStateType, config: LangGraphRunnableConfig) => {
    const { actor, via } = runContext(config)
    const last = state.messages.at(-1)
    const calls = last && isAIMessage(last) ? (last.tool_calls ?? []) : []
    const messages: ToolMessage[] = []
    const pending: PendingApproval[] = [...state.pending]
    for (const call of calls) {
      const outcome = await deps.executor.call(call.name, call.args, {
        actor,
        via,
        model: state.answeredBy,
      })
      const content = outcome.ok
        ? { ok: true, data: outcome.data }
        : { ok: false, error: outcome.error }
      if (outcome.ok && outcome.approval) pending.push(outcome.data as PendingApproval)
      messages.push(
        new ToolMessage({
          content: JSON.stringify(content),
          tool_call_id: call.id ?? call.name,
          name: call.name,
        }),
      )
    }
    return { messages, pending }
  }

  const awaitApproval = async (state: AgentStateType) => {
    const resume = interrupt<ApprovalInterrupt, ApprovalResume>({
      kind: 'approval',
      approvals: state.pending,
    })
    const lines = resume.decisions.map((d) => d.message)
    return { messages: [new AIMessage(lines.join('\n'))], pending: [] }
  }

  const afterModel = (state: AgentStateType) => {
    const last = state.messages.at(-1)
    if (last && isAIMessage(last) && (last.tool_calls?.length ?? 0) > 0) return 'tools'
    return state.pending.length > 0 ? 'approval' : END
  }

  return new StateGraph(AgentState)
    .addNode('model', callModel)
    .addNode('tools', runTools)
    .addNode('approval', awaitApproval)
    .addEdge(START, 'model')
    .addConditionalEdges('model', afterModel, ['tools', 'approval', END])
    .addEdge('tools', 'model')
    .addEdge('approval', END)
    .compile({ checkpointer: deps.checkpointer })
}

export type AgentGraph = ReturnType<typeof buildAgentGraph>
