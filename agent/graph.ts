import type { ToolDefinition } from '@langchain/core/language_models/base'
import {
  AIMessage,
  type BaseMessage,
  HumanMessage,
  isAIMessage,
  isHumanMessage,
  isToolMessage,
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
import type { Actor, ApprovalService, Pseudonymiser, Via } from '../governance/index.ts'
import type { AnyTool, PendingApproval, ToolExecutor } from '../tools/index.ts'
import { type ApprovalInterrupt, answerInbox, approvalInterrupt, readResume } from './inbox.ts'
import { askModel, ModelCallError, type ModelChoice, oneLine } from './models.ts'
import { PLANNER_NAME, textOf } from './planner/offline-model.ts'
import { systemPrompt } from './prompt.ts'

/**
 * The planner's part of a turn after the endpoint failed: the line the reply ends with, and the
 * index of the first message of the turn the planner reads (the model's tool results when some
 * succeeded, otherwise only what the planner itself does from the person's words).
 */
export type Fallback = { note: string; from: number }

export const AgentState = Annotation.Root({
  ...MessagesAnnotation.spec,
  /** Approval requests filed in this turn that the thread waits on. */
  pending: Annotation<PendingApproval[]>({ reducer: (_old, next) => next, default: () => [] }),
  /** Which model wrote the last message (for the audit and the reply). */
  answeredBy: Annotation<string>({ reducer: (_old, next) => next, default: () => PLANNER_NAME }),
  /**
   * Set when the model endpoint failed in this turn: the line the reply ends with. The planner
   * then finishes the turn. A new message resets it.
   */
  fallback: Annotation<Fallback | null>({ reducer: (_old, next) => next, default: () => null }),
})
export type AgentStateType = typeof AgentState.State

export type RunContext = { actor: Actor; via: Via }

/**
 * Told of each tool call of a turn as it happens, so a face can show progress ("looking up
 * card…"): `start` before the executor runs it, `done` after, with its data when it succeeded.
 * Passed in `configurable.onToolCall`; never checkpointed (LangGraph copies only plain values
 * of `configurable` into checkpoint metadata). A listener that throws is ignored.
 */
export type ToolCallListener = (
  event:
    | { phase: 'start'; name: string; args: Record<string, unknown> }
    | { phase: 'done'; name: string; args: Record<string, unknown>; ok: boolean; data?: unknown },
) => void
export type { ApprovalInterrupt, ApprovalResume } from './inbox.ts'

/** At most this many rounds of tool calls in one turn; then the agent stops and says so. */
export const MAX_TOOL_ROUNDS = 6

/**
 * LangGraph's step bound for one turn: two steps a round (model, tools), the answer, the approval
 * node, and room to spare. MAX_TOOL_ROUNDS stops a looping model first, with a clear reply.
 */
export const RECURSION_LIMIT = 2 * MAX_TOOL_ROUNDS + 4

/** Who answered when the endpoint failed. */
const FALLBACK_NAME = `${PLANNER_NAME} (fallback)`

/** Whether a tool result says the call succeeded. */
function succeeded(message: BaseMessage): boolean {
  try {
    return (JSON.parse(textOf(message)) as { ok?: unknown }).ok === true
  } catch {
    return false
  }
}

function callsOf(message: BaseMessage): number {
  return isAIMessage(message) ? (message.tool_calls?.length ?? 0) : 0
}

/**
 * The line a reply ends with when it does not say which approvals the turn filed and that they
 * are pending (a model may answer "done" after requesting a hold): null when it does.
 */
export function approvalLine(pending: readonly PendingApproval[], text: string): string | null {
  if (pending.length === 0) return null
  const named = pending.every((p) =>
    new RegExp(`(#|approval (request )?)${p.approvalId}\\b`, 'i').test(text),
  )
  if (named && /pending|waits/i.test(text)) return null
  const what = pending
    .map((p) => `#${p.approvalId} (${headline(p.summary)}${atTheTill(p.details)})`)
    .join(', ')
  return `${pending.length === 1 ? 'Approval' : 'Approvals'} ${what} ${pending.length === 1 ? 'is' : 'are'} filed and pending: a manager other than the requester must approve, and nothing changes until then.`
}

/**
 * What a hold will do at the POS, from its request's details (issue 23): "; ledger only: the
 * card still works at the till…" or "; enforced at the POS (square): …". Empty for other writes.
 */
function atTheTill(details: Record<string, unknown>): string {
  const e = details.enforcement as { effect?: unknown } | undefined
  return e && typeof e.effect === 'string' ? `; ${e.effect}` : ''
}

/** A summary's head: "Hold card gc_… (…1446, balance $50.00)" of "…: the reason". */
function headline(summary: string): string {
  const head = summary.split(': ')[0] ?? summary
  return head.length > 100 ? `${head.slice(0, 100)}…` : head
}

/** What a tool result says of a call whose arguments were not a JSON object. */
function notJson(tool: string, args: string | undefined): string {
  let why = 'they are not a JSON object'
  try {
    JSON.parse(args ?? '')
  } catch (err) {
    why = describeError(err)
  }
  const shown = (args ?? '').length > 120 ? `${(args ?? '').slice(0, 120)}…` : (args ?? '')
  return `the arguments of ${tool} were not valid JSON (${why}): ${JSON.stringify(shown)}. Nothing was run. Call it again with a JSON object that matches its parameters.`
}

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
  /** Decides Agent Inbox responses (accept, respond) on resume; without it they are refused. */
  approvals?: ApprovalService
  /**
   * Who runs a turn when the caller cannot be trusted to say (LangGraph Studio, app/studio.ts):
   * replaces `configurable.actor` / `via`, whatever the client sent.
   */
  resolveRun?: (config: LangGraphRunnableConfig) => Promise<RunContext>
}) {
  const contextOf = async (config: LangGraphRunnableConfig): Promise<RunContext> =>
    deps.resolveRun ? deps.resolveRun(config) : runContext(config)
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
    const { actor } = await contextOf(config)
    const tools = definitionsFor(actor)
    // What the model sees: the policy, and the thread with any email or phone in a person's words tokenised.
    const messages: BaseMessage[] = [
      new SystemMessage(systemPrompt(actor)),
      ...state.messages.map((m) =>
        m instanceof HumanMessage ? new HumanMessage(deps.pii.scrubText(textOf(m))) : m,
      ),
    ]
    deps.inspect?.(messages)
    const humanAt = state.messages.findLastIndex((m) => isHumanMessage(m))
    const turn = state.messages.slice(humanAt + 1)
    const rounds = turn.filter((m) => isAIMessage(m) && callsOf(m) > 0).length
    const planner = deps.models.planner.forTools(tools.map((t) => t.function.name))
    // The planner reads the thread up to the person's message, then the turn from `from` on.
    const plannerReply = (from: number) =>
      planner.respond([...messages.slice(0, humanAt + 2), ...messages.slice(from + 1)])
    const { primary } = deps.models

    /** The reply as the person gets it: the approvals it filed said, the fallback noted. */
    const settle = (reply: AIMessage, answeredBy: string, fallback: Fallback | null) => {
      if (callsOf(reply) > 0) return { messages: [reply], answeredBy, fallback }
      const text = textOf(reply)
      const extra = [approvalLine(state.pending, text), fallback?.note ?? null].filter(
        (l) => l !== null,
      )
      if (extra.length === 0) return { messages: [reply], answeredBy, fallback }
      return {
        messages: [
          new AIMessage({
            content: [text, ...extra].filter((l) => l.trim() !== '').join('\n\n'),
            ...(reply.id ? { id: reply.id } : {}),
            response_metadata: reply.response_metadata,
          }),
        ],
        answeredBy,
        fallback,
      }
    }
    const fallBack = (note: string, err?: unknown) => {
      deps.logger?.warn(
        { err: err === undefined ? note : describeError(err), endpoint: primary?.endpoint },
        'the model endpoint failed; the offline planner answers',
      )
      // The model's tool results stand if one succeeded; otherwise the planner starts afresh.
      const from = turn.some((m) => isToolMessage(m) && succeeded(m))
        ? humanAt + 1
        : state.messages.length
      return settle(plannerReply(from), FALLBACK_NAME, { note, from })
    }

    if (rounds >= MAX_TOOL_ROUNDS)
      return settle(
        new AIMessage(
          `I stopped after ${rounds} rounds of tool calls without reaching an answer (at most ${MAX_TOOL_ROUNDS} per message); nothing more was run. Ask again, more narrowly.`,
        ),
        state.answeredBy,
        state.fallback,
      )
    if (!primary) return settle(plannerReply(humanAt + 1), PLANNER_NAME, null)
    // Once the endpoint has failed in this turn, the planner finishes the turn.
    if (state.fallback !== null)
      return settle(plannerReply(state.fallback.from), FALLBACK_NAME, state.fallback)
    let reply: AIMessage
    try {
      reply = await askModel(primary, messages, tools, config)
    } catch (err) {
      // Cancelled by whoever runs the graph: nobody waits for an answer.
      if (config.signal?.aborted) throw err
      const why =
        err instanceof ModelCallError
          ? err.reason === 'timed_out'
            ? err.message
            : `failed: ${err.message}`
          : `failed: ${oneLine(err)}`
      return fallBack(
        `(The language model at ${primary.endpoint} ${why}; the offline planner answered instead.)`,
        err,
      )
    }
    const malformed = reply.invalid_tool_calls?.length ?? 0
    if (
      malformed > 0 &&
      turn.some((m) => isAIMessage(m) && (m.invalid_tool_calls?.length ?? 0) > 0)
    )
      return fallBack(
        `(The language model at ${primary.endpoint} sent tool-call arguments that were not JSON again; the offline planner answered instead.)`,
      )
    if (callsOf(reply) === 0 && textOf(reply).trim() === '')
      return fallBack(
        `(The language model at ${primary.endpoint} returned an empty answer; the offline planner answered instead.)`,
      )
    return settle(reply, primary.name, null)
  }

  const runTools = async (state: AgentStateType, config: LangGraphRunnableConfig) => {
    const { actor, via } = await contextOf(config)
    const listener = (config.configurable as { onToolCall?: ToolCallListener } | undefined)
      ?.onToolCall
    const tell: ToolCallListener = (event) => {
      try {
        listener?.(event)
      } catch {
        // Progress is for show: a face that cannot show it must not fail the turn.
      }
    }
    const last = state.messages.at(-1)
    if (!last || !isAIMessage(last)) return {}
    const malformed = new Map((last.invalid_tool_calls ?? []).map((c) => [c.id, c]))
    const messages: ToolMessage[] = []
    const pending: PendingApproval[] = [...state.pending]
    // In the order the model asked, one at a time (a write's approval is filed before the next
    // read); every call gets its result, matched by tool_call_id, even when the executor throws.
    for (const call of last.tool_calls ?? []) {
      const bad = call.id === undefined ? undefined : malformed.get(call.id)
      let content: Record<string, unknown>
      tell({ phase: 'start', name: call.name, args: call.args })
      try {
        // A call whose arguments were not JSON goes to the executor as the text the model sent:
        // refused (an unknown tool) or invalid, and audited like every call.
        const outcome = await deps.executor.call(call.name, bad ? (bad.args ?? '') : call.args, {
          actor,
          via,
          model: state.answeredBy,
        })
        if (outcome.ok && outcome.approval) pending.push(outcome.data as PendingApproval)
        tell({
          phase: 'done',
          name: call.name,
          args: call.args,
          ok: outcome.ok,
          ...(outcome.ok ? { data: outcome.data } : {}),
        })
        content = outcome.ok
          ? { ok: true, data: outcome.data }
          : {
              ok: false,
              error:
                bad && outcome.error.code === 'INVALID_INPUT'
                  ? {
                      code: 'INVALID_INPUT',
                      message: deps.pii.scrubText(notJson(call.name, bad.args)),
                    }
                  : outcome.error,
            }
      } catch (err) {
        tell({ phase: 'done', name: call.name, args: call.args, ok: false })
        deps.logger?.error({ err, tool: call.name }, 'a tool call failed outside the executor')
        content = {
          ok: false,
          error: {
            code: 'INTERNAL',
            message: `${call.name} failed unexpectedly; the error is in the server log`,
          },
        }
      }
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

  /**
   * Waits for the decisions. Resumed by a face that decided (`{ decisions }`, Agent.decide) or
   * by Agent Inbox's response, which is decided here through the approval service as the one
   * resuming. A value that is neither asks again (each interrupt() of a node has its own resume).
   */
  const awaitApproval = async (state: AgentStateType, config: LangGraphRunnableConfig) => {
    const payload = approvalInterrupt(state.pending)
    let notes: string[] = []
    for (let attempt = 0; attempt < 5; attempt++) {
      const resume = readResume(interrupt<ApprovalInterrupt, unknown>(payload))
      if (resume.kind === 'decisions') {
        notes = resume.value.decisions.map((d) => d.message)
        break
      }
      if (resume.kind === 'inbox') {
        notes = await answerInbox(
          deps.approvals,
          await contextOf(config),
          state.pending,
          resume.value,
        )
        break
      }
      notes = [`The resume value was not understood (${resume.problem}); nothing was decided.`]
    }
    return { messages: [new AIMessage(notes.join('\n'))], pending: [] }
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
